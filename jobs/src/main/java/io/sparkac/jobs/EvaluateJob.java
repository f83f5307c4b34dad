package io.sparkac.jobs;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.MemoryCheck;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.Environments;
import io.sparkac.nn.MlpWeights;
import io.sparkac.rollout.EvalOutput;
import io.sparkac.rollout.EvalSummary;
import io.sparkac.rollout.EvalTask;
import io.sparkac.rollout.Rollout;
import io.sparkac.storage.Storage;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunState;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code evaluate <run> [--round N] [--episodes K] [--greedy | --stochastic]}: runs K episodes on
 * the executors with a committed round's checkpoint (default: the last round, the run's
 * {@code eval.episodes}, greedy), writes their steps to {@code <run>/eval/round=N/} (the
 * trajectory table with {@code eval = true}; an earlier evaluation of the round is replaced) and
 * prints the mean, std, min and max return and the mean length.
 *
 * <p>It calls the training loop's own evaluation with the checkpoint's actor: episode e starts
 * from the seed (run seed, EVAL, e), so a greedy evaluation with the run's episode count gives
 * exactly the figure the train job committed for that round.
 */
@Command(name = "evaluate", header = "Evaluate a committed round's checkpoint.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "evaluate <run-dir> [--round N] [--episodes K] [--greedy | --stochastic]",
    description = {"Run K episodes with a committed round's checkpoint (default: the last round, the run's"
        + " eval.episodes, greedy); writes <run-dir>/eval/round=N/ and prints the mean, std, min and max return"
        + " and the mean length."},
    footer = {"%nExamples:", "  evaluate runs/cartpole",
        "  evaluate runs/cartpole --round 20 --episodes 500 --stochastic"})
final class EvaluateJob implements Callable<Integer> {
  @Parameters(arity = "0..1", paramLabel = "<run-dir>", description = "the run folder")
  String runDir;

  @Option(names = "--round", paramLabel = "N", description = "a committed round (default: the last)")
  String roundText;

  @Option(names = "--episodes", paramLabel = "K", description = "episodes (default: the run's eval.episodes)")
  String episodesText;

  @Option(names = "--greedy", description = "the most likely action (the default)")
  boolean greedy;

  @Option(names = "--stochastic", description = "actions sampled from the policy")
  boolean stochastic;

  /** What an evaluation did: its figures, and where its trajectories are. */
  record Result(int round, boolean greedy, EvalSummary summary, String trajectories, RoundRecord record) {}

  @Override
  public Integer call() {
    if (greedy && stochastic) {
      throw new Main.UsageException("evaluate: --greedy and --stochastic exclude each other");
    }
    if (runDir == null) {
      throw new Main.UsageException("evaluate: the run folder is required");
    }
    Integer round = whole("--round", roundText, 0);
    Integer episodes = whole("--episodes", episodesText, 1);
    SparkSession spark = Sessions.get("sparkac evaluate " + runDir);
    Result r = evaluate(spark, runDir, round, episodes, !stochastic);
    EvalSummary s = r.summary();
    System.out.printf("evaluate %s round %d (%s, %d episodes): return mean %s, std %s, min %s, max %s; "
            + "length mean %s%n", runDir, r.round(), r.greedy() ? "greedy" : "stochastic", s.episodes(),
        num(s.returnMean()), num(s.returnStd()), num(s.returnMin()), num(s.returnMax()), num(s.lengthMean()));
    if (r.record().evaluated()) {
      System.out.printf("the train job's greedy evaluation of round %d: return mean %s, std %s%n", r.round(),
          num(r.record().eval().evalReturnMean()), num(r.record().eval().evalReturnStd()));
    }
    System.out.println("evaluation trajectories: " + r.trajectories());
    return 0;
  }

  /** Evaluates a committed round's checkpoint; {@code round} and {@code episodes} default when null. */
  static Result evaluate(SparkSession spark, String runDir, Integer round, Integer episodes, boolean greedy) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Storage storage = new Storage(jsc.hadoopConfiguration());
    RunLayout layout = RunLayout.of(runDir);
    Manifest manifest = new Manifest(storage, layout);
    int r;
    try {
      r = manifest.committedRound(round, "--round");
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("evaluate: " + e.getMessage());
    }
    // The checkpoint's files as the round committed them (a truncated or changed file is named, with its round).
    manifest.verify(List.of(manifest.read(r)), "checkpoints/", true);
    Checkpoints checkpoints = new Checkpoints(storage, layout);
    RunState state = checkpoints.readState(r);
    TrainConfig config = state.configIn(runDir, List.of());
    int k = episodes == null ? config.eval().episodes() : episodes;
    // K episodes (--episodes sets eval.episodes) must fit the driver's and the executors' heaps:
    // checked before the evaluation's Spark job and before the round's eval folder is replaced.
    TrainConfig evalConfig = k == config.eval().episodes() ? config
        : ConfigLoader.parse(ConfigLoader.render(config), List.of("eval.episodes=" + k));
    io.sparkac.env.Environment probe = Environments.create(config.env());
    boolean discrete = probe.actionSpace() instanceof Space.Discrete;
    MemoryCheck.checkEvaluation(evalConfig, MemoryCheck.Shapes.of(probe),
        Sessions.memoryLimits(spark.sparkContext().getConf()), discrete);
    MlpWeights actor = MlpWeights.of(checkpoints.readActor(r), config.network().activation());
    MlpWeights critic = MlpWeights.of(checkpoints.readCritic(r), config.network().activation());

    storage.delete(layout.evalRound(r));
    String dir = layout.evalRound(r).toString();
    // The observation statistics the round's checkpoint saved: the ones the trainer evaluated with.
    ObservationNormalizer normalizer = checkpoints.readNormalization(r).observations();
    if (!discrete) {
      System.out.println("evaluate: " + config.env().id() + " has continuous actions; evaluation trajectories "
          + "are written for discrete actions only, so only the summary is produced");
    }
    List<EvalTask.Episode> result = new Rollout(jsc, config).evaluate(actor, normalizer, k, greedy,
        "evaluate round " + r + ": " + k + (greedy ? " greedy" : " stochastic") + " episodes",
        discrete ? new EvalOutput(dir, state.policyVersion(), critic) : null);
    return new Result(r, greedy, EvalSummary.of(result), dir, manifest.read(r));
  }

  /** An option's whole-number value, at least {@code min}; null when the option is not given. */
  private static Integer whole(String option, String text, int min) {
    if (text == null) {
      return null;
    }
    int v;
    try {
      v = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new Main.UsageException("evaluate: " + option + " = " + text + ": not a whole number");
    }
    if (v < min) {
      throw new Main.UsageException("evaluate: " + option + " = " + v + ": must be >= " + min);
    }
    return v;
  }

  /** Shortest text that reads back as the same double: the figure, not a rounding of it. */
  private static String num(double v) {
    return Double.toString(v);
  }
}
