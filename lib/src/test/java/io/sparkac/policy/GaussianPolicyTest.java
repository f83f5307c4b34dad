package io.sparkac.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sampling, log-densities and entropy of the diagonal Gaussian policy, without Spark or DL4J. */
class GaussianPolicyTest {
  private static final int DRAWS = 200_000;
  private static final double HALF_LOG_2PI_E = 0.5 * Math.log(2 * Math.PI * Math.E);

  /**
   * One row of network outputs behind another row's worth of junk (offset 6): d = 3 means, then
   * 3 log-stds, one inside the clamp, one above it and one below it.
   */
  private static final float[] OUT = {9, 9, 9, 9, 9, 9, 0.7f, -1.5f, 3f, -0.4f, 3.5f, -8f};
  private static final int OFFSET = 6;
  private static final int D = 3;

  @Test
  void samplesHaveTheHeadsMeanAndTheClampedStandardDeviation() {
    double[] mean = {0.7f, -1.5f, 3f};
    double[] std = {Math.exp(-0.4f), Math.exp(GaussianPolicy.LOG_STD_MAX), Math.exp(GaussianPolicy.LOG_STD_MIN)};
    double[] sum = new double[D];
    double[] sumSq = new double[D];
    float[] a = new float[D];
    SplittableRandom rng = new SplittableRandom(42);
    for (int n = 0; n < DRAWS; n++) {
      GaussianPolicy.sample(OUT, OFFSET, D, rng, a);
      for (int k = 0; k < D; k++) {
        sum[k] += a[k];
        sumSq[k] += (a[k] - mean[k]) * (a[k] - mean[k]);
      }
    }
    for (int k = 0; k < D; k++) {
      double sampleMean = sum[k] / DRAWS;
      double sampleStd = Math.sqrt(sumSq[k] / DRAWS - (sampleMean - mean[k]) * (sampleMean - mean[k]));
      // standard errors: std / sqrt(N) for the mean, about std / sqrt(2N) for the standard deviation
      assertThat(sampleMean).as("mean of dim %d", k).isCloseTo(mean[k], within(5 * std[k] / Math.sqrt(DRAWS)));
      assertThat(sampleStd).as("std of dim %d", k).isCloseTo(std[k], within(5 * std[k] / Math.sqrt(2.0 * DRAWS)));
    }
  }

  @Test
  void theReturnedLogProbabilityIsThatOfTheStoredAction() {
    SplittableRandom rng = new SplittableRandom(3);
    float[] a = new float[D];
    for (int n = 0; n < 1000; n++) {
      double logp = GaussianPolicy.sample(OUT, OFFSET, D, rng, a);
      // the stored (float) action, read back from a row of a longer array, gives the same number bit for bit
      float[] stored = new float[2 * D];
      System.arraycopy(a, 0, stored, D, D);
      assertThat(GaussianPolicy.logProb(OUT, OFFSET, D, stored, D)).isEqualTo(logp);
      // and it is the Gaussian density written out, with the clamped log-stds
      double byHand = 0;
      double[] s = {-0.4f, GaussianPolicy.LOG_STD_MAX, GaussianPolicy.LOG_STD_MIN};
      for (int k = 0; k < D; k++) {
        double sigma = Math.exp(s[k]);
        double e = (double) a[k] - OUT[OFFSET + k]; // in double: float - float would round
        byHand += -e * e / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI));
      }
      assertThat(logp).isCloseTo(byHand, within(1e-12 * Math.max(1, Math.abs(byHand))));
    }
  }

  @Test
  void entropyIsTheSumOfTheClampedLogStdsPlusHalfLog2PiE() {
    assertThat(GaussianPolicy.entropy(OUT, OFFSET, D))
        .isCloseTo(-0.4f + GaussianPolicy.LOG_STD_MAX + GaussianPolicy.LOG_STD_MIN + 3 * HALF_LOG_2PI_E, within(1e-12));
    // one dimension with std 1: 0.5 log(2 pi e) = 1.4189385332046727
    assertThat(GaussianPolicy.entropy(new float[] {5f, 0f}, 0, 1)).isCloseTo(1.4189385332046727, within(1e-15));

    // H = -E[log pi(a)]: the Monte-Carlo estimate agrees within 5 standard errors
    // (Var[log pi] = d / 2 for a d-dimensional Gaussian)
    SplittableRandom rng = new SplittableRandom(11);
    float[] a = new float[D];
    double sum = 0;
    float[] inside = {0.7f, -1.5f, 3f, -0.4f, 0.3f, -2f}; // all log-stds inside the clamp
    for (int n = 0; n < DRAWS; n++) {
      sum -= GaussianPolicy.sample(inside, 0, D, rng, a);
    }
    assertThat(sum / DRAWS).isCloseTo(GaussianPolicy.entropy(inside, 0, D), within(5 * Math.sqrt(D / 2.0 / DRAWS)));
  }

  @Test
  void theGreedyActionIsTheMean() {
    float[] a = new float[D];
    GaussianPolicy.mean(OUT, OFFSET, D, a);
    assertThat(a).containsExactly(0.7f, -1.5f, 3f);
  }

  @Test
  void clipKeepsEachDimensionInItsBounds() {
    float[] low = {-2f, 0f, -1f};
    float[] high = {2f, 1f, 5f};
    float[] out = new float[3];
    GaussianPolicy.clip(new float[] {-2.5f, 0.5f, 7f}, low, high, out);
    assertThat(out).containsExactly(-2f, 0.5f, 5f);
    GaussianPolicy.clip(new float[] {2.0001f, -1e-7f, -1f}, low, high, out);
    assertThat(out).containsExactly(2f, 0f, -1f);
    // the input is left as sampled (the trajectory stores it unclipped)
    float[] sampled = {3f, 3f, 3f};
    GaussianPolicy.clip(sampled, low, high, out);
    assertThat(sampled).containsExactly(3f, 3f, 3f);
    assertThat(out).containsExactly(2f, 1f, 3f);
  }

  @Test
  void theSameGeneratorSeedGivesTheSameSamples() {
    float[] a = new float[D];
    float[] b = new float[D];
    SplittableRandom r1 = new SplittableRandom(99);
    SplittableRandom r2 = new SplittableRandom(99);
    SplittableRandom other = new SplittableRandom(100);
    float[] c = new float[D];
    int differs = 0;
    for (int n = 0; n < 100; n++) {
      double la = GaussianPolicy.sample(OUT, OFFSET, D, r1, a);
      double lb = GaussianPolicy.sample(OUT, OFFSET, D, r2, b);
      GaussianPolicy.sample(OUT, OFFSET, D, other, c);
      assertThat(b).containsExactly(a);
      assertThat(lb).isEqualTo(la);
      if (c[0] != a[0]) {
        differs++;
      }
    }
    assertThat(differs).as("another seed gives other samples").isGreaterThan(90);
  }

  @Test
  void logStdIsClampedToItsRange() {
    assertThat(GaussianPolicy.clampLogStd(-100)).isEqualTo(GaussianPolicy.LOG_STD_MIN);
    assertThat(GaussianPolicy.clampLogStd(100)).isEqualTo(GaussianPolicy.LOG_STD_MAX);
    assertThat(GaussianPolicy.clampLogStd(0.25)).isEqualTo(0.25);
    // an action far in the tail of a clamped-narrow policy has a finite, very negative log-density
    double logp = GaussianPolicy.logProb(new float[] {0f, -50f}, 0, 1, new float[] {1f}, 0);
    assertThat(logp).isFinite().isLessThan(-1e3);
  }
}
