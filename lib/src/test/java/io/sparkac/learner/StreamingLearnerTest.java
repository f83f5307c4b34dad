package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.Networks;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.storage.Storage;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.StartMode;
import io.sparkac.train.TrainResult;
import io.sparkac.train.Trainer;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds larger than {@code learner.driver-max-samples} are streamed, never collected, on the
 * shared local[2] session: 6 actors x 32 steps = 192 samples a round, at most 50 on the driver
 * (blocks of 48: three minibatches of 16).
 */
class StreamingLearnerTest {
  @TempDir
  Path tmp;

  static TrainConfig config(Path run, String... more) {
    List<String> o = new ArrayList<>(List.of("run.dir=\"" + run + "\"", "run.id=streamed", "run.seed=3",
        "rollout.actors=6", "rollout.steps-per-actor=32", "rollout.partitions=2", "run.total-steps=576",
        "learner.minibatch-size=16", "learner.epochs=2", "learner.driver-max-samples=50",
        "normalize.observations=true", "eval.interval-rounds=0", "eval.episodes=2"));
    o.addAll(List.of(more));
    return ConfigLoader.parse("", o);
  }

  static Checkpoints checkpoints(Path run) {
    return new Checkpoints(new Storage(SparkTestSession.get().sparkContext().hadoopConfiguration()),
        RunLayout.of(run.toString()));
  }

  static float[] params(MultiLayerNetwork net) {
    return net.params().dup().data().asFloat();
  }

  /** What must not depend on the partitioning: both networks, the observation statistics, the round stats. */
  record Outcome(float[] actor, float[] critic, float[] actorUpdater, ObservationNormalizer normalizer,
      List<List<Double>> stats, long maxSamples) {}

  static Outcome train(TrainConfig config) {
    Trainer trainer = new Trainer(SparkTestSession.get(), config, StartMode.FRESH);
    TrainResult result = trainer.run();
    Path run = Path.of(config.run().dir());
    Checkpoints c = checkpoints(run);
    int last = result.last().round();
    List<List<Double>> stats = result.rounds().stream().map(r -> List.of(r.losses().valueLoss(), r.losses().policyLoss(), r.losses().entropy(),
        r.losses().explainedVariance(), r.losses().criticGradNorm(), r.losses().actorGradNorm(), (double) r.totals().envSteps())).toList();
    MultiLayerNetwork actor = c.readActor(last);
    return new Outcome(params(actor), params(c.readCritic(last)),
        actor.getUpdater().getStateViewArray().dup().data().asFloat(),
        c.readNormalization(last).observations(), stats, trainer.maxSamplesOnDriver());
  }

  @Test
  void streamedRoundsTrainToTheSameBitsWhateverThePartitioning() {
    Outcome one = train(config(tmp.resolve("p1"), "rollout.partitions=1"));
    Outcome three = train(config(tmp.resolve("p3"), "rollout.partitions=3"));

    assertThat(one.maxSamples()).as("the driver held at most one block of whole minibatches").isEqualTo(48);
    assertThat(three.maxSamples()).isEqualTo(48);
    assertThat(three.actor()).isEqualTo(one.actor());
    assertThat(three.critic()).isEqualTo(one.critic());
    assertThat(three.actorUpdater()).isEqualTo(one.actorUpdater());
    assertThat(three.normalizer()).isEqualTo(one.normalizer());
    assertThat(three.stats()).isEqualTo(one.stats());
    assertThat(one.stats()).hasSize(3).allSatisfy(s -> assertThat(s).allMatch(Double::isFinite));
    assertThat(one.normalizer().count()).as("three rounds of observations merged").isCloseTo(576, within(1e-3));

    MultiLayerNetwork initial = Networks.actor(4, 2, config(tmp.resolve("p1")));
    assertThat(one.actor()).as("the actor learned").isNotEqualTo(params(initial));
  }

