package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.trajectory.RowBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/**
 * The driver learner with {@code learner.objective = clipped} on a synthetic round of a Gaussian
 * policy: a single step is A2C's step bit for bit (every ratio is exactly 1 at the sampling
 * policy), and over many epochs the clip keeps the policy nearer the one that sampled the round,
 * deterministically.
 */
class LearnerTest {
  private static final int OBS = 3;
  private static final Space.Box TORQUE = Space.Box.symmetric(2f, 1);

  private static TrainConfig config(String... more) {
    List<String> o = new ArrayList<>(List.of("rollout.actors=1", "rollout.partitions=1", "network.hidden=[32, 32]",
        "network.log-std-init=-0.5", "learner.gamma=0.9"));
    o.addAll(List.of(more));
    return ConfigLoader.parse("", o);
  }

  /** n steps of one actor sampled with {@code actor}: random states, rewards favouring positive actions. */
  private static RowBatch round(MultiLayerNetwork actor, TrainConfig config, int n) {
    Random rng = new Random(17);
    RowBatch d = new RowBatch(n, OBS, 1);
    float[] obs = d.obs();
    float[] next = d.nextObs();
    for (int i = 0; i < obs.length; i++) {
      obs[i] = (float) rng.nextGaussian();
      next[i] = (float) rng.nextGaussian();
    }
    float[] out = new float[n * 2];
    new MlpForward(MlpWeights.of(actor, config.network().activation())).forward(obs, n, out);
    float[] actionVec = d.actionVec();
    double[] logp = d.logp();
    double[] reward = d.reward();
    float[] a = new float[1];
    SplittableRandom gauss = new SplittableRandom(3);
    for (int i = 0; i < n; i++) {
      logp[i] = GaussianPolicy.sample(out, 2 * i, 1, gauss, a);
      actionVec[i] = a[0];
      reward[i] = -(a[0] - obs[i * OBS]) * (a[0] - obs[i * OBS]); // best action: the first observation
    }
    boolean[] terminated = d.terminated();
    boolean[] truncated = d.truncated();
    boolean[] continues = d.continues();
    Arrays.fill(continues, true);
    continues[n - 1] = false;
    truncated[n - 1] = true;
    return d;
  }

  private static MultiLayerNetwork[] update(TrainConfig config, RowBatch d) {
    MultiLayerNetwork actor = Networks.actor(OBS, TORQUE, config);
    MultiLayerNetwork critic = Networks.critic(OBS, config);
    new Learner(config, actor, critic).update(d, 0, null);
    return new MultiLayerNetwork[] {actor, critic};
  }

  /** Mean |log pi(a|s) - action_logp| of the round's samples under {@code actor}. */
  private static double meanAbsLogRatio(MultiLayerNetwork actor, TrainConfig config, RowBatch d) {
    float[] out = new float[d.rows() * 2];
    new MlpForward(MlpWeights.of(actor, config.network().activation())).forward(d.obs(), d.rows(), out);
    double sum = 0;
    for (int i = 0; i < d.rows(); i++) {
      sum += Math.abs(GaussianPolicy.logProb(out, 2 * i, 1, d.actionVec(), i) - d.logp()[i]);
    }
    return sum / d.rows();
  }

  @Test
  void aSingleStepOfTheClippedObjectiveIsA2csStep() {
    TrainConfig a2c = config("learner.minibatch-size=256", "learner.epochs=1");
    TrainConfig clipped = config("learner.minibatch-size=256", "learner.epochs=1", "learner.objective=clipped");
    RowBatch d = round(Networks.actor(OBS, TORQUE, a2c), a2c, 200);

    MultiLayerNetwork[] viaA2c = update(a2c, d);
    MultiLayerNetwork[] viaClipped = update(clipped, d);

    assertThat(viaClipped[0].params()).isEqualTo(viaA2c[0].params());
    assertThat(viaClipped[1].params()).isEqualTo(viaA2c[1].params());
    assertThat(viaClipped[0].params()).isNotEqualTo(Networks.actor(OBS, TORQUE, a2c).params());
  }

