package io.sparkac.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.sum;

import io.sparkac.advantage.Advantages;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.storage.Storage;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import io.sparkac.trajectory.TrajectorySchema;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The analysis of one run over Spark SQL, for the notebooks and the {@code report} job alike:
 * episodes, per-round summaries, action frequencies, advantage statistics and the comparison of
 * the TD(0), GAE and Monte-Carlo estimators. Driver only.
 *
 * <p>Only committed rounds exist: the round list comes from the manifest, and only those rounds'
 * folders are read (an interrupted round's folder is ignored, as the trainer ignores it).
 */
public final class TrajectoryAnalysis {
  private final SparkSession spark;
  private final RunLayout layout;
  private final Storage storage;
  private final List<RoundRecord> records;
  private final TrainConfig config;

  private TrajectoryAnalysis(SparkSession spark, RunLayout layout, Storage storage, List<RoundRecord> records,
      TrainConfig config) {
    this.spark = spark;
    this.layout = layout;
    this.storage = storage;
    this.records = records;
    this.config = config;
  }

  /** Opens a run folder that has at least one committed round. */
  public static TrajectoryAnalysis of(SparkSession spark, String runDir) {
    RunLayout layout = RunLayout.of(runDir);
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    List<RoundRecord> records = new Manifest(storage, layout).readAll();
    if (records.isEmpty()) {
      throw new IllegalArgumentException("run folder " + runDir + " has no committed round (no entry in "
          + layout.manifest() + "); train it first, or check the path");
    }
    int last = records.get(records.size() - 1).round();
    TrainConfig config = new Checkpoints(storage, layout).readState(last).configIn(runDir, List.of());
    return new TrajectoryAnalysis(spark, layout, storage, List.copyOf(records), config);
  }

  public RunLayout layout() {
    return layout;
  }

  /** The configuration the run was trained with (from its last checkpoint). */
  public TrainConfig config() {
    return config;
  }

  /** The committed rounds' manifest entries, in round order. */
  public List<RoundRecord> rounds() {
    return records;
  }

  public List<Integer> committedRounds() {
    return records.stream().map(RoundRecord::round).toList();
  }

  public int lastRound() {
    return records.get(records.size() - 1).round();
  }

  /**
   * The manifest as a table: one row per committed round, with the columns of {@code metrics.csv}
   * (the async-only ones in asynchronous runs only).
   */
  public Dataset<Row> metrics() {
    List<RoundRecord.Column> columns = RoundRecord.columns(!records.isEmpty() && records.get(0).async());
    List<StructField> fields = new ArrayList<>();
    for (RoundRecord.Column c : columns) {
      DataType type = c.type() == int.class ? DataTypes.IntegerType
          : c.type() == long.class ? DataTypes.LongType : DataTypes.DoubleType;
      fields.add(DataTypes.createStructField(c.name(), type, type == DataTypes.DoubleType));
    }
    List<Function<RoundRecord, Number>> values = columns.stream().map(RoundRecord.Column::value).toList();
    List<Row> rows = new ArrayList<>();
    for (RoundRecord r : records) {
      Object[] v = new Object[values.size()];
      for (int i = 0; i < v.length; i++) {
        Object x = values.get(i).apply(r);
        v[i] = x instanceof Double d && d.isNaN() ? null : x; // NaN in the manifest means "none"
      }
      rows.add(RowFactory.create(v));
    }
    return spark.createDataFrame(rows, new StructType(fields.toArray(StructField[]::new)));
  }

  /** The training rows of the committed rounds, with the {@code round} column. */
  public Dataset<Row> trajectories() {
    // a committed file of another size than its manifest entry recorded fails here, with its round
    new Manifest(storage, layout).verify(records, "trajectories/", false);
    return readRounds(layout.trajectories(), committedRounds(), "training trajectories");
  }

  /**
   * The evaluation rows that the {@code evaluate} job wrote for committed rounds ({@code eval =
   * true}); fails when there are none.
   */
  public Dataset<Row> evalTrajectories() {
    List<Integer> rounds = evaluatedRounds();
    if (rounds.isEmpty()) {
      throw new IllegalStateException("run " + layout.root() + " has no evaluation trajectories under "
          + layout.eval() + "; run: evaluate " + layout.root() + " [--round N]");
    }
    return readRounds(layout.eval(), rounds, "evaluation trajectories");
  }

  /** Committed rounds that have an evaluation folder, in order. */
  public List<Integer> evaluatedRounds() {
    return committedRounds().stream().filter(r -> storage.nonEmptyDir(layout.evalRound(r))).toList();
  }

  private Dataset<Row> readRounds(Path base, List<Integer> rounds, String what) {
    String[] paths = rounds.stream().map(r -> new Path(base, "round=" + r).toString()).toArray(String[]::new);
    Dataset<Row> df = described("analysis: list and read the footers of the " + what,
        () -> spark.read().option("basePath", base.toString()).parquet(paths));
    List<String> problems = TrajectoryReader.mismatches(df.schema());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(base + " is not a trajectory table: " + String.join("; ", problems));
    }
    // Runs written before the eval column existed hold training rows only.
    return df.schema().getFieldIndex(TrajectorySchema.EVAL).isEmpty()
        ? df.withColumn(TrajectorySchema.EVAL, lit(false)) : df;
  }

  private <T> T described(String description, java.util.function.Supplier<T> body) {
    return described(spark, description, body);
  }

  /** Runs {@code body} under a Spark job description, then restores the caller's description. */
  static <T> T described(SparkSession spark, String description, java.util.function.Supplier<T> body) {
    String before = spark.sparkContext().getLocalProperty("spark.job.description");
    spark.sparkContext().setJobDescription(description);
    try {
      return body.get();
    } finally {
      spark.sparkContext().setJobDescription(before);
    }
  }

  /**
   * One row per training episode that ended in a committed round: {@code episode_id, actor_id,
   * first_round, round} (the round it ended in), {@code env_steps} (the run's env steps at the end
   * of that round), {@code length, episode_return, terminated, truncated}. Episodes continue
   * across rounds, so an episode's steps may span several rounds; episodes still running at the
   * end of the data are left out.
   */
  public Dataset<Row> episodes() {
    Dataset<Row> steps = metrics().select("round", "env_steps");
    return episodesOf(trajectories())
        .join(steps, "round")
        .select("episode_id", "actor_id", "first_round", "round", "env_steps", "length", "episode_return",
            "terminated", "truncated");
  }

  /** One row per evaluation episode: {@code round} (the checkpoint's), {@code episode_id, length, ...}. */
  public Dataset<Row> evalEpisodes() {
    return episodesOf(evalTrajectories()).select("episode_id", "actor_id", "round", "length", "episode_return",
        "terminated", "truncated");
  }

  private static Dataset<Row> episodesOf(Dataset<Row> rows) {
    return rows.groupBy(TrajectorySchema.EPISODE_ID)
        .agg(first(TrajectorySchema.ACTOR_ID).as("actor_id"), min(TrajectorySchema.ROUND).as("first_round"),
            max(TrajectorySchema.ROUND).as("round"), count(lit(1)).cast("int").as("length"),
            max(TrajectorySchema.T).as("last_t"), min(TrajectorySchema.T).as("first_t"),
            sum(TrajectorySchema.REWARD).as("episode_return"),
            max(TrajectorySchema.TERMINATED).as("terminated"), max(TrajectorySchema.TRUNCATED).as("truncated"))
        // An episode is whole when it ended and all its steps are in the data (t runs 0..length-1).
        .where(col("terminated").or(col("truncated")))
        .where(col("first_t").equalTo(0).and(col("last_t").equalTo(col("length").minus(1))));
  }

  /**
   * One row per committed round: the training episodes that ended in it ({@code episodes,
   * return_mean, return_std, return_min, return_max, length_mean}; null when none ended) beside the
   * learner's figures of the manifest ({@code env_steps, value_loss, policy_loss, entropy,
   * explained_variance, eval_return_mean, eval_return_std}).
   */
  public Dataset<Row> roundSummaries() {
    Dataset<Row> perRound = episodesOf(trajectories()).groupBy("round")
        .agg(count(lit(1)).cast("int").as("episodes"), avg("episode_return").as("return_mean"),
            stddev_pop("episode_return").as("return_std"), min("episode_return").as("return_min"),
            max("episode_return").as("return_max"), avg("length").as("length_mean"));
    Dataset<Row> learner = metrics().select("round", "env_steps", "value_loss", "policy_loss", "entropy",
        "explained_variance", "eval_return_mean", "eval_return_std");
    return learner.join(perRound, new String[] {"round"}, "left")
        .select(col("round"), col("env_steps"), coalesce(col("episodes"), lit(0)).as("episodes"), col("return_mean"),
            col("return_std"), col("return_min"), col("return_max"), col("length_mean"), col("value_loss"),
            col("policy_loss"), col("entropy"), col("explained_variance"), col("eval_return_mean"),
            col("eval_return_std"))
        .orderBy("round");
  }

  /** Per committed round and discrete action: {@code round, action, count, fraction} (of the round's steps). */
  public Dataset<Row> actionFrequencies() {
    return trajectories().where(col(TrajectorySchema.ACTION).isNotNull())
        .groupBy(TrajectorySchema.ROUND, TrajectorySchema.ACTION).agg(count(lit(1)).as("count"))
        .withColumn("fraction", col("count").divide(sum("count").over(Window.partitionBy(TrajectorySchema.ROUND))))
        .orderBy(TrajectorySchema.ROUND, TrajectorySchema.ACTION);
  }

  /** The statistics of the advantages that the run's own estimator gave on a round. */
  public EstimatorStats advantageStatistics(int round) {
    EstimatorComparison c = compareEstimators(round);
    return switch (config.learner().advantage()) {
      case TD0 -> c.stats().get(0);
      case GAE -> c.stats().get(1);
      case MC -> c.stats().get(2);
    };
  }

  /**
   * TD(0), GAE(lambda) (the run's lambda) and Monte-Carlo advantages and targets of a committed
   * round, computed with {@link Advantages#gae} and the critic the learner used for that round:
   * the checkpoint of the round before, or for round 0 the initial critic that the run's seed
   * gives. Terminated steps bootstrap with 0, truncated ones and the end of an actor's round with
   * V(s').
   */
  public EstimatorComparison compareEstimators(int round) {
    if (!committedRounds().contains(round)) {
      throw new IllegalArgumentException("round " + round + " of " + layout.root() + " is not committed; "
          + "committed rounds: " + rangeText(committedRounds()));
    }
    new Manifest(storage, layout).verify(records.stream().filter(r -> r.round() == round).toList(),
        "trajectories/", false);
    RowBatch d = described("analysis: read round " + round + " for its advantages",
        () -> TrajectoryReader.readRound(spark, layout.trajectoryRound(round).toString()));
    MlpForward critic = new MlpForward(criticBefore(round, d.obsSize()));
    int n = d.rows();
    float[] v = new float[n];
    float[] vNext = new float[n];
    critic.forward(d.obs(), n, v);
    critic.forward(d.nextObs(), n, vNext);
    double[] value = new double[n];
    double[] nextValue = new double[n];
    for (int i = 0; i < n; i++) {
      value[i] = v[i];
      nextValue[i] = vNext[i];
    }
    double gamma = config.learner().gamma();
    String[] names = {"TD(0)", "GAE(" + config.learner().gaeLambda() + ")", "Monte-Carlo"};
    double[] lambdas = {0.0, config.learner().gaeLambda(), 1.0};
    Advantages.Estimates[] est = new Advantages.Estimates[3];
    for (int k = 0; k < 3; k++) {
      est[k] = Advantages.gae(d.reward(), d.terminated(), d.continues(), value, nextValue, gamma, lambdas[k]);
    }
    double[] mcReturn = est[2].targets();
    List<EstimatorStats> stats = new ArrayList<>();
    List<double[]> advantages = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      double[] a = est[k].advantages();
      double[] y = est[k].targets();
      double bias = 0;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        double e = y[i] - mcReturn[i];
        bias += e;
        sq += e * e;
      }
      stats.add(new EstimatorStats(names[k], lambdas[k], n, mean(a), std(a), mean(y), std(y), bias / n,
          Math.sqrt(sq / n)));
      advantages.add(a);
    }
    return new EstimatorComparison(round, gamma, List.copyOf(stats), std(mcReturn), List.copyOf(advantages));
  }

  /** The critic that computed V for round {@code round}'s update: the one the round was sampled with. */
  public MlpWeights criticBefore(int round, int obsSize) {
    MultiLayerNetwork net = round == 0 ? Networks.critic(obsSize, config)
        : new Checkpoints(storage, layout).readCritic(round - 1);
    return MlpWeights.of(net, config.network().activation());
  }

  private static String rangeText(List<Integer> rounds) {
    return rounds.isEmpty() ? "none" : rounds.get(0) + ".." + rounds.get(rounds.size() - 1);
  }

  static double mean(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s / a.length;
  }

  static double std(double[] a) {
    double m = mean(a);
    double s = 0;
    for (double v : a) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / a.length);
  }
}
