package io.sparkac.analysis;

import io.sparkac.config.TrainConfig;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import io.sparkac.trajectory.TrajectorySchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What the {@code report} job draws of one run, read without Spark: the committed rounds'
 * manifest entries, the evaluation episodes on disk, and a few columns of a few rounds' Parquet
 * files (the episode lengths of the last rounds, the action frequencies of at most
 * {@link #ACTION_ROUNDS} rounds). A 500-round run costs the 500 manifest entries and at most
 * 75 rounds' Parquet files (a few columns each), not its whole trajectory table. Driver only.
 *
 * @param runDir the run folder
 * @param config the configuration the run was trained with (its last checkpoint's)
 * @param rounds the committed rounds' manifest entries, in order
 * @param evaluations one entry per evaluated round
 * @param lengthRounds first and last round of the episode-length window
 * @param episodeLengths the lengths of every training episode that ended in those rounds
 * @param actionRounds the rounds whose action frequencies were counted; empty for continuous actions
 * @param actionFractions per discrete action, its fraction of each of those rounds' steps
 */
public record RunFigures(String runDir, TrainConfig config, List<RoundRecord> rounds, List<Evaluation> evaluations,
    int[] lengthRounds, double[] episodeLengths, int[] actionRounds, double[][] actionFractions) {

  /** Episode lengths: back from the last round until this many episodes ended (or {@link #MAX_LENGTH_ROUNDS}). */
  public static final int LENGTH_EPISODES = 100;
  public static final int MAX_LENGTH_ROUNDS = 50;
  /** Action frequencies of at most this many rounds, spread evenly over the run, the last included. */
  public static final int ACTION_ROUNDS = 25;
  /** Discrete actions counted; a larger action index counts as "other" (and the run as continuous). */
  static final int MAX_ACTIONS = 64;

  /** {@code f} of every item, on the pool, in the items' order; the first failure is thrown as it is. */
  static <T, R> List<R> all(ExecutorService pool, List<T> items, Function<T, R> f) {
    List<Future<R>> futures = new ArrayList<>();
    for (T item : items) {
      futures.add(pool.submit(() -> f.apply(item)));
    }
    List<R> out = new ArrayList<>(items.size());
    try {
      for (Future<R> fu : futures) {
        out.add(fu.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading", e);
    } catch (ExecutionException e) {
      futures.forEach(fu -> fu.cancel(true));
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
    return out;
  }

  /**
   * An evaluation of a round's checkpoint: the mean and standard deviation of its episodes'
   * returns. From the episodes the {@code evaluate} job wrote to {@code eval/round=N/} when there
   * are, else from the train job's greedy evaluation in the round's manifest entry.
   *
   * @param fromDisk whether the figures come from the episodes in {@code eval/round=N/}
   */
  public record Evaluation(int round, long envSteps, double wallSeconds, double mean, double std, int episodes,
      boolean fromDisk) {}

  /** Reads a run folder that has at least one committed round. */
  public static RunFigures read(Storage storage, String runDir) {
    ExecutorService pool = Executors.newFixedThreadPool(READERS, r -> {
      Thread t = new Thread(r, "report-reader");
      t.setDaemon(true);
      return t;
    });
    try {
      return read(storage, runDir, pool);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Files read at the same time: the reads wait on storage (a remote one above all) more than on a core. */
  static final int READERS = 8;

  private static RunFigures read(Storage storage, String runDir, ExecutorService pool) {
    RunLayout layout = RunLayout.of(runDir);
    Manifest manifest = new Manifest(storage, layout);
    List<RoundRecord> records = all(pool, manifest.committedRounds(), manifest::read);
    if (records.isEmpty()) {
      throw new IllegalArgumentException("run folder " + runDir + " has no committed round (no entry in "
          + layout.manifest() + "); train it first, or check the path");
    }
    int last = records.get(records.size() - 1).round();
    TrainConfig config = new Checkpoints(storage, layout).readState(last).configIn(runDir, List.of());
    Map<Integer, RoundRecord> byRound = new HashMap<>();
    for (RoundRecord r : records) {
      byRound.put(r.round(), r);
    }

    // Evaluations: the episodes on disk (evaluate job) where there are, else the manifest's figures.
    Map<Integer, Evaluation> evals = new TreeMap<>();
    for (RoundRecord r : records) {
      if (r.evaluated()) {
        evals.put(r.round(), new Evaluation(r.round(), r.totals().envSteps(), r.phases().wallSeconds(),
            r.eval().evalReturnMean(), r.eval().evalReturnStd(), config.eval().episodes(), false));
      }
    }
    if (storage.exists(layout.eval())) {
      for (FileStatus s : storage.list(layout.eval())) {
        String name = s.getPath().getName();
        if (!s.isDirectory() || !name.matches("round=\\d+")) {
          continue;
        }
        int round = Integer.parseInt(name.substring("round=".length()));
        RoundRecord r = byRound.get(round);
        if (r == null) {
          continue; // not a committed round
        }
        Map<Long, Double> returns = new HashMap<>();
        for (Path file : parquetFiles(storage, s.getPath())) {
          ParquetColumns.read(storage.conf(), file, List.of(TrajectorySchema.EPISODE_ID, TrajectorySchema.REWARD),
              v -> returns.merge((Long) v[0], (Double) v[1], Double::sum));
        }
        if (!returns.isEmpty()) {
          double[] ret = returns.values().stream().mapToDouble(Double::doubleValue).toArray();
          evals.put(round, new Evaluation(round, r.totals().envSteps(), r.phases().wallSeconds(),
              TrajectoryAnalysis.mean(ret), TrajectoryAnalysis.std(ret), ret.length, true));
        }
      }
    }

    // Episode lengths: the steps that end an episode carry its length as t + 1.
    int from = records.size() - 1;
    long ended = records.get(from).episodes().episodesInRound();
    while (from > 0 && ended < LENGTH_EPISODES && records.size() - from < MAX_LENGTH_ROUNDS) {
      from--;
      ended += records.get(from).episodes().episodesInRound();
    }
    // Action frequencies of evenly spread rounds (discrete actions only).
    int n = records.size();
    int every = Math.max(1, (int) Math.ceil(n / (double) ACTION_ROUNDS));
    List<Integer> sampled = new ArrayList<>();
    for (int i = (n - 1) % every; i < n; i += every) {
      sampled.add(i);
    }
    // Each round's files are read once for both: the lengths window's rounds and the sampled ones.
    java.util.TreeSet<Integer> toRead = new java.util.TreeSet<>(sampled);
    for (int i = from; i < n; i++) {
      toRead.add(i);
    }
    int lengthsFrom = from;
    List<Integer> readOrder = new ArrayList<>(toRead);
    List<RoundColumns> read = all(pool, readOrder, i -> {
      boolean lengthsToo = i >= lengthsFrom;
      boolean actionsToo = sampled.contains(i);
      List<String> columns = new ArrayList<>();
      if (lengthsToo) {
        columns.addAll(List.of(TrajectorySchema.T, TrajectorySchema.TERMINATED, TrajectorySchema.TRUNCATED));
      }
      if (actionsToo) {
        columns.add(TrajectorySchema.ACTION);
      }
      int actionAt = columns.size() - 1;
      List<Double> found = new ArrayList<>();
      // index MAX_ACTIONS: steps without a discrete action (a continuous run) or beyond MAX_ACTIONS
      long[] c = actionsToo ? new long[MAX_ACTIONS + 1] : null;
      for (Path file : parquetFiles(storage, layout.trajectoryRound(records.get(i).round()))) {
        ParquetColumns.read(storage.conf(), file, columns, v -> {
          if (lengthsToo && ((Boolean) v[1] || (Boolean) v[2])) {
            found.add((Integer) v[0] + 1.0);
          }
          if (actionsToo) {
            int a = v[actionAt] == null ? MAX_ACTIONS : (Integer) v[actionAt];
            c[a >= 0 && a < MAX_ACTIONS ? a : MAX_ACTIONS]++;
          }
        });
      }
      return new RoundColumns(found, c);
    });
    List<Double> lengths = new ArrayList<>();
    List<long[]> perRound = new ArrayList<>();
    for (int k = 0; k < readOrder.size(); k++) {
      lengths.addAll(read.get(k).lengths());
      if (read.get(k).actions() != null) {
        perRound.add(read.get(k).actions());
      }
    }
    List<long[]> counts = new ArrayList<>();
    int actions = 0;
    boolean continuous = false;
    for (long[] full : perRound) {
      if (full[MAX_ACTIONS] > 0) {
        continuous = true;
        break;
      }
      long[] c = java.util.Arrays.copyOf(full, MAX_ACTIONS);
      for (int a = 0; a < c.length; a++) {
        if (c[a] > 0) {
          actions = Math.max(actions, a + 1);
        }
      }
      counts.add(c);
    }
    int[] actionRounds = continuous ? new int[0] : sampled.stream().mapToInt(i -> records.get(i).round()).toArray();
    double[][] fractions = new double[continuous ? 0 : actions][actionRounds.length];
    for (int k = 0; k < actionRounds.length; k++) {
      long total = 0;
      for (long c : counts.get(k)) {
        total += c;
      }
      for (int a = 0; a < fractions.length; a++) {
        fractions[a][k] = total == 0 ? Double.NaN : counts.get(k)[a] / (double) total;
      }
    }
    return new RunFigures(runDir, config, List.copyOf(records), List.copyOf(evals.values()),
        new int[] {records.get(from).round(), last}, lengths.stream().mapToDouble(Double::doubleValue).toArray(),
        actionRounds, fractions);
  }

  /** What one round's files gave: the lengths of the episodes that ended in it, its action counts (or null). */
  private record RoundColumns(List<Double> lengths, long[] actions) {}

  /** The run's id with its seed, as charts name it. */
  public String label() {
    return config.run().id() + " (seed " + config.run().seed() + ")";
  }

  public RoundRecord last() {
    return rounds.get(rounds.size() - 1);
  }

  /** A manifest figure of every committed round (NaN where missing). */
  public double[] perRound(java.util.function.ToDoubleFunction<RoundRecord> f) {
    return rounds.stream().mapToDouble(f).toArray();
  }

  /** Env steps per second of each round: the round's steps over its time. */
  public double[] stepsPerSecond() {
    double[] v = new double[rounds.size()];
    long before = 0;
    for (int i = 0; i < v.length; i++) {
      RoundRecord r = rounds.get(i);
      long steps = r.totals().envSteps() - (i == 0 ? before : rounds.get(i - 1).totals().envSteps());
      double s = r.phases().roundSeconds();
      v[i] = i == 0 && r.round() > 0 || s <= 0 ? Double.NaN : steps / s;
    }
    return v;
  }

  /** Parquet data files of a folder (none when it is missing), skipping hidden and temporary names. */
  static List<Path> parquetFiles(Storage storage, Path dir) {
    List<Path> files = new ArrayList<>();
    if (!storage.exists(dir)) {
      return files;
    }
    for (FileStatus s : storage.list(dir)) {
      String name = s.getPath().getName();
      if (s.isFile() && name.endsWith(".parquet") && !name.startsWith("_") && !name.startsWith(".")) {
        files.add(s.getPath());
      }
    }
    files.sort(null);
    return files;
  }
}