  @Test
  void overManyEpochsTheClipKeepsThePolicyNearTheSamplingOne() {
    String[] common = {"learner.minibatch-size=32", "learner.epochs=10", "learner.actor-learning-rate=0.01"};
    TrainConfig a2c = config(common);
    List<String> withClip = new ArrayList<>(List.of(common));
    withClip.add("learner.objective=clipped");
    TrainConfig clipped = config(withClip.toArray(String[]::new));
    RowBatch d = round(Networks.actor(OBS, TORQUE, a2c), a2c, 256);

    double a2cMoved = meanAbsLogRatio(update(a2c, d)[0], a2c, d);
    MultiLayerNetwork once = update(clipped, d)[0];
    double clippedMoved = meanAbsLogRatio(once, clipped, d);
    // no new randomness: the same round gives the same weights (TrainerTest's determinism holds)
    assertThat(update(clipped, d)[0].params()).isEqualTo(once.params());

    assertThat(clippedMoved).as("mean |log rho| after the clipped update").isPositive()
        .isLessThan(0.5 * a2cMoved);
  }

  /**
   * The learner on the training kernel against the DL4J learner ({@code net.fit} per minibatch),
   * three updates on the same rounds: the same statistics and weights to float rounding (the two
   * sum in different orders), for both objectives, with the clip active and inactive.
   */
  @Test
  void theKernelLearnsWhatNetFitLearned() {
    for (String[] more : new String[][] {
        {"learner.max-grad-norm=0.5"},
        {"learner.max-grad-norm=0", "learner.optimizer=rmsprop"},
        {"learner.max-grad-norm=0.5", "learner.objective=clipped", "learner.epochs=3"}}) {
      List<String> o = new ArrayList<>(List.of("learner.minibatch-size=48", "learner.epochs=2"));
      o.addAll(List.of(more));
      TrainConfig c = config(o.toArray(String[]::new));
      MultiLayerNetwork kActor = Networks.actor(OBS, TORQUE, c);
      MultiLayerNetwork kCritic = Networks.critic(OBS, c);
      MultiLayerNetwork dActor = Networks.actor(OBS, TORQUE, c);
      MultiLayerNetwork dCritic = Networks.critic(OBS, c);
      Learner kernel = new Learner(c, kActor, kCritic);
      Learner dl4j = new Learner(c, dActor, dCritic, true);
      RowBatch d = round(kActor, c, 200);
      for (int u = 0; u < 3; u++) {
        LearnerStats k = kernel.update(d, u, null);
        LearnerStats e = dl4j.update(d, u, null);
        String what = Arrays.toString(more) + " update " + u;
        assertThat(k.samples()).isEqualTo(e.samples());
        double[] ks = {k.valueLoss(), k.policyLoss(), k.entropy(), k.explainedVariance(), k.advantageMean(),
            k.advantageStd(), k.criticGradNorm(), k.actorGradNorm()};
        double[] es = {e.valueLoss(), e.policyLoss(), e.entropy(), e.explainedVariance(), e.advantageMean(),
            e.advantageStd(), e.criticGradNorm(), e.actorGradNorm()};
        for (int i = 0; i < ks.length; i++) {
          if (Double.isNaN(es[i])) {
            assertThat(ks[i]).as(what + " stat " + i).isNaN();
          } else {
            assertThat(ks[i]).as(what + " stat " + i).isCloseTo(es[i], org.assertj.core.api.Assertions.within(
                1e-4 * Math.max(1, Math.abs(es[i]))));
          }
        }
        assertParamsClose(what + " actor", kActor, dActor);
        assertParamsClose(what + " critic", kCritic, dCritic);
        assertThat(kActor.getIterationCount()).isEqualTo(dActor.getIterationCount());
        assertThat(kCritic.getIterationCount()).isEqualTo(dCritic.getIterationCount());
      }
    }
  }

  private static void assertParamsClose(String what, MultiLayerNetwork actual, MultiLayerNetwork expected) {
    float[] a = actual.params().data().asFloat();
    float[] e = expected.params().data().asFloat();
    for (int i = 0; i < e.length; i++) {
      assertThat((double) a[i]).as(what + " parameter " + i).isCloseTo(e[i],
          org.assertj.core.api.Assertions.within(1e-4 * Math.max(1, Math.abs(e[i]))));
    }
    float[] sa = actual.getUpdater().getStateViewArray().data().asFloat();
    float[] se = expected.getUpdater().getStateViewArray().data().asFloat();
    double scale = 0;
    for (float v : se) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < se.length; i++) {
      assertThat((double) sa[i]).as(what + " updater state " + i).isCloseTo(se[i],
          org.assertj.core.api.Assertions.within(1e-4 * scale));
    }
  }
}
