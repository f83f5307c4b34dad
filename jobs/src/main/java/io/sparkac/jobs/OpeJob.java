package io.sparkac.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkac.analysis.CheckpointPolicy;
import io.sparkac.analysis.OffPolicyEvaluation;
import io.sparkac.analysis.PolicySource;
import io.sparkac.analysis.TargetPolicy;
import io.sparkac.storage.Storage;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ope <run> --policy <run> [--policy-round N] [--rounds a..b]}: off-policy evaluation of a
 * checkpoint's policy on another (or the same) run's logged trajectories, with
 * {@link OffPolicyEvaluation}: per-decision importance sampling, weighted IS, doubly robust and
 * weighted doubly robust with the logged critic, each with a bootstrap interval over episodes.
 * Prints a table; {@code --out} also writes the figures as JSON.
 */
@Command(name = "ope", header = "Estimate a policy's return from a run's logged trajectories (off-policy).",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "ope <run-dir> --policy <run-dir> [--policy-round N] [--rounds a..b] [--gamma G] [--seed S]"
        + " [--resamples B] [--confidence C] [--out file.json]",
    description = {"Estimate the expected return of a target policy (a committed round's checkpoint) from the"
        + " episodes of <run-dir> that start in --rounds, with per-decision importance sampling (is), weighted IS"
        + " (wis), doubly robust (dr) and weighted doubly robust (wdr) with the logged critic (vf_pred), each with a"
        + " percentile bootstrap interval over episodes."},
    footer = {"%nExamples:", "  ope runs/cartpole --policy runs/cartpole --policy-round 12 --rounds 10..12",
        "  ope runs/cartpole --policy runs/other --rounds 5 --gamma 0.99 --out ope.json"})
final class OpeJob implements Callable<Integer> {
  private static final Pattern ROUNDS = Pattern.compile("(\\d+)(?:\\.\\.(\\d+))?");

  @Parameters(arity = "0..1", paramLabel = "<run-dir>", description = "the run whose trajectories are the data")
  String runDir;

  @Option(names = "--policy", paramLabel = "<run-dir>", description = "the run folder of the target policy")
  String policyDir;

  @Option(names = "--policy-round", paramLabel = "N", description = "the target's checkpoint round (default: its last"
      + " committed round)")
  String policyRoundText;

  @Option(names = "--rounds", paramLabel = "a..b", description = "episodes that start in these rounds (a or a..b;"
      + " default: all committed rounds)")
  String roundsText;

  @Option(names = "--gamma", paramLabel = "G", description = "discount of the return estimated, in (0, 1] (default: 1,"
      + " the undiscounted return that evaluate reports)")
  String gammaText;

  @Option(names = "--seed", paramLabel = "S", description = "the bootstrap's seed (default: 1)")
  String seedText;

  @Option(names = "--resamples", paramLabel = "B", description = "bootstrap resamples (default: 1000)")
  String resamplesText;

  @Option(names = "--confidence", paramLabel = "C", description = "the intervals' coverage, in (0, 1) (default: 0.95)")
  String confidenceText;

  @Option(names = "--out", paramLabel = "file.json", description = "also write the figures as JSON there (any Hadoop"
      + " URI; replaced if it exists)")
  String out;

  @Override
  public Integer call() throws Exception {
    if (runDir == null) {
      throw new Main.UsageException("ope: the run folder of the logged trajectories is required");
    }
    if (policyDir == null) {
      throw new Main.UsageException("ope: --policy <run-dir> is required (the target policy's run folder)");
    }
    Integer policyRound = policyRoundText == null ? null : whole("--policy-round", policyRoundText, 0);
    Integer first = null;
    Integer last = null;
    if (roundsText != null) {
      Matcher m = ROUNDS.matcher(roundsText);
      if (!m.matches()) {
        throw new Main.UsageException("ope: --rounds = " + roundsText + ": expected a round (12) or a range (10..12)");
      }
      first = whole("--rounds", m.group(1), 0);
      last = m.group(2) == null ? first : whole("--rounds", m.group(2), 0);
    }
    double gamma = gammaText == null ? 1.0 : number("--gamma", gammaText);
    long seed = seedText == null ? 1 : whole("--seed", seedText, Integer.MIN_VALUE);
    int resamples = resamplesText == null ? 1000 : whole("--resamples", resamplesText, 1);
    double confidence = confidenceText == null ? 0.95 : number("--confidence", confidenceText);
    OffPolicyEvaluation.Options options;
    try {
      options = new OffPolicyEvaluation.Options(first, last, gamma, resamples, confidence, seed);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("ope: " + e.getMessage());
    }

    SparkSession spark = Sessions.get("sparkac ope " + runDir);
    OffPolicyEvaluation.Result result;
    try {
      result = run(spark, runDir, new CheckpointPolicy(policyDir, policyRound), options);
    } catch (Main.UsageException e) {
      throw e;
    } catch (IllegalArgumentException e) { // the data or the policy do not fit what was asked
      System.err.println("error: ope: " + e.getMessage());
      return 2;
    }
    System.out.print(result.table());
    if (out != null) {
      Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
      byte[] json = JSON.writeValueAsBytes(result.json());
      storage.writeAtomically(new Path(out), o -> o.write(json));
      System.out.println("ope: " + out);
    }
    return 0;
  }

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Loads the target from {@code source} and evaluates it on {@code runDir}'s episodes. */
  static OffPolicyEvaluation.Result run(SparkSession spark, String runDir, PolicySource source,
      OffPolicyEvaluation.Options options) {
    TargetPolicy target = source.load(new Storage(spark.sparkContext().hadoopConfiguration()));
    return OffPolicyEvaluation.evaluate(spark, runDir, target, options);
  }

  private static int whole(String option, String text, int min) {
    int v;
    try {
      v = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new Main.UsageException("ope: " + option + " = " + text + ": not a whole number");
    }
    if (v < min) {
      throw new Main.UsageException("ope: " + option + " = " + v + ": must be >= " + min);
    }
    return v;
  }

  private static double number(String option, String text) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new Main.UsageException("ope: " + option + " = " + text + ": not a number");
    }
  }
}
