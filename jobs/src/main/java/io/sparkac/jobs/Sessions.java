package io.sparkac.jobs;

import io.sparkac.config.MemoryCheck;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/** The job's SparkSession: master and deployment come from spark-submit. */
final class Sessions {
  private Sessions() {}

  /**
   * The heaps a job's config must fit, before any session starts: the driver's
   * ({@code Runtime.maxMemory()}) and the executors' from the Spark configuration spark-submit
   * passes as system properties ({@code --conf}, {@code spark-defaults.conf}); no master (a test's
   * JVM): local mode.
   */
  static MemoryCheck.Limits memoryLimits() {
    return memoryLimits(new SparkConf(true));
  }

  static MemoryCheck.Limits memoryLimits(SparkConf conf) {
    Map<String, String> settings = new HashMap<>();
    for (Tuple2<String, String> kv : conf.getAll()) {
      settings.put(kv._1(), kv._2());
    }
    return MemoryCheck.Limits.of(settings, Runtime.getRuntime().maxMemory(),
        Runtime.getRuntime().availableProcessors());
  }

  static SparkSession get(String appName) {
    return SparkSession.builder().appName(appName).getOrCreate();
  }
}
