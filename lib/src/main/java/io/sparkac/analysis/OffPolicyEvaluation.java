package io.sparkac.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import io.sparkac.trajectory.TrajectoryReader;
import io.sparkac.trajectory.TrajectorySchema;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Off-policy evaluation of a target policy on a run's logged trajectories, on Spark: the
 * estimators of {@link OffPolicyEstimators} with their bootstrap intervals.
 *
 * <p>The behaviour's log-probabilities are the logged {@code action_logp} (each round's rows
 * were sampled by the policy of the checkpoint before it); the target's are computed on the
 * executors with the rollout's forward pass ({@link TargetPolicy}). The critic of the doubly
 * robust estimators is the logged {@code vf_pred}: V(s) of the critic that sampled the step.
 *
 * <p>Which episodes: those that <em>start</em> (t = 0) in the chosen rounds, followed into later
 * rounds until they end, as far as the run's committed rounds go. Episodes continue across
 * rounds, so an episode that starts in round b may end in round b + 3. Selecting by start keeps
 * the episodes' lengths unbiased: whether an episode started in the range does not depend on
 * how long it lasts, while "ended in the range" or "wholly inside it" would favour short
 * episodes. Episodes that started before the range are left out (their beginning is not in it);
 * those still running at the end of the run's data are left out and counted
 * ({@link Result#episodesUnfinished}): only the last rounds of a run have them.
 */
public final class OffPolicyEvaluation {
  /** Steps scored per forward pass on an executor. */
  private static final int BATCH = 1024;

  private OffPolicyEvaluation() {}

  /**
   * The settings.
   *
   * @param firstRound first round whose episodes are evaluated (null: the first committed)
   * @param lastRound last round (null: the last committed)
   * @param gamma the discount of the return to estimate (1: the undiscounted return, what
   *     {@code evaluate} reports)
   * @param resamples bootstrap resamples
   * @param confidence the intervals' coverage, e.g. 0.95
   * @param seed the bootstrap's seed
   */
  public record Options(Integer firstRound, Integer lastRound, double gamma, int resamples, double confidence,
      long seed) {
    public Options {
      if (!(gamma > 0 && gamma <= 1)) {
        throw new IllegalArgumentException("--gamma = " + gamma + ": must be in (0, 1]");
      }
      if (resamples < 1) {
        throw new IllegalArgumentException("--resamples = " + resamples + ": must be >= 1");
      }
      if (!(confidence > 0 && confidence < 1)) {
        throw new IllegalArgumentException("--confidence = " + confidence + ": must be in (0, 1), e.g. 0.95");
      }
      if (firstRound != null && lastRound != null && firstRound > lastRound) {
        throw new IllegalArgumentException("--rounds " + firstRound + ".." + lastRound + ": the first round is after"
            + " the last");
      }
    }
  }

  /** One estimator's figure. */
  public record Estimate(String estimator, String description, double estimate, double low, double high) {}

  /**
   * What an evaluation found.
   *
   * @param runDir the logged run
   * @param target where the target policy came from
   * @param firstRound first round of the episodes' starts
   * @param lastRound last round of the episodes' starts
   * @param lastRoundRead the last round read to follow the episodes to their end
   * @param episodes episodes evaluated
   * @param steps their steps
   * @param episodesUnfinished episodes that started in the range but had not ended by the last committed round
   * @param effectiveSampleSize (sum w)^2 / sum w^2 of the episodes' final cumulative ratios
   * @param maxAbsLogRatio the largest |log pi(a|s) - log b(a|s)| of a step
   * @param estimates IS, WIS, DR, WDR, then the logged return (the behaviour's own)
   */
  public record Result(String runDir, String target, int firstRound, int lastRound, int lastRoundRead, double gamma,
      int resamples, double confidence, long seed, int episodes, long steps, int episodesUnfinished,
      double effectiveSampleSize, double maxAbsLogRatio, List<Estimate> estimates) {

    public Estimate estimate(String estimator) {
      return estimates.stream().filter(e -> e.estimator().equals(estimator)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no estimator " + estimator));
    }

    /** The result as a JSON object: snake_case keys, null for a figure that is missing (NaN). */
    public java.util.Map<String, Object> json() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("run_dir", runDir);
      m.put("target", target);
      m.put("first_round", firstRound);
      m.put("last_round", lastRound);
      m.put("last_round_read", lastRoundRead);
      m.put("gamma", gamma);
      m.put("critic", "logged vf_pred (the critic that sampled each step)");
      m.put("episodes", episodes);
      m.put("steps", steps);
      m.put("episodes_unfinished", episodesUnfinished);
      m.put("effective_sample_size", orNull(effectiveSampleSize));
      m.put("max_abs_log_ratio", orNull(maxAbsLogRatio));
      m.put("confidence", confidence);
      m.put("resamples", resamples);
      m.put("seed", seed);
      List<java.util.Map<String, Object>> list = new ArrayList<>();
      for (Estimate e : estimates) {
        java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("estimator", e.estimator());
        row.put("description", e.description());
        row.put("estimate", orNull(e.estimate()));
        row.put("ci_low", orNull(e.low()));
        row.put("ci_high", orNull(e.high()));
        list.add(row);
      }
      m.put("estimates", list);
      return m;
    }

    /** The result as a table for a terminal. */
    public String table() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("off-policy evaluation of %s%non the episodes of %s that start in rounds %d..%d (followed"
          + " to round %d): %,d episodes, %,d steps%s; gamma %s%n", target, runDir, firstRound, lastRound,
          lastRoundRead, episodes, steps, episodesUnfinished == 0 ? ""
              : String.format(" (%d unfinished at the end of the data left out)", episodesUnfinished), gamma));
      sb.append(String.format("%-46s %12s   %s%n", "estimator", "estimate",
          String.format("%s%% interval (bootstrap, %d resamples)", pct(confidence), resamples)));
      for (Estimate e : estimates) {
        sb.append(String.format("%-46s %12.3f   [%.3f, %.3f]%n", e.estimator() + ": " + e.description(),
            e.estimate(), e.low(), e.high()));
      }
      sb.append(String.format("effective sample size of the final weights: %.1f of %d episodes; largest |log ratio|"
          + " of a step: %.3g%n", effectiveSampleSize, episodes, maxAbsLogRatio));
      return sb.toString();
    }

    private static String pct(double c) {
      double p = c * 100;
      return p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p);
    }

    private static Double orNull(double v) {
      return Double.isFinite(v) ? v : null;
    }
  }

  static final List<String> DESCRIPTIONS = List.of("per-decision importance sampling",
      "weighted per-decision importance sampling", "doubly robust, logged critic",
      "weighted doubly robust, logged critic", "logged return (the behaviour's)");

  /** Evaluates {@code target} on the episodes of {@code runDir} that start in the chosen rounds. */
  public static Result evaluate(SparkSession spark, String runDir, TargetPolicy target, Options options) {
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    RunLayout layout = RunLayout.of(runDir);
    Manifest manifest = new Manifest(storage, layout);
    List<Integer> committed = manifest.committedRounds();
    if (committed.isEmpty()) {
      throw new IllegalArgumentException(runDir + " has no committed round (no entry in " + layout.manifest()
          + "); train it first, or check the path");
    }
    int firstCommitted = committed.get(0);
    int lastCommitted = committed.get(committed.size() - 1);
    int a = options.firstRound() == null ? firstCommitted : options.firstRound();
    int b = options.lastRound() == null ? lastCommitted : options.lastRound();
    if (!committed.contains(a) || !committed.contains(b)) {
      throw new IllegalArgumentException("--rounds " + a + ".." + b + ": not committed rounds of " + runDir
          + "; committed rounds: " + firstCommitted + ".." + lastCommitted);
    }
    if (target.envId() != null) {
      String logged = CheckpointPolicy.envName(new io.sparkac.run.Checkpoints(storage, layout).readState(lastCommitted)
          .configIn(runDir, List.of()));
      if (!target.envId().equals(logged)) {
        throw new IllegalArgumentException("the target policy (" + target.description() + ") was trained on "
            + target.envId() + "; the trajectories of " + runDir + " are " + logged + ": an estimate needs data of"
            + " the same environment");
      }
    }
    List<Integer> fromA = committed.stream().filter(r -> r >= a).toList();
    List<RoundRecord> records = new ArrayList<>();
    for (int r : fromA) {
      records.add(manifest.read(r));
    }
    // a committed file of another size than its manifest entry recorded fails here, with its round
    manifest.verify(records, "trajectories/", false);
    Dataset<Row> steps = TrajectoryAnalysis.described(spark, "ope: list and read the footers of rounds " + a + ".." + lastCommitted,
        () -> TrajectoryReader.openRounds(spark, layout.trajectories().toString(), fromA));
    if (!steps.schema().getFieldIndex(TrajectorySchema.EVAL).isEmpty()) {
      steps = steps.where(col(TrajectorySchema.EVAL).equalTo(false));
    }

    // Pass 1, three narrow columns: the episodes that start in a..b, and how far they reach.
    Dataset<Row> spans = steps.groupBy(TrajectorySchema.EPISODE_ID)
        .agg(min(when(col(TrajectorySchema.T).equalTo(0), col(TrajectorySchema.ROUND))).as("start_round"),
            max(TrajectorySchema.ROUND).as("end_round"))
        .where(col("start_round").between(a, b));
    Row reach = TrajectoryAnalysis.described(spark, "ope: episodes that start in rounds " + a + ".." + b,
        () -> spans.agg(count(lit(1)).as("episodes"), max("end_round").as("end_round")).first());
    if (reach.<Long>getAs("episodes") == 0) {
      throw new IllegalArgumentException("no episode of " + runDir + " starts in rounds " + a + ".." + b
          + "; choose a wider --rounds");
    }
    int lastRead = reach.<Integer>getAs("end_round");

    // Pass 2: the steps of those episodes, scored with the target on the executors.
    Dataset<Row> selected = steps.where(col(TrajectorySchema.ROUND).leq(lastRead))
        .join(spans.select(TrajectorySchema.EPISODE_ID), TrajectorySchema.EPISODE_ID)
        .select(TrajectorySchema.EPISODE_ID, TrajectorySchema.T, TrajectorySchema.OBS, TrajectorySchema.ACTION,
            TrajectorySchema.ACTION_VEC, TrajectorySchema.REWARD, TrajectorySchema.TERMINATED,
            TrajectorySchema.TRUNCATED, TrajectorySchema.ACTION_LOGP, TrajectorySchema.VF_PRED);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<TargetPolicy> policy = jsc.broadcast(target);
    JavaRDD<Row> scored = selected.javaRDD().mapPartitions(rows -> new Scoring(rows, policy.value()));
    Dataset<Row> perEpisode = spark.createDataFrame(scored, SCORED)
        .groupBy("episode_id")
        .agg(count(lit(1)).as("n"), max("t").as("last_t"), max("done").as("done"),
            sort_array(collect_list(struct("t", "reward", "log_ratio", "vf_pred"))).as("steps"));
    List<Row> rows = TrajectoryAnalysis.described(spark, "ope: score " + target.description() + " on the episodes of rounds " + a
        + ".." + b + " (read to round " + lastRead + ")", perEpisode::collectAsList);
    policy.destroy();

    List<OffPolicyEstimators.Episode> episodes = new ArrayList<>();
    int unfinished = 0;
    long stepCount = 0;
    double maxAbs = 0;
    // the bootstrap's draws follow this order
    rows.sort(java.util.Comparator.comparingLong(r -> r.<Long>getAs("episode_id")));
    for (Row r : rows) {
      long n = r.<Long>getAs("n");
      if (!r.<Boolean>getAs("done") || r.<Integer>getAs("last_t") != n - 1) {
        unfinished++;
        continue;
      }
      List<Row> s = r.getList(r.fieldIndex("steps"));
      double[] reward = new double[s.size()];
      double[] logRatio = new double[s.size()];
      double[] value = new double[s.size()];
      for (int t = 0; t < s.size(); t++) {
        Row step = s.get(t);
        reward[t] = step.<Double>getAs("reward");
        logRatio[t] = step.<Double>getAs("log_ratio");
        value[t] = step.<Double>getAs("vf_pred");
        maxAbs = Math.max(maxAbs, Math.abs(logRatio[t]));
      }
      stepCount += s.size();
      episodes.add(new OffPolicyEstimators.Episode(reward, logRatio, value));
    }
    if (episodes.isEmpty()) {
      throw new IllegalArgumentException("none of the " + rows.size() + " episodes that start in rounds " + a + ".."
          + b + " of " + runDir + " has ended by the last committed round " + lastCommitted + "; choose earlier"
          + " --rounds or train further");
    }
    OffPolicyEstimators.Prepared prepared = OffPolicyEstimators.prepare(episodes, options.gamma());
    List<OffPolicyEstimators.Interval> intervals = OffPolicyEstimators.bootstrap(prepared, options.resamples(),
        options.confidence(), options.seed());
    List<Estimate> estimates = new ArrayList<>();
    List<String> names = new ArrayList<>(OffPolicyEstimators.NAMES);
    names.add("logged");
    for (int m = 0; m < intervals.size(); m++) {
      OffPolicyEstimators.Interval i = intervals.get(m);
      estimates.add(new Estimate(names.get(m), DESCRIPTIONS.get(m), i.estimate(), i.low(), i.high()));
    }
    return new Result(runDir, target.description(), a, b, lastRead, options.gamma(), options.resamples(),
        options.confidence(), options.seed(), episodes.size(), stepCount, unfinished,
        OffPolicyEstimators.effectiveSampleSize(prepared), maxAbs, List.copyOf(estimates));
  }

  /** The scored steps: what the estimators need of each. */
  static final StructType SCORED = new StructType()
      .add("episode_id", DataTypes.LongType, false)
      .add("t", DataTypes.IntegerType, false)
      .add("reward", DataTypes.DoubleType, false)
      .add("log_ratio", DataTypes.DoubleType, false)
      .add("vf_pred", DataTypes.DoubleType, false)
      .add("done", DataTypes.BooleanType, false);

  /** Scores a partition's steps a batch at a time: log pi(a|s) - action_logp. */
  static final class Scoring implements Iterator<Row> {
    private final Iterator<Row> in;
    private final TargetPolicy.Scorer scorer;
    private final int obsSize;
    private final int dims;
    private final float[] obs;
    private final int[] action;
    private final float[] actionVec;
    private final double[] logp = new double[BATCH];
    private final Row[] batch = new Row[BATCH];
    private final Row[] out = new Row[BATCH];
    private int size;
    private int next;
    /** The input's columns by name, from the first row's schema. */
    private int[] at;
    private static final String[] READ = {TrajectorySchema.EPISODE_ID, TrajectorySchema.T, TrajectorySchema.OBS,
        TrajectorySchema.ACTION, TrajectorySchema.ACTION_VEC, TrajectorySchema.REWARD, TrajectorySchema.TERMINATED,
        TrajectorySchema.TRUNCATED, TrajectorySchema.ACTION_LOGP, TrajectorySchema.VF_PRED};
    private static final int EPISODE = 0, T = 1, OBS = 2, ACTION = 3, ACTION_VEC = 4, REWARD = 5, TERMINATED = 6,
        TRUNCATED = 7, LOGP = 8, VF = 9;

    Scoring(Iterator<Row> in, TargetPolicy policy) {
      this.in = in;
      this.scorer = policy.scorer();
      this.obsSize = policy.obsSize();
      this.dims = policy.continuousDims();
      this.obs = new float[BATCH * obsSize];
      this.action = new int[BATCH];
      this.actionVec = new float[BATCH * Math.max(1, dims)];
    }

    @Override
    public boolean hasNext() {
      if (next < size) {
        return true;
      }
      fill();
      return size > 0;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return out[next++];
    }

    private void fill() {
      size = 0;
      next = 0;
      while (size < BATCH && in.hasNext()) {
        Row r = in.next();
        if (at == null) {
          at = new int[READ.length];
          for (int c = 0; c < READ.length; c++) {
            at[c] = r.fieldIndex(READ[c]);
          }
        }
        List<Float> o = r.getList(at[OBS]);
        if (o.size() != obsSize) {
          throw new IllegalArgumentException("a logged observation has " + o.size() + " values; the target policy"
              + " takes " + obsSize + " (a policy of another environment?)");
        }
        for (int k = 0; k < obsSize; k++) {
          obs[size * obsSize + k] = o.get(k);
        }
        if (dims > 0) {
          if (r.isNullAt(at[ACTION_VEC])) {
            throw new IllegalArgumentException("a logged step has no action_vec: the target policy has continuous"
                + " actions, the logged run discrete ones");
          }
          List<Float> v = r.getList(at[ACTION_VEC]);
          for (int k = 0; k < dims; k++) {
            actionVec[size * dims + k] = v.get(k);
          }
        } else {
          if (r.isNullAt(at[ACTION])) {
            throw new IllegalArgumentException("a logged step has no discrete action: the target policy has discrete"
                + " actions, the logged run continuous ones");
          }
          action[size] = r.getInt(at[ACTION]);
        }
        batch[size++] = r;
      }
      if (size == 0) {
        return;
      }
      scorer.logProbs(obs, size, action, actionVec, logp);
      for (int i = 0; i < size; i++) {
        Row r = batch[i];
        out[i] = RowFactory.create(r.getLong(at[EPISODE]), r.getInt(at[T]), r.getDouble(at[REWARD]),
            logp[i] - r.getDouble(at[LOGP]), r.getDouble(at[VF]), r.getBoolean(at[TERMINATED]) || r.getBoolean(at[TRUNCATED]));
        batch[i] = null;
      }
    }
  }

}
