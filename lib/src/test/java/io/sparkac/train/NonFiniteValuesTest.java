package io.sparkac.train;

import static io.sparkac.train.TrainerTest.weights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.EndlessWalk;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunReader;
import io.sparkac.run.RunState;
import io.sparkac.run.StartMode;
import io.sparkac.testing.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NaN or infinite observation, reward, loss or weight stops the run: the error names the round
 * and the quantity, the round is not committed, and the last committed checkpoint stays intact
 * and resumable. The faulty environments ({@link EndlessWalk}) behave like the healthy one until
 * step 4 of round 2, so every run here equals {@link #healthy} up to its fault.
 */
class NonFiniteValuesTest {
  /** Five rounds of 4 actors x 8 steps; evaluation only after the last round. */
  static final int ROUNDS = 5;
  static final int ROWS_PER_ROUND = 32;

  @TempDir
  static Path shared;
  /** An uninterrupted run of the healthy environment. */
  static Path healthy;

  @TempDir
  Path tmp;

  static TrainConfig config(Path dir, Class<?> env, String... overrides) {
    List<String> all = new ArrayList<>(List.of("run.dir=\"" + dir + "\"", "run.id=nonfinite",
        "env.class=\"" + env.getName() + "\"", "rollout.actors=4", "rollout.steps-per-actor=8",
        "rollout.partitions=2", "run.total-steps=" + ROUNDS * ROWS_PER_ROUND, "eval.interval-rounds=0",
        "eval.episodes=1", "learner.minibatch-size=16"));
    all.addAll(List.of(overrides));
    return ConfigLoader.parse("", all);
  }

  static TrainResult train(TrainConfig config, StartMode mode) {
    return new Trainer(SparkTestSession.get(), config, mode).run();
  }

  /** Trains with the faulty environments' code fixed ({@link EndlessWalk#fixed}), their class names kept. */
  static TrainResult trainFixed(TrainConfig config, StartMode mode) {
    EndlessWalk.fixed = true;
    try {
      return train(config, mode);
    } finally {
      EndlessWalk.fixed = false;
    }
  }

  static Throwable trainExpectingFailure(TrainConfig config, StartMode mode) {
    Throwable t = catchThrowable(() -> train(config, mode));
    assertThat(t).as("the run stops").isInstanceOf(NonFiniteValueException.class);
    return t;
  }

  @BeforeAll
  static void trainHealthy() {
    healthy = shared.resolve("healthy");
    train(config(healthy, EndlessWalk.Healthy.class), StartMode.FRESH);
  }

  static Manifest manifest(Path run) {
    return new Manifest(TrainerTest.storage(), RunLayout.of(run.toString()));
  }

  static Checkpoints checkpoints(Path run) {
    return new Checkpoints(TrainerTest.storage(), RunLayout.of(run.toString()));
  }

  /** Round 1's checkpoint is there, loads, and is bit for bit the healthy run's round 1. */
  static void assertRoundOneIsCommittedAndIntact(Path run) {
    assertThat(manifest(run).committedRounds()).containsExactly(0, 1);
    assertThat(run.resolve("checkpoints/round=2")).doesNotExist();
    assertThat(run.resolve("manifest/round-000002.json")).doesNotExist();
    RunState state = checkpoints(run).readState(1);
    assertThat(state.round()).isEqualTo(1);
    assertThat(state.envSteps()).isEqualTo(2L * ROWS_PER_ROUND);
    assertThat(weights(run, 1, "actor")).isEqualTo(weights(healthy, 1, "actor"));
    assertThat(weights(run, 1, "critic")).isEqualTo(weights(healthy, 1, "critic"));
    assertThat(checkpoints(run).readSnapshots(1)).hasSize(4);
  }

  static List<List<Object>> sortedRows(Dataset<Row> df) {
    return df.orderBy("round", "actor_id", "episode_id", "t").collectAsList().stream()
        .map(TrainerTest::withoutExecutor).toList();
  }

  @Test
  void aNanObservationStopsTheRunAndItResumesFromTheLastCommit() {
    Path run = tmp.resolve("nan-obs");
    Throwable t = trainExpectingFailure(config(run, EndlessWalk.NanObservation.class), StartMode.FRESH);

    // Found on an executor; reported on the driver with the round, the quantity and the actor.
    assertThat(t).hasMessageMatching("round 2: observation of actor [0-3] is NaN at obs\\[0\\]");
    assertThat(t.getCause()).as("the failed Spark job").isNotNull();
    assertRoundOneIsCommittedAndIntact(run);

    // Resuming from round 1 with an environment that does not fail gives the uninterrupted run.
    TrainResult resumed = trainFixed(config(run, EndlessWalk.NanObservation.class), StartMode.RESUME);

    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2, 3, 4);
    assertThat(weights(run, ROUNDS - 1, "actor")).isEqualTo(weights(healthy, ROUNDS - 1, "actor"));
    assertThat(weights(run, ROUNDS - 1, "critic")).isEqualTo(weights(healthy, ROUNDS - 1, "critic"));
    SparkSession spark = SparkTestSession.get();
    assertThat(sortedRows(new RunReader(spark, run.toString()).trajectories()))
        .hasSize(ROUNDS * ROWS_PER_ROUND)
        .isEqualTo(sortedRows(new RunReader(spark, healthy.toString()).trajectories()));
  }

  @Test
  void aNanObservationInAsyncModeReachesTheUserAsTheSameError() {
    Path run = tmp.resolve("nan-obs-async");
    Throwable t = trainExpectingFailure(config(run, EndlessWalk.NanObservation.class, "parallel.mode=async",
        "parallel.groups=2"), StartMode.FRESH);

    // Not Spark's "Job aborted due to stage failure" text inside a "rollout job failed": the task's message.
    assertThat(t).hasMessageMatching("round \\d+: observation of actor [0-3] is NaN at obs\\[0\\]");
    assertThat(t.getCause()).as("the failed Spark job").isNotNull();
  }

  @Test
  void anInfiniteRewardStopsTheRunAtTheSameRoundOnEveryResume() throws IOException {
    Path run = tmp.resolve("inf-reward");
    Throwable first = trainExpectingFailure(config(run, EndlessWalk.InfiniteReward.class), StartMode.FRESH);

    assertThat(first).hasMessageMatching("round 2: reward of actor [0-3] is Infinity");
    assertRoundOneIsCommittedAndIntact(run);
    byte[] actorZip = Files.readAllBytes(run.resolve("checkpoints/round=1/actor.zip"));
    byte[] manifestEntry = Files.readAllBytes(run.resolve("manifest/round-000001.json"));

    // The fault is a property of the data, not of the attempt: resuming meets it again, at the
    // same round, and leaves the committed round as it was.
    Throwable again = trainExpectingFailure(config(run, EndlessWalk.InfiniteReward.class), StartMode.RESUME);

    assertThat(again).hasMessageMatching("round 2: reward of actor [0-3] is Infinity");
    assertRoundOneIsCommittedAndIntact(run);
    assertThat(run.resolve("checkpoints/round=1/actor.zip")).hasBinaryContent(actorZip);
    assertThat(run.resolve("manifest/round-000001.json")).hasBinaryContent(manifestEntry);
  }

  @Test
  void aLossThatOverflowsStopsTheRoundBeforeItIsCommittedAndReadersIgnoreIt() {
    Path run = tmp.resolve("huge-reward");
    Throwable t = trainExpectingFailure(config(run, EndlessWalk.HugeReward.class), StartMode.FRESH);

    // A reward of 1e200 is finite; the critic's squared error of its targets is not.
    assertThat(t).hasMessage("round 2: critic value loss is Infinity");
    assertRoundOneIsCommittedAndIntact(run);

    // Round 2 was sampled and written, then the learner failed: its folders are on disk but the
    // round does not exist. Plain Spark sees its rows; the run's reader does not.
    assertThat(run.resolve("trajectories/round=2")).isDirectory();
    assertThat(run.resolve("actors/round=2/snapshots.bin")).isRegularFile();
    SparkSession spark = SparkTestSession.get();
    assertThat(spark.read().parquet(run.resolve("trajectories").toString()).count()).isEqualTo(3L * ROWS_PER_ROUND);
    Dataset<Row> committed = new RunReader(spark, run.toString()).trajectories();
    assertThat(committed.count()).isEqualTo(2L * ROWS_PER_ROUND);
    assertThat(committed.select("round").distinct().orderBy("round").collectAsList())
        .extracting(r -> r.getInt(0)).containsExactly(0, 1);

    // A resume replaces the uncommitted round: no reward of 1e200 is left anywhere.
    trainFixed(config(run, EndlessWalk.HugeReward.class), StartMode.RESUME);

    assertThat(spark.read().parquet(run.resolve("trajectories").toString()).filter("reward > 1").count()).isZero();
    assertThat(weights(run, ROUNDS - 1, "actor")).isEqualTo(weights(healthy, ROUNDS - 1, "actor"));
  }

  @Test
  void weightsThatOverflowStopTheRunAndNothingIsCommitted() {
    Path run = tmp.resolve("huge-step");
    // One minibatch per fit: its loss is computed before the update, so the overflow shows in
    // the weights. RMSProp's first step is 10 x the learning rate (decay 0.99: g / sqrt(0.01 g^2)),
    // 1e39 here, which overflows a float.
    Throwable t = trainExpectingFailure(config(run, EndlessWalk.Healthy.class, "learner.minibatch-size=32",
        "learner.optimizer=rmsprop", "learner.critic-learning-rate=1e38"), StartMode.FRESH);

    assertThat(t).hasMessage("round 0: critic weights contain NaN or Inf");
    assertThat(manifest(run).committedRounds()).isEmpty();
    assertThat(run.resolve("checkpoints/round=0")).doesNotExist();

    // No round was committed: a resume starts the run again from round 0.
    TrainResult resumed = train(config(run, EndlessWalk.Healthy.class, "learner.minibatch-size=32",
        "run.total-steps=" + ROWS_PER_ROUND), StartMode.RESUME);

    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0);
    assertThat(resumed.last().totals().envSteps()).isEqualTo(ROWS_PER_ROUND);
  }
}
