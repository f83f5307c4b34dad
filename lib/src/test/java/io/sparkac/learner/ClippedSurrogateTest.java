package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.nn.GaussianPolicyLoss;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.policy.GaussianPolicy;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PPO's clipped surrogate as the learner applies it before each minibatch step: labels unchanged
 * at the sampling policy (rho exactly 1), and away from it the gradient that
 * {@link GaussianPolicyLoss} gets from the relabelled minibatch against central finite differences
 * of the surrogate in the actor's outputs, with rows on both sides of the clip.
 */
class ClippedSurrogateTest {
  private static final double EPS = 0.2;
  private static final int OBS = 3;
  private static final int D = 2;
  private static final int K = 2 * D;

  private record Samples(float[] x, float[] actionVec, double[] adv, double[] logpOld, int[] rows) {}

  /** n samples of {@code sampler}'s Gaussian policy, in a shuffled minibatch order. */
  private static Samples sample(MultiLayerNetwork sampler, int n, long seed) {
    Random rng = new Random(seed);
    float[] x = new float[n * OBS];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 * rng.nextGaussian());
    }
    float[] out = new float[n * K];
    new MlpForward(MlpWeights.of(sampler, TrainConfig.Activation.TANH)).forward(x, n, out);
    float[] actionVec = new float[n * D];
    double[] logpOld = new double[n];
    double[] adv = new double[n];
    float[] a = new float[D];
    SplittableRandom gauss = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      logpOld[i] = GaussianPolicy.sample(out, i * K, D, gauss, a);
      System.arraycopy(a, 0, actionVec, i * D, D);
      adv[i] = (i % 2 == 0 ? 1 : -1) * (0.2 + rng.nextDouble());
    }
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = (i * 7) % n; // n odd: a permutation
    }
    return new Samples(x, actionVec, adv, logpOld, rows);
  }

  /** The minibatch's inputs and labels [a_1..a_d, A, 0..] in {@code rows} order, as the learner builds them. */
  private static float[][] minibatch(Samples s) {
    int n = s.rows().length;
    float[] xs = new float[n * OBS];
    float[] ys = new float[n * K];
    for (int r = 0; r < n; r++) {
      int i = s.rows()[r];
      System.arraycopy(s.x(), i * OBS, xs, r * OBS, OBS);
      System.arraycopy(s.actionVec(), i * D, ys, r * K, D);
      ys[r * K + D] = (float) s.adv()[i];
    }
    return new float[][] {xs, ys};
  }

  private static ClippedSurrogate surrogate(Samples s) {
    return new ClippedSurrogate(EPS, TrainConfig.Activation.TANH, K, true, D, null, s.actionVec(), s.adv(),
        s.logpOld());
  }

  private static MultiLayerNetwork actor(long seed) {
    TrainConfig config = ConfigLoader.parse("", List.of("run.seed=" + seed, "network.hidden=[16]",
        "network.log-std-init=-0.5"));
    return Networks.actor(OBS, Space.Box.symmetric(2f, D), config);
  }

  @Test
  void atTheSamplingPolicyTheLabelsStayAsTheyAre() {
    MultiLayerNetwork net = actor(1);
    Samples s = sample(net, 31, 5);
    float[][] mb = minibatch(s);
    float[] labels = mb[1].clone();
    ClippedSurrogate surrogate = surrogate(s);
    surrogate.relabel(net, s.rows(), 0, s.rows().length, mb[0], labels);
    assertThat(labels).containsExactly(mb[1]);
    assertThat(surrogate.zeroedFraction()).isZero();
  }

  @Test
  void relabelledGaussianLossGivesTheGradientOfTheClippedSurrogate() {
    MultiLayerNetwork sampler = actor(1);
    // the current actor: the sampler's weights moved so that ratios spread on both sides of the clip
    MultiLayerNetwork now = sampler.clone();
    Nd4j.getRandom().setSeed(3);
    now.setParams(now.params().add(Nd4j.randn(DataType.FLOAT, 1, now.numParams()).muli(0.15f)));
    Samples s = sample(sampler, 61, 9);
    float[][] mb = minibatch(s);
    float[] labels = mb[1].clone();
    ClippedSurrogate surrogate = surrogate(s);
    surrogate.relabel(now, s.rows(), 0, s.rows().length, mb[0], labels);
    int n = s.rows().length;
    assertThat(surrogate.zeroedFraction()).as("rows where the clip is active").isBetween(0.1, 0.9);

    // the current actor's outputs on the minibatch, in double, and the loss's gradient there
    float[] outF = new float[n * K];
    new MlpForward(MlpWeights.of(now, TrainConfig.Activation.TANH)).forward(mb[0], n, outF);
    INDArray out = Nd4j.create(outF, new long[] {n, K}, 'c').castTo(DataType.DOUBLE);
    INDArray y = Nd4j.create(labels, new long[] {n, K}, 'c').castTo(DataType.DOUBLE);
    INDArray grad = new GaussianPolicyLoss(0.0).computeGradient(y, out.dup(), new ActivationIdentity(), null);

    double h = 1e-6;
    int kinks = 0;
    for (int r = 0; r < n; r++) {
      int i = s.rows()[r];
      double[] o = out.getRow(r).toDoubleVector();
      double rho = Math.exp(logProb(o, s, i) - s.logpOld()[i]);
      if (Math.abs(rho - (1 + EPS)) < 1e-4 || Math.abs(rho - (1 - EPS)) < 1e-4) {
        kinks++; // the surrogate is not differentiable at the clip's edges
        continue;
      }
      for (int j = 0; j < K; j++) {
        double[] p = o.clone();
        p[j] += h;
        double plus = -clipped(p, s, i);
        p[j] -= 2 * h;
        double minus = -clipped(p, s, i);
        double numeric = (plus - minus) / (2 * h);
        // labels are floats: w A is rounded to 24 bits
        assertThat(grad.getDouble(r, j)).as("row %d, output %d", r, j)
            .isCloseTo(numeric, within(1e-6 + 1e-6 * Math.abs(numeric)));
      }
    }
    assertThat(kinks).isLessThan(3);
  }

  @Test
  void discreteActionsAreRelabelledOnTheTakenActionOnly() {
    TrainConfig config = ConfigLoader.parse("", List.of("network.hidden=[16]"));
    MultiLayerNetwork sampler = Networks.actor(4, 3, config);
    MultiLayerNetwork now = sampler.clone();
    Nd4j.getRandom().setSeed(4);
    now.setParams(now.params().add(Nd4j.randn(DataType.FLOAT, 1, now.numParams()).muli(0.5f)));
    int n = 41;
    Random rng = new Random(2);
    float[] x = new float[n * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    int[] action = new int[n];
    double[] adv = new double[n];
    double[] logpOld = new double[n];
    float[] logits = new float[n * 3];
    new MlpForward(MlpWeights.of(sampler, TrainConfig.Activation.TANH)).forward(x, n, logits);
    double[] logp = new double[3];
    int[] rows = new int[n];
    float[] labels = new float[n * 3];
    for (int i = 0; i < n; i++) {
      action[i] = rng.nextInt(3);
      adv[i] = rng.nextGaussian();
      io.sparkac.policy.CategoricalPolicy.logProbs(logits, 3 * i, 3, logp);
      logpOld[i] = logp[action[i]];
      rows[i] = i;
      labels[3 * i + action[i]] = (float) adv[i];
    }
    ClippedSurrogate surrogate = new ClippedSurrogate(EPS, TrainConfig.Activation.TANH, 3, false, 0, action, null, adv,
        logpOld);
    float[] same = labels.clone();
    surrogate.relabel(sampler, rows, 0, n, x, same);
    assertThat(same).containsExactly(labels);

    surrogate.relabel(now, rows, 0, n, x, labels);
    new MlpForward(MlpWeights.of(now, TrainConfig.Activation.TANH)).forward(x, n, logits);
    double[] logpNow = new double[n];
    for (int i = 0; i < n; i++) {
      io.sparkac.policy.CategoricalPolicy.logProbs(logits, 3 * i, 3, logp);
      logpNow[i] = logp[action[i]];
    }
    double[] w = OffPolicyCorrection.weights(TrainConfig.Correction.CLIPPED, EPS, 1.0, adv, logpNow, logpOld);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 3; j++) {
        assertThat(labels[3 * i + j]).as("row %d, action %d", i, j)
            .isEqualTo(j == action[i] ? (float) (w[i] * adv[i]) : 0f);
      }
    }
    assertThat(surrogate.zeroedFraction()).isPositive();
  }

  /** log pi(a_i) of the Gaussian with outputs o = [mu_1..mu_d, s_1..s_d], in double. */
  private static double logProb(double[] o, Samples s, int i) {
    double logp = 0;
    for (int k = 0; k < D; k++) {
      logp += GaussianPolicy.logProb(s.actionVec()[i * D + k], o[k], GaussianPolicy.clampLogStd(o[D + k]));
    }
    return logp;
  }

  /** PPO's clipped surrogate of sample i at outputs o, to be maximised. */
  private static double clipped(double[] o, Samples s, int i) {
    double rho = Math.exp(logProb(o, s, i) - s.logpOld()[i]);
    double a = s.adv()[i];
    return Math.min(rho * a, Math.max(1 - EPS, Math.min(1 + EPS, rho)) * a);
  }
}
