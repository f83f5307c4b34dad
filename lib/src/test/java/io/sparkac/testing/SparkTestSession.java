package io.sparkac.testing;

import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of the test JVM, shared by every test that needs Spark: {@code local[2]},
 * UI off, bound to the loopback address. Tests of pure logic never touch it.
 */
public final class SparkTestSession {
  private static SparkSession spark;

  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("sparkac-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.ui.showConsoleProgress", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "2")
          // Asynchronous training submits concurrent jobs into per-group pools; one job at a time
          // (everything else) is scheduled as under FIFO.
          .config("spark.scheduler.mode", "FAIR")
          .config("spark.hadoop.fs.file.impl", "io.sparkac.storage.FastLocalFileSystem")
          .getOrCreate();
    }
    return spark;
  }
}
