package io.sparkac.run;

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
   * as by {@link TrajectoryReader#open}, and each committed Parquet file against the size its
   * round's manifest entry recorded (a truncated file fails here, named with its round).
   */
  public Dataset<Row> trajectories() {
    List<RoundRecord> records = records();
    manifest.verify(records, "trajectories/", false);
    return TrajectoryReader.openRounds(spark, layout.trajectories().toString(),
        records.stream().map(RoundRecord::round).toList());
  }

  /**
   * Checks every file the committed rounds recorded in their manifest entries (trajectories,
   * snapshots, checkpoints): present and of the recorded size, and with {@code checksums} also of
   * the recorded CRC32C, which reads every file.
   *
   * @throws RunFolderException naming the first file that differs and its round
   */
  public void verify(boolean checksums) {
    manifest.verify(records(), "", checksums);
  }
}
