package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.analysis.CheckpointPolicy;
import io.sparkac.analysis.OffPolicyEvaluation;
import io.sparkac.analysis.TargetPolicy;
import io.sparkac.config.TrainConfig;
import io.sparkac.rollout.EvalTask;
import io.sparkac.rollout.Rollout;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import io.sparkac.testing.SmallRuns;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Off-policy evaluation on a real CartPole run: 8 rounds of 8 actors x 512 steps, with large
 * minibatches (4 updates a round), so that consecutive checkpoints are near each other and each
 * round holds about 100 episodes.
 */
class OpeJobTest {
  private static final Logger log = LoggerFactory.getLogger(OpeJobTest.class);
  @TempDir
  static Path tmp;
  static Path run;
  static TrainConfig config;

  @BeforeAll
  static void train() {
    run = tmp.resolve("run");
    SmallRuns.train(run, "rollout.actors=8", "rollout.steps-per-actor=512", "run.total-steps=32768",
        "learner.minibatch-size=1024", "eval.interval-rounds=100", "eval.episodes=3");
    config = SmallRuns.config(run);
  }

  static SparkSession spark() {
    return SparkTestSession.get();
  }

  static Storage storage() {
    return new Storage(spark().sparkContext().hadoopConfiguration());
  }

  static TargetPolicy checkpoint(int round) {
    return new CheckpointPolicy(run.toString(), round).load(storage());
  }

  /** The policy's mean return over {@code episodes} stochastic episodes (seeds (run seed, EVAL, e)). */
  static double actualReturn(TargetPolicy p, int episodes) {
    List<EvalTask.Episode> eps = new Rollout(JavaSparkContext.fromSparkContext(spark().sparkContext()),
        new Checkpoints(storage(), RunLayout.of(run.toString())).readState(0).configIn(run.toString(), List.of()))
        .evaluate(p.actor(), p.normalizer(), episodes, false, "ope test: " + p.description());
    return eps.stream().mapToDouble(EvalTask.Episode::episodeReturn).average().orElseThrow();
  }

  static OffPolicyEvaluation.Result ope(TargetPolicy target, int first, int last) {
    return OffPolicyEvaluation.evaluate(spark(), run.toString(), target,
        new OffPolicyEvaluation.Options(first, last, 1.0, 1000, 0.95, 1));
  }

  @Test
  void theBehaviourScoredOnItsOwnStepsGivesTheLoggedLogProbabilities() {
    // Round 5 was sampled with checkpoint 4's actor and observation statistics.
    RowBatch d = TrajectoryReader.readRound(spark(), RunLayout.of(run.toString()).trajectoryRound(5).toString());
    double[] logp = new double[d.rows()];
    checkpoint(4).scorer().logProbs(d.obs(), d.rows(), d.action(), d.actionVec(), logp);
    for (int i = 0; i < d.rows(); i++) {
      assertThat(logp[i]).as("row %d", i).isEqualTo(d.logp()[i]);
    }
    double[] other = new double[d.rows()];
    checkpoint(5).scorer().logProbs(d.obs(), d.rows(), d.action(), d.actionVec(), other);
    assertThat(other).isNotEqualTo(logp);
  }

  @Test
  void estimatingTheBehaviourPolicyRecoversItsActualReturn() {
    TargetPolicy behaviour = checkpoint(4);
    OffPolicyEvaluation.Result r = ope(behaviour, 5, 5);
    double actual = actualReturn(behaviour, 300);
    log.info("behaviour (checkpoint 4) on round 5: actual {}\n{}", actual, r.table());
    assertThat(r.episodes()).isGreaterThan(50);
    for (OffPolicyEvaluation.Estimate e : r.estimates()) {
      assertThat(actual).as(e.toString()).isBetween(e.low(), e.high());
    }
  }

  @Test
  void aNearbyCheckpointsWeightedIsAndDoublyRobustIntervalsHoldItsActualReturn() {
    TargetPolicy target = checkpoint(6);
    OffPolicyEvaluation.Result r = ope(target, 5, 5);
    double actual = actualReturn(target, 300);
    log.info("checkpoint 6 on round 5 (sampled by checkpoint 4): actual {}\n{}", actual, r.table());
    for (String estimator : List.of("wis", "dr")) {
      OffPolicyEvaluation.Estimate e = r.estimate(estimator);
      assertThat(actual).as(e.toString()).isBetween(e.low(), e.high());
    }
    OffPolicyEvaluation.Estimate logged = r.estimate("logged");
    assertThat(actual).as("the behaviour's own return is another figure: %s", logged).isGreaterThan(logged.high());
  }

