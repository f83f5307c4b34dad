package io.sparkac.trajectory;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rows a rollout task returns with its results are, column by column and bit for bit, what
 * {@link TrajectoryReader#readRound} reads back from the Parquet the same tasks wrote: the driver's
 * learner gets the same input without the read job.
 */
class RowBatchTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0}, {1} partition(s), normalised observations: {2}")
  @CsvSource({
      "CartPole-v1, 1, false",
      "CartPole-v1, 2, true",
      "CartPole-v1, 3, false",
      "Pendulum-v1, 1, true",
      "Pendulum-v1, 3, true",
      "MountainCarContinuous-v0, 2, false",
  })
  void theRowsReturnedByTheRolloutAreTheRowsReadBack(String env, int partitions, boolean normalized) {
    TrainConfig config = ConfigLoader.parse("", List.of("run.dir=\"" + tmp.resolve("run") + "\"", "run.id=chunks",
        "env.id=\"" + env + "\"", "rollout.actors=6", "rollout.steps-per-actor=40",
        "rollout.partitions=" + partitions, "normalize.observations=" + normalized));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    Environment probe = Environments.create(config.env());
    int obsSize = probe.observationSpace().flatSize();
    MlpWeights actor = MlpWeights.of(Networks.actor(obsSize, probe.actionSpace(), config),
        config.network().activation());
    MlpWeights critic = MlpWeights.of(Networks.critic(obsSize, config), config.network().activation());
    ObservationNormalizer normalizer = null;
    if (normalized) {
      double[] mean = new double[obsSize];
      double[] var = new double[obsSize];
      for (int k = 0; k < obsSize; k++) {
        mean[k] = 0.1 * (k + 1);
        var[k] = 0.5 + k;
      }
      normalizer = new ObservationNormalizer(mean, var, 100, config.normalize().clip());
    }
    Rollout rollout = new Rollout(jsc, config);

    // Two rounds: the second continues the first's episodes (t does not start at 0 there).
    ActorSnapshot[] actors = null;
    for (int round = 0; round < 2; round++) {
      String dir = tmp.resolve("round=" + round).toString();
      List<RolloutResult> parts = rollout.run(new PolicySnapshot(round, round, actor, critic, normalizer, actors),
          dir, true);
      assertThat(parts).hasSize(partitions).allSatisfy(p -> assertThat(p.chunk()).isNotNull());
      RowBatch returned = RowBatch.merge(parts.stream().map(RolloutResult::chunk).toList());
      RowBatch read = TrajectoryReader.readRound(SparkTestSession.get(), dir);

      assertThat(returned.rows()).isEqualTo(read.rows()).isEqualTo(240);
      assertThat(returned.obsSize()).isEqualTo(read.obsSize()).isEqualTo(obsSize);
      assertThat(returned.actionSize()).isEqualTo(read.actionSize());
      assertThat(returned.actorId()).isEqualTo(read.actorId());
      assertThat(returned.episodeId()).isEqualTo(read.episodeId());
      assertThat(returned.t()).isEqualTo(read.t());
      assertThat(returned.obs()).isEqualTo(read.obs());
      assertThat(returned.nextObs()).isEqualTo(read.nextObs());
      assertThat(returned.action()).isEqualTo(read.action());
      assertThat(returned.actionVec()).isEqualTo(read.actionVec());
      assertThat(returned.reward()).isEqualTo(read.reward());
      assertThat(returned.terminated()).isEqualTo(read.terminated());
      assertThat(returned.truncated()).isEqualTo(read.truncated());
      assertThat(returned.continues()).isEqualTo(read.continues());
      assertThat(returned.logp()).isEqualTo(read.logp());
      assertThat(returned.vfPred()).isEqualTo(read.vfPred());
      assertThat(returned.continuous()).isEqualTo(!env.equals("CartPole-v1"));
      if (round == 1 && env.equals("CartPole-v1")) {
        assertThat(returned.continues()).as("episodes end and continue within a round").contains(true, false);
      }

      List<ActorSnapshot> next = new ArrayList<>();
      parts.forEach(p -> next.addAll(List.of(p.snapshots())));
      actors = next.toArray(ActorSnapshot[]::new);
    }
  }

  /** Rows are packed by column name: a scan with the file's columns, in the file's order, packs the same. */
  @Test
  void packReadsTheColumnsByName() {
    TrainConfig config = ConfigLoader.parse("", List.of("run.dir=\"" + tmp.resolve("run") + "\"",
        "env.id=\"Pendulum-v1\"", "rollout.actors=3", "rollout.steps-per-actor=8", "rollout.partitions=2"));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    Environment probe = Environments.create(config.env());
    MlpWeights actor = MlpWeights.of(Networks.actor(3, probe.actionSpace(), config), config.network().activation());
    MlpWeights critic = MlpWeights.of(Networks.critic(3, config), config.network().activation());
    String dir = tmp.resolve("round=0").toString();
    List<RolloutResult> parts = new Rollout(jsc, config).run(new PolicySnapshot(0, 0, actor, critic, null, null),
        dir, true);
    RowBatch returned = RowBatch.merge(parts.stream().map(RolloutResult::chunk).toList());

    List<RowBatch> packed = SparkTestSession.get().read().parquet(dir).javaRDD().mapPartitions(RowBatch::pack)
        .collect();
    RowBatch read = RowBatch.merge(packed);

    assertThat(read.rows()).isEqualTo(returned.rows()).isEqualTo(24);
    assertThat(read.actionSize()).isEqualTo(returned.actionSize()).isEqualTo(1);
    assertThat(read.actorId()).isEqualTo(returned.actorId());
    assertThat(read.episodeId()).isEqualTo(returned.episodeId());
    assertThat(read.t()).isEqualTo(returned.t());
    assertThat(read.obs()).isEqualTo(returned.obs());
    assertThat(read.nextObs()).isEqualTo(returned.nextObs());
    assertThat(read.action()).isEqualTo(returned.action());
    assertThat(read.actionVec()).isEqualTo(returned.actionVec());
    assertThat(read.reward()).isEqualTo(returned.reward());
    assertThat(read.logp()).isEqualTo(returned.logp());
    assertThat(read.vfPred()).isEqualTo(returned.vfPred());
    assertThat(read.continues()).isEqualTo(returned.continues());
  }

  @Test
  void withoutReturnRowsTheResultsCarryNoRows() {
    TrainConfig config = ConfigLoader.parse("", List.of("run.dir=\"" + tmp.resolve("run") + "\"",
        "rollout.actors=2", "rollout.steps-per-actor=8"));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    MlpWeights actor = MlpWeights.of(Networks.actor(4, 2, config), config.network().activation());
    MlpWeights critic = MlpWeights.of(Networks.critic(4, config), config.network().activation());
    List<RolloutResult> parts = new Rollout(jsc, config).run(new PolicySnapshot(0, 0, actor, critic, null, null),
        tmp.resolve("round=0").toString(), false);
    assertThat(parts).allSatisfy(p -> assertThat(p.chunk()).isNull());
  }
}
