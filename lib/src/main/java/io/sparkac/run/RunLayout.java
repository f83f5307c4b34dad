package io.sparkac.run;

import org.apache.hadoop.fs.Path;

/**
 * Where a run keeps its files, under its folder (any Hadoop URI):
 * <pre>
 *   trajectories/round=N/part-*.parquet   rows of round N (one file per rollout task)
 *   actors/round=N/snapshots.bin          actor snapshots at the end of round N
 *   checkpoints/round=N/                  actor.zip, critic.zip (DL4J, with updater state), state.json
 *   manifest/round-0000NN.json            the commit of round N, written last: its metrics row (snake_case, null
 *                                         for a missing value, schema_version) and its files
 *   metrics.csv                           every committed round's metrics (derived from the manifest: a row
 *                                         appended per commit, rewritten from the manifest on resume)
 *   eval/round=N/part-*.parquet           evaluation episodes of round N's checkpoint (evaluate job)
 *   report/                               charts (PNG) and index.html (report job; train writes its learning curve)
 *   lock                                  the lock of the process that writes the run ({@link RunLock})
 * </pre>
 * A round exists only once its manifest entry exists; readers ignore other round folders (a plain
 * reader joins the trajectories with {@code manifest/round-*.json} on {@code round}). Every path a
 * run records is relative to its folder, so a run folder stays valid when moved or copied.
 */
public record RunLayout(Path root) {
  /** The entries a run writes into its folder: all that {@code --overwrite} deletes. */
  static final java.util.Set<String> ENTRIES = java.util.Set.of("trajectories", "actors", "checkpoints", "manifest",
      "metrics.csv", "eval", "report", RunLock.FILE);

  /**
   * Whether {@code name}, an entry of a run folder, is one the run writes: one of {@link #ENTRIES},
   * its temporary ({@code _<name>.tmp}) or a checksum file Hadoop's local file system kept beside
   * either ({@code .<name>.crc}, in run folders written before {@code FastLocalFileSystem} stopped
   * writing them).
   */
  public static boolean isRunEntry(String name) {
    String n = name;
    if (n.startsWith(".") && n.endsWith(".crc")) {
      n = n.substring(1, n.length() - ".crc".length());
    }
    if (n.startsWith("_") && n.endsWith(".tmp")) {
      n = n.substring(1, n.length() - ".tmp".length());
    }
    return ENTRIES.contains(n);
  }

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

  /** {@code path}, which lies under the run folder, relative to it ("checkpoints/round=3/actor.zip"). */
  public String relative(Path path) {
    String base = root.toUri().getPath().replaceAll("/+$", "") + "/";
    String p = path.toUri().getPath();
    if (!p.startsWith(base)) {
      throw new IllegalArgumentException(path + " is not under the run folder " + root);
    }
    return p.substring(base.length());
  }

  /** A path relative to the run folder, as {@link #relative} gives it, resolved under it. */
  public Path resolve(String relative) {
    return new Path(root, relative);
  }
}
