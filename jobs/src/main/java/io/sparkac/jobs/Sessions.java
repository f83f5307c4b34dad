package io.sparkac.jobs;

import org.apache.spark.sql.SparkSession;

/** The job's SparkSession: master and deployment come from spark-submit. */
final class Sessions {
  private Sessions() {}

  static SparkSession get(String appName) {
    return SparkSession.builder().appName(appName).getOrCreate();
  }
}
