package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.Networks;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.StartMode;
import io.sparkac.train.TrainResult;
import io.sparkac.train.Trainer;
import io.sparkac.trajectory.TrajectoryReader;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** learner.mode = spark on the shared local[2] session. */
class SparkLearnerTest {
  @TempDir
  Path tmp;

  private static TrainConfig config(Path run, String... more) {
    List<String> o = new java.util.ArrayList<>(List.of("run.dir=" + run, "run.id=spark-learner", "run.seed=1",
        "rollout.actors=8", "rollout.steps-per-actor=64", "rollout.partitions=2", "run.total-steps=512",
        "learner.minibatch-size=64", "eval.interval-rounds=0", "eval.episodes=2"));
    o.addAll(List.of(more));
    return ConfigLoader.parse("", o);
  }

  /**
   * The executors' targets and advantages are the driver learner's: same losses, entropy,
   * explained variance and advantage moments on the same round and networks. Both then change
   * the weights.
   */
  @Test
  void computesTheSameStatisticsAsTheDriverLearner() {
    Path run = tmp.resolve("round");
    TrainConfig config = config(run);
    new Trainer(SparkTestSession.get(), config, StartMode.FRESH).run();
    String round0 = run.resolve("trajectories").resolve("round=0").toString();

    MultiLayerNetwork a1 = Networks.actor(4, 2, config);
    MultiLayerNetwork c1 = Networks.critic(4, config);
    MultiLayerNetwork a2 = Networks.actor(4, 2, config);
    MultiLayerNetwork c2 = Networks.critic(4, config);
    float[] actorBefore = a2.params().dup().data().asFloat();
    float[] criticBefore = c2.params().dup().data().asFloat();
    LearnerStats driver = new Learner(config, a1, c1).update(TrajectoryReader.readRound(SparkTestSession.get(), round0), 0, null);
    LearnerStats spark = new SparkLearner(SparkTestSession.get(), config, a2, c2).update(round0, 0);

    assertThat(spark.samples()).isEqualTo(driver.samples()).isEqualTo(512);
    assertThat(spark.valueLoss()).isCloseTo(driver.valueLoss(), within(1e-9 * driver.valueLoss()));
    assertThat(spark.policyLoss()).isCloseTo(driver.policyLoss(), within(1e-9));
    assertThat(spark.entropy()).isCloseTo(driver.entropy(), within(1e-12));
    assertThat(spark.explainedVariance()).isCloseTo(driver.explainedVariance(), within(1e-9));
    assertThat(spark.advantageMean()).isCloseTo(driver.advantageMean(), within(1e-9));
    assertThat(spark.advantageStd()).isCloseTo(driver.advantageStd(), within(1e-9));
    assertThat(a2.params().dup().data().asFloat()).isNotEqualTo(actorBefore);
    assertThat(c2.params().dup().data().asFloat()).isNotEqualTo(criticBefore);
    assertThat(a2.params().isNaN().any() || c2.params().isNaN().any()).isFalse();
  }

  /**
   * A short learning test: random CartPole averages about 22; parameter averaging over two tasks
   * must still learn. Many consecutive dl4j-spark fits in one JVM also show that no broadcast
   * clean-up frees the driver's networks (SPARK-35396).
   */
  @Test
  void learnsCartPole() {
    Path run = tmp.resolve("learn");
    TrainConfig config = ConfigLoader.parse("", List.of("run.dir=" + run, "run.seed=1", "learner.mode=spark",
        "rollout.actors=16", "rollout.steps-per-actor=64", "rollout.partitions=2", "run.total-steps=40960",
        "learner.minibatch-size=64", "learner.averaging-frequency=2", "learner.critic-learning-rate=0.005",
        "eval.interval-rounds=5", "eval.episodes=20", "eval.target-return=475"));
    TrainResult result = new Trainer(SparkTestSession.get(), config, StartMode.FRESH).run();
    double best = result.rounds().stream().filter(RoundRecord::evaluated)
        .mapToDouble(r -> r.eval().evalReturnMean()).max().orElse(0);
    assertThat(best).as("best greedy eval mean within 40k steps, learner.mode=spark").isGreaterThanOrEqualTo(150);
  }
}
