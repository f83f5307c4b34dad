package io.sparkac.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.python.PythonTestEnvs;
import io.sparkac.env.python.PythonWorker;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.StartMode;
import io.sparkac.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training through Python workers on the shared local[2] session, with the numpy-only test
 * CartPole ({@code sparkac_test_envs.cartpole:CartPole}): bit-identical trajectories and weights
 * over 1, 2 and 8 partitions (episodes continue across rounds through pickled environments),
 * {@code env.python-episodes = restart}, a failing step's message, no worker left behind, and a
 * short learning test.
 */
class PythonEnvironmentTrainingTest {
  static final int ROUNDS = 3;
  static final int ACTORS = 8;
  static final int STEPS = 32;

  @TempDir
  Path tmp;

  @BeforeEach
  void python() {
    PythonTestEnvs.assumePython();
  }

  static TrainConfig config(Path run, String target, String... more) {
    List<String> all = new ArrayList<>(List.of("run.dir=\"" + run + "\"", "run.id=python", "run.seed=5",
        "rollout.actors=" + ACTORS, "rollout.steps-per-actor=" + STEPS, "run.total-steps=" + ROUNDS * ACTORS * STEPS,
        "learner.minibatch-size=64", "eval.interval-rounds=2", "eval.episodes=4"));
    all.addAll(PythonTestEnvs.overrides(target));
    all.addAll(List.of(more));
    return ConfigLoader.parse("", all);
  }

  @Test
  void bitIdenticalTrajectoriesAndWeightsOverOneTwoAndEightPartitions() {
    List<Path> runs = new ArrayList<>();
    for (int partitions : new int[] {2, 1, 8}) {
      Path run = tmp.resolve("p" + partitions);
      TrainResult result = TrainerTest.train(config(run, PythonTestEnvs.CARTPOLE, "rollout.partitions=" + partitions),
          StartMode.FRESH);
      assertThat(result.rounds()).hasSize(ROUNDS);
      runs.add(run);
    }
    List<Row> reference = TrainerTest.sortedRows(SparkTestSession.get(), runs.get(0));
    assertThat(reference).hasSize(ROUNDS * ACTORS * STEPS);
    // Episodes continued across rounds: some episode spans two rounds.
    assertThat(reference.stream().filter(r -> r.getInt(r.fieldIndex("round")) > 0 && r.getInt(r.fieldIndex("t")) > 0
        && r.getInt(r.fieldIndex("t")) >= STEPS).count()).as("rows late in an episode that began in an earlier round")
        .isPositive();
    for (Path other : runs.subList(1, runs.size())) {
      assertThat(TrainerTest.sortedRows(SparkTestSession.get(), other)).as("rows of %s", other.getFileName())
          .isEqualTo(reference);
      for (int r = 0; r < ROUNDS; r++) {
        assertThat(TrainerTest.weights(other, r, "actor")).as("actor %d of %s", r, other.getFileName())
            .containsExactly(TrainerTest.weights(runs.get(0), r, "actor"));
        assertThat(TrainerTest.weights(other, r, "critic")).as("critic %d of %s", r, other.getFileName())
            .containsExactly(TrainerTest.weights(runs.get(0), r, "critic"));
      }
    }
    assertThat(PythonWorker.live()).as("task workers still running after the runs").isZero();
  }

  @Test
  void restartEndsEveryEpisodeAtTheRoundBoundaryAsATruncation() {
    Path run = tmp.resolve("restart");
    TrainerTest.train(config(run, PythonTestEnvs.CARTPOLE, "env.python-episodes=restart", "rollout.partitions=2"),
        StartMode.FRESH);
    List<Row> rows = TrainerTest.sortedRows(SparkTestSession.get(), run);
    assertThat(rows).hasSize(ROUNDS * ACTORS * STEPS);
    for (Row r : rows) {
      int t = r.getInt(r.fieldIndex("t"));
      assertThat(t).as("an episode never spans two rounds").isLessThan(STEPS);
    }
    List<Row> last = rows.stream().filter(r -> r.getInt(r.fieldIndex("t")) == STEPS - 1).toList();
    assertThat(rows.stream().filter(r -> r.getBoolean(r.fieldIndex("truncated"))).count())
        .as("truncated rows: at least the episodes cut at round boundaries").isGreaterThanOrEqualTo(last.size());
    assertThat(last).allSatisfy(r -> assertThat(r.getBoolean(r.fieldIndex("truncated"))
        || r.getBoolean(r.fieldIndex("terminated"))).isTrue());
  }

  @Test
  void anExceptionInARolloutStepFailsTheRunNamingTheActorTheStepAndTheTraceback() {
    Path run = tmp.resolve("raises");
    // The 20th step of each task's first environment: actor 0 (task 0) or 4 (task 1), round 0, step 19.
    TrainConfig config = config(run, "sparkac_test_envs.faulty:RaisesInStep", "env.python-kwargs={at_step=20, in_tasks_only=true}",
        "rollout.partitions=2");
    assertThatThrownBy(() -> new Trainer(SparkTestSession.get(), config, StartMode.FRESH).run())
        .rootCause()
        .hasMessageContaining("env.python = \"sparkac_test_envs.faulty:RaisesInStep\", actor ")
        .hasMessageContaining("(round 0, step 19 of the round, stepping): step(")
        .hasMessageContaining("raised an exception in Python:\nTraceback (most recent call last):")
        .hasMessageContaining("in helper_that_fails")
        .hasMessageEndingWith("ValueError: the pole fell off the cart at step 20");
    assertThat(PythonWorker.live()).as("task workers still running after the failed tasks").isZero();
  }

  /**
   * The short learning test through the worker: the configuration of {@code conf/cartpole.conf}
   * (seed 1) on the Python CartPole reaches a greedy evaluation of 475 within 30,720 steps.
   */
  @Test
  void learnsThePythonCartPole() {
    Path run = tmp.resolve("learn");
    TrainConfig config = ConfigLoader.parse("", concat(PythonTestEnvs.overrides(PythonTestEnvs.CARTPOLE),
        "run.dir=\"" + run + "\"", "run.seed=1", "rollout.actors=16", "rollout.steps-per-actor=64",
        "rollout.partitions=2", "run.total-steps=30720", "learner.advantage=gae", "learner.gae-lambda=0.95",
        "learner.minibatch-size=64", "learner.critic-learning-rate=0.005", "learner.max-grad-norm=0.5",
        "eval.interval-rounds=5", "eval.episodes=20", "eval.target-return=475"));
    TrainResult result = TrainerTest.train(config, StartMode.FRESH);
    double best = result.rounds().stream().filter(RoundRecord::evaluated)
        .mapToDouble(r -> r.eval().evalReturnMean()).max().orElse(0);
    assertThat(best).as("best greedy eval mean within 30k steps").isGreaterThanOrEqualTo(475);
  }

  private static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }
}