  @Test
  void roundsWithinTheBoundAreCollectedAsBefore() {
    Outcome collected = train(config(tmp.resolve("c"), "learner.driver-max-samples=192", "run.total-steps=192"));
    assertThat(collected.maxSamples()).as("a whole round, collected").isEqualTo(192);
  }

  @Test
  void continuousActionsStreamToTheSameBitsWhateverThePartitioning() {
    List<Outcome> outcomes = new ArrayList<>();
    for (int partitions : new int[] {1, 2}) {
      outcomes.add(train(config(tmp.resolve("pendulum-" + partitions), "env.id=\"Pendulum-v1\"",
          "rollout.actors=4", "rollout.partitions=" + partitions, "run.total-steps=256", "learner.epochs=1")));
    }
    assertThat(outcomes.get(0).maxSamples()).isEqualTo(48);
    assertThat(outcomes.get(1).actor()).isEqualTo(outcomes.get(0).actor());
    assertThat(outcomes.get(1).critic()).isEqualTo(outcomes.get(0).critic());
    assertThat(outcomes.get(1).stats()).isEqualTo(outcomes.get(0).stats());
  }

  /**
   * On the same round and networks the streamed update's statistics and observation statistics
   * are the collected learner's, up to rounding (sums in another order); both update the weights.
   */
  @Test
  void computesTheSameStatisticsAsTheCollectedLearner() {
    Path run = tmp.resolve("round");
    TrainConfig config = config(run, "run.total-steps=192");
    new Trainer(SparkTestSession.get(), config, StartMode.FRESH).run();
    String round0 = run.resolve("trajectories").resolve("round=0").toString();
    ObservationNormalizer sampled = new ObservationNormalizer(new double[] {0.1, -0.2, 0.05, 0.3},
        new double[] {0.5, 2.0, 0.01, 1.5}, 50, 10);

    RowBatch data = TrajectoryReader.readRound(SparkTestSession.get(), round0);
    Learner collected = new Learner(config, Networks.actor(4, 2, config), Networks.critic(4, config));
    LearnerStats expected = collected.update(data, 0, sampled);
    Learner streamedLearner = new Learner(config, Networks.actor(4, 2, config), Networks.critic(4, config));
    float[] actorBefore = params(streamedLearner.actor());
    float[] criticBefore = params(streamedLearner.critic());
    StreamingLearner streaming = new StreamingLearner(SparkTestSession.get(), config, streamedLearner);
    StreamingLearner.Update streamed = streaming.update(round0, 0, sampled);
    LearnerStats actual = streamed.stats();

    assertThat(actual.samples()).isEqualTo(expected.samples()).isEqualTo(192);
    assertThat(actual.valueLoss()).isCloseTo(expected.valueLoss(), within(1e-9 * expected.valueLoss()));
    assertThat(actual.policyLoss()).isCloseTo(expected.policyLoss(), within(1e-9));
    assertThat(actual.entropy()).isCloseTo(expected.entropy(), within(1e-12));
    assertThat(actual.explainedVariance()).isCloseTo(expected.explainedVariance(), within(1e-9));
    assertThat(actual.advantageMean()).isCloseTo(expected.advantageMean(), within(1e-9));
    assertThat(actual.advantageStd()).isCloseTo(expected.advantageStd(), within(1e-9));
    assertThat(streaming.maxSamplesHeld()).isEqualTo(48);

    ObservationNormalizer want = sampled.update(data.obs(), data.rows());
    ObservationNormalizer got = streamed.normalizer();
    assertThat(got.count()).isEqualTo(want.count());
    for (int k = 0; k < 4; k++) {
      assertThat(got.mean()[k]).isCloseTo(want.mean()[k], within(1e-12));
      assertThat(got.var()[k]).isCloseTo(want.var()[k], within(1e-12 * want.var()[k]));
    }
    assertThat(params(streamedLearner.actor())).isNotEqualTo(actorBefore);
    assertThat(params(streamedLearner.critic())).isNotEqualTo(criticBefore);
  }
}
