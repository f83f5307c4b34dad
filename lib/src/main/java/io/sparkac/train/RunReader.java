package io.sparkac.train;

import io.sparkac.storage.Storage;
import io.sparkac.trajectory.TrajectoryReader;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a run for analysis (notebooks, reports) as the manifest defines it: only committed
 * rounds exist. A round folder that a killed or failed run left behind past its last commit is
 * not read, whatever it holds. Driver only.
 */
public final class RunReader {
  private final SparkSession spark;
  private final RunLayout layout;
  private final Manifest manifest;

  public RunReader(SparkSession spark, String runDir) {
    this.spark = spark;
    this.layout = RunLayout.of(runDir);
    this.manifest = new Manifest(new Storage(spark.sparkContext().hadoopConfiguration()), layout);
  }

  /** The committed rounds, in order. */
  public List<Integer> committedRounds() {
    return manifest.committedRounds();
  }

  /** The manifest records of the committed rounds, in order (the rows of metrics.csv). */
  public List<RoundRecord> records() {
    return manifest.readAll();
  }

  /**
   * The trajectory rows of the committed rounds (schema {@code TrajectorySchema.SCHEMA}), checked
   * as by {@link TrajectoryReader#open}.
   */
  public Dataset<Row> trajectories() {
    return TrajectoryReader.openRounds(spark, layout.trajectories().toString(), committedRounds());
  }
}