  @Test
  void theJobPrintsATableAndWritesTheSameFiguresAsJson() throws Exception {
    Path out = tmp.resolve("ope.json");
    AnalysisJobsTest.Captured c = AnalysisJobsTest.capture("ope", run.toString(), "--policy", run.toString(),
        "--policy-round", "6", "--rounds", "5..5", "--out", out.toString());
    assertThat(c.status()).as("stderr: %s", c.err()).isZero();
    assertThat(c.out()).contains("checkpoint round 6 of " + run).contains("start in rounds 5..5")
        .contains("wis: weighted per-decision importance sampling").contains("dr: doubly robust, logged critic")
        .contains("95% interval (bootstrap, 1000 resamples)");
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    List<String> keys = new java.util.ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    json.get("estimates").get(0).fieldNames().forEachRemaining(keys::add);
    assertThat(keys).allMatch(k -> k.matches("[a-z]+(_[a-z]+)*"), "snake_case");
    assertThat(json.get("first_round").asInt()).isEqualTo(5);
    assertThat(json.get("estimates")).hasSize(5);
    OffPolicyEvaluation.Result r = ope(checkpoint(6), 5, 5);
    for (int i = 0; i < 5; i++) {
      JsonNode e = json.get("estimates").get(i);
      assertThat(e.get("estimator").asText()).isEqualTo(r.estimates().get(i).estimator());
      assertThat(e.get("estimate").asDouble()).isEqualTo(r.estimates().get(i).estimate());
      assertThat(e.get("ci_low").asDouble()).as("the same seed, the same interval").isEqualTo(r.estimates().get(i).low());
      assertThat(e.get("ci_high").asDouble()).isEqualTo(r.estimates().get(i).high());
    }
  }

  @Test
  void theJobNamesWhatIsWrongWithItsArgumentsAndWritesNothing() {
    Path out = tmp.resolve("bad.json");
    String r = run.toString();
    String o = out.toString();
    assertBad("--rounds = 5..x: expected a round (12) or a range (10..12)", r, "--policy", r, "--rounds", "5..x",
        "--out", o);
    assertBad("--rounds 6..5: the first round is after the last", r, "--policy", r, "--rounds", "6..5", "--out", o);
    assertBad("--rounds 5..9: not committed rounds of " + r + "; committed rounds: 0..7", r, "--policy", r,
        "--rounds", "5..9", "--out", o);
    assertBad("--policy-round 99 is not a committed round of " + r, r, "--policy", r, "--policy-round", "99",
        "--out", o);
    assertBad("--gamma = 0.0: must be in (0, 1]", r, "--policy", r, "--gamma", "0", "--out", o);
    assertBad("--confidence = 95.0: must be in (0, 1)", r, "--policy", r, "--confidence", "95", "--out", o);
    assertBad("--resamples = 0: must be >= 1", r, "--policy", r, "--resamples", "0", "--out", o);
    assertBad("--policy <run-dir> is required", r, "--out", o);
    assertBad("has no committed round", tmp.resolve("nothing").toString(), "--policy", r, "--out", o);
    Path acrobot = tmp.resolve("acrobot");
    SmallRuns.train(acrobot, "env.id=Acrobot-v1", "run.total-steps=128");
    assertBad("the target policy (checkpoint round 0 of " + acrobot + ") was trained on Acrobot-v1; the trajectories"
        + " of " + r + " are CartPole-v1", r, "--policy", acrobot.toString(), "--out", o);
    assertThat(out).doesNotExist();
  }

  static void assertBad(String message, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "ope";
    System.arraycopy(args, 0, all, 1, args.length);
    AnalysisJobsTest.Captured c = AnalysisJobsTest.capture(all);
    assertThat(c.status()).as("exit status of %s; stderr: %s", List.of(args), c.err()).isEqualTo(2);
    assertThat(c.err()).contains(message);
  }
}
