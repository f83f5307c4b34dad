package io.sparkac.train;

import static io.sparkac.train.TrainerTest.weights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.EndlessWalk;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.StartMode;
import io.sparkac.storage.FailingFileSystem;
import io.sparkac.testing.SparkTestSession;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round's snapshots, checkpoint and commit are written on the durable writes' thread while the
 * next round rolls out. Their order holds (nothing after a failed write is written), a failed
 * checkpoint or commit reaches the caller as the exception the write threw, the round is not
 * committed, and a resume gives the uninterrupted run's weights.
 */
class DurableWritesTest {
  static final int ROUNDS = 5;
  static final int ROWS_PER_ROUND = 32;

  @TempDir
  Path tmp;

  @AfterEach
  void noMoreFailures() {
    FailingFileSystem.failing = null;
  }

  @Test
  void workRunsInOrderAndNothingRunsAfterAFailureWhichEveryLaterWaitThrowsAsItWas() throws Exception {
    List<String> done = Collections.synchronizedList(new ArrayList<>());
    IllegalStateException boom = new IllegalStateException("boom");
    try (DurableWrites writes = new DurableWrites()) {
      Future<?> first = writes.submit(() -> done.add("snapshots 0"));
      Future<?> second = writes.submit(() -> done.add("checkpoint 0"));
      DurableWrites.await(second);
      DurableWrites.await(first);
      DurableWrites.await(null);
      Future<?> failed = writes.submit(() -> {
        throw boom;
      });
      Future<?> after = writes.submit(() -> done.add("commit 1"));

      assertThat(catchThrowable(() -> DurableWrites.await(after))).isSameAs(boom);
      assertThat(catchThrowable(() -> DurableWrites.await(failed))).isSameAs(boom);
      assertThat(done).containsExactly("snapshots 0", "checkpoint 0");

      // A run that fails for another reason first: the failed write is added to its error.
      RuntimeException rollout = new RuntimeException("rollout failed");
      writes.settle(rollout);
      assertThat(rollout.getSuppressed()).containsExactly(boom);
    }
  }

  @Test
  void settleWaitsForTheWritesUnderWay() throws Exception {
    List<String> done = Collections.synchronizedList(new ArrayList<>());
    try (DurableWrites writes = new DurableWrites()) {
      writes.submit(() -> {
        sleep(200);
        done.add("commit 3");
      });
      RuntimeException rollout = new RuntimeException("rollout of round 4 failed");
      writes.settle(rollout);
      assertThat(done).containsExactly("commit 3");
      assertThat(rollout.getSuppressed()).isEmpty();
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static TrainConfig config(String dir) {
    return ConfigLoader.parse("", List.of("run.dir=\"" + dir + "\"", "run.id=durable",
        "env.class=\"" + EndlessWalk.Healthy.class.getName() + "\"", "rollout.actors=4", "rollout.steps-per-actor=8",
        "rollout.partitions=2", "run.total-steps=" + ROUNDS * ROWS_PER_ROUND, "eval.interval-rounds=0",
        "eval.episodes=1", "learner.minibatch-size=16"));
  }

  static TrainResult train(String dir, StartMode mode) {
    FailingFileSystem.install(SparkTestSession.get().sparkContext().hadoopConfiguration());
    return new Trainer(SparkTestSession.get(), config(dir), mode).run();
  }

  /**
   * Round 2's write of {@code file} (a path under the run folder, a regex) fails: the run stops
   * with the write's own exception, rounds 0 and 1 stay committed, round 2 is not, and a resume
   * ends with the uninterrupted run's weights.
   */
  void aFailedWriteOfRoundTwoStopsTheRunAndItResumes(String file, String what) {
    Path straight = tmp.resolve("straight");
    train(straight.toString(), StartMode.FRESH);
    Path run = tmp.resolve("run");
    String dir = FailingFileSystem.SCHEME + ":" + run;

    FailingFileSystem.failing = Pattern.compile(Pattern.quote(run.toString()) + "/" + file);
    Throwable t = catchThrowable(() -> train(dir, StartMode.FRESH));
    FailingFileSystem.failing = null;

    // the write's own error, as a write on the driver's main thread threw it
    assertThat(t).as(what).isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot write")
        .hasRootCauseMessage("injected failure creating " + dir + "/" + file.replace("\\", ""));
    Manifest manifest = new Manifest(TrainerTest.storage(), RunLayout.of(run.toString()));
    assertThat(manifest.committedRounds()).as("committed after the failed %s", what).containsExactly(0, 1);
    assertThat(manifest.lastCommitted()).isEqualTo(1);
    assertThat(run.resolve("manifest/round-000002.json")).doesNotExist();
    assertThat(run.resolve("actors/round=3")).as("the next round's snapshots wait for the commit").doesNotExist();
    assertThat(weights(run, 1, "actor")).isEqualTo(weights(straight, 1, "actor"));

    TrainResult resumed = train(dir, StartMode.RESUME);
    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2, 3, 4);
    for (String net : List.of("actor", "critic")) {
      assertThat(weights(run, ROUNDS - 1, net)).as(net).isEqualTo(weights(straight, ROUNDS - 1, net));
    }
  }

  @Test
  void aCheckpointThatFailsOffTheCriticalPathStopsTheRunWithItsErrorAndTheRunResumes() {
    aFailedWriteOfRoundTwoStopsTheRunAndItResumes("checkpoints/_round=2\\.tmp/critic\\.zip", "checkpoint");
  }

  @Test
  void aCommitThatFailsAfterItsCheckpointIsInPlaceLeavesTheRoundUncommittedAndTheRunResumes() {
    aFailedWriteOfRoundTwoStopsTheRunAndItResumes("manifest/_round-000002\\.json\\.tmp", "commit");
  }
}
