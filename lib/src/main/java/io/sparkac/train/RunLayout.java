package io.sparkac.train;

import org.apache.hadoop.fs.Path;

/**
 * Where a run keeps its files, under its folder (any Hadoop URI):
 * <pre>
 *   trajectories/round=N/part-*.parquet   rows of round N (one file per rollout task)
 *   actors/round=N/snapshots.bin          actor snapshots at the end of round N
 *   checkpoints/round=N/                  actor.zip, critic.zip (DL4J, with updater state), state.json
 *   manifest/round-0000NN.json            the commit of round N, written last; its metrics row
 *   metrics.csv                           every committed round's metrics (derived from the manifest)
 *   eval/round=N/part-*.parquet           evaluation episodes of round N's checkpoint (evaluate job)
 *   report/                               charts (PNG) and index.html (report job; train writes its learning curve)
 * </pre>
 * A round exists only once its manifest entry exists; readers ignore other round folders.
 */
public record RunLayout(Path root) {
  public static RunLayout of(String dir) {
    return new RunLayout(new Path(dir));
  }

  public Path trajectories() {
    return new Path(root, "trajectories");
  }

  public Path trajectoryRound(int round) {
    return new Path(trajectories(), "round=" + round);
  }

  public Path actorsRound(int round) {
    return new Path(new Path(root, "actors"), "round=" + round);
  }

  public Path checkpoints() {
    return new Path(root, "checkpoints");
  }

  public Path checkpoint(int round) {
    return new Path(checkpoints(), "round=" + round);
  }

  public Path manifest() {
    return new Path(root, "manifest");
  }

  public Path manifestEntry(int round) {
    return new Path(manifest(), String.format("round-%06d.json", round));
  }

  public Path metricsCsv() {
    return new Path(root, "metrics.csv");
  }

  public Path eval() {
    return new Path(root, "eval");
  }

  public Path evalRound(int round) {
    return new Path(eval(), "round=" + round);
  }

  public Path report() {
    return new Path(root, "report");
  }
}
