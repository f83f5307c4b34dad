package io.sparkac.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CategoricalPolicyTest {

  /** softmax in double, the textbook way (fine for moderate logits). */
  private static double[] softmax(float[] logits, int offset, int n) {
    double[] p = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      p[k] = Math.exp(logits[offset + k]);
      sum += p[k];
    }
    for (int k = 0; k < n; k++) {
      p[k] /= sum;
    }
    return p;
  }

  @Test
  void samplingFrequenciesMatchSoftmaxProbabilities() {
    // the row of interest sits at offset 3 of a larger batch, between other rows
    float[] logits = {9, 9, 9, 0.5f, -1f, 2f, 0.1f, -3f, 9, 9};
    int offset = 3;
    int n = 5;
    double[] p = softmax(logits, offset, n);
    int draws = 200_000;
    long[] counts = new long[n];
    double[] logp = new double[1];
    SplittableRandom rng = new SplittableRandom(12345);
    for (int i = 0; i < draws; i++) {
      int a = CategoricalPolicy.sample(logits, offset, n, rng.nextDouble(), logp);
      assertThat(a).isBetween(0, n - 1);
      counts[a]++;
      if (i < 1000) {
        assertThat(logp[0]).isCloseTo(Math.log(p[a]), within(1e-12));
      }
    }
    for (int k = 0; k < n; k++) {
      // count ~ Binomial(draws, p_k): within 5 standard deviations (a false alarm about once in
      // 1.7 million runs per action; the seed is fixed anyway)
      double mean = draws * p[k];
      double sd = Math.sqrt(draws * p[k] * (1 - p[k]));
      assertThat((double) counts[k]).as("action %d, p = %s", k, p[k]).isCloseTo(mean, within(5 * sd));
    }
  }

  @Test
  void samplingInvertsTheCumulativeDistribution() {
    // p = [0.25, 0.25, 0.5]: u in [0, 0.25) -> 0, [0.25, 0.5) -> 1, [0.5, 1) -> 2
    float[] logits = {0f, 0f, (float) Math.log(2)};
    double[] logp = new double[1];
    assertThat(CategoricalPolicy.sample(logits, 0, 3, 0.0, logp)).isZero();
    assertThat(CategoricalPolicy.sample(logits, 0, 3, 0.2499, logp)).isZero();
    assertThat(logp[0]).isCloseTo(Math.log(0.25), within(1e-7));
    assertThat(CategoricalPolicy.sample(logits, 0, 3, 0.2501, logp)).isEqualTo(1);
    assertThat(CategoricalPolicy.sample(logits, 0, 3, 0.4999, logp)).isEqualTo(1);
    assertThat(CategoricalPolicy.sample(logits, 0, 3, 0.5001, logp)).isEqualTo(2);
    assertThat(logp[0]).isCloseTo(Math.log(0.5), within(1e-7));
    assertThat(CategoricalPolicy.sample(logits, 0, 3, Math.nextDown(1.0), logp)).isEqualTo(2);
  }

  @Test
  void logpOfSampleAndGreedyMatchLogSoftmax() {
    SplittableRandom rng = new SplittableRandom(5);
    double[] logp = new double[1];
    double[] all = new double[6];
    for (int trial = 0; trial < 1000; trial++) {
      int n = 2 + rng.nextInt(5);
      float[] logits = new float[n];
      for (int k = 0; k < n; k++) {
        logits[k] = (float) (4 * rng.nextDouble() - 2);
      }
      double[] p = softmax(logits, 0, n);
      CategoricalPolicy.logProbs(logits, 0, n, all);
      for (int k = 0; k < n; k++) {
        assertThat(all[k]).isCloseTo(Math.log(p[k]), within(1e-12));
      }
      int a = CategoricalPolicy.sample(logits, 0, n, rng.nextDouble(), logp);
      assertThat(logp[0]).isEqualTo(all[a]);
      int g = CategoricalPolicy.greedy(logits, 0, n, logp);
      assertThat(logp[0]).isCloseTo(all[g], within(1e-15));
    }
  }

  @Test
  void greedyReturnsTheArgmaxAndTheFirstOnTies() {
    double[] logp = new double[1];
    assertThat(CategoricalPolicy.greedy(new float[] {0.1f, 2.5f, -1f, 2.4f}, 0, 4, logp)).isEqualTo(1);
    assertThat(CategoricalPolicy.greedy(new float[] {-5f, -3f, -4f}, 0, 3, logp)).isEqualTo(1);
    assertThat(CategoricalPolicy.greedy(new float[] {1f, 3f, 3f, 0f}, 0, 4, logp)).isEqualTo(1);
    // p = [e^1, e^3, e^3, 1] / sum -> log p_1 = 3 - log(e + 2 e^3 + 1)
    assertThat(logp[0]).isCloseTo(3 - Math.log(Math.E + 2 * Math.exp(3) + 1), within(1e-12));
    // offset: the row [7, 8] of {0, 9, 7, 8}
    assertThat(CategoricalPolicy.greedy(new float[] {0f, 9f, 7f, 8f}, 2, 2, logp)).isEqualTo(1);
  }

  @Test
  void logProbsExponentiateToOne() {
    SplittableRandom rng = new SplittableRandom(9);
    double[] out = new double[8];
    for (int trial = 0; trial < 1000; trial++) {
      int n = 1 + rng.nextInt(8);
      float[] logits = new float[n];
      for (int k = 0; k < n; k++) {
        logits[k] = (float) (rng.nextDouble() * 60 - 30);
      }
      CategoricalPolicy.logProbs(logits, 0, n, out);
      double sum = 0;
      for (int k = 0; k < n; k++) {
        assertThat(out[k]).isLessThanOrEqualTo(0);
        sum += Math.exp(out[k]);
      }
      assertThat(sum).isCloseTo(1, within(1e-12));
    }
  }

  @Test
  void extremeLogitsStayFinite() {
    float[] logits = {1000f, -1000f, 0f};
    double[] out = new double[3];
    CategoricalPolicy.logProbs(logits, 0, 3, out);
    // log p = z - 1000 - log(1 + e^-2000 + e^-1000) = z - 1000 in double
    assertThat(out).containsExactly(new double[] {0, -2000, -1000}, within(1e-9));

    double[] logp = new double[1];
    for (double u : new double[] {0.0, 0.5, Math.nextDown(1.0)}) {
      assertThat(CategoricalPolicy.sample(logits, 0, 3, u, logp)).isZero();
      assertThat(logp[0]).isCloseTo(0, within(1e-12));
    }
    assertThat(CategoricalPolicy.greedy(logits, 0, 3, logp)).isZero();
    assertThat(logp[0]).isCloseTo(0, within(1e-12));

    // all huge and equal: uniform, not NaN (exp(1000) overflows without the max shift)
    float[] big = {1000f, 1000f, 1000f, 1000f};
    double[] out4 = new double[4];
    CategoricalPolicy.logProbs(big, 0, 4, out4);
    assertThat(out4).containsExactly(new double[] {-Math.log(4), -Math.log(4), -Math.log(4), -Math.log(4)},
        within(1e-12));
    assertThat(CategoricalPolicy.sample(big, 0, 4, 0.6, logp)).isEqualTo(2);
    assertThat(logp[0]).isCloseTo(-Math.log(4), within(1e-12));
    float[] tiny = {-1000f, -1001f};
    CategoricalPolicy.logProbs(tiny, 0, 2, out);
    assertThat(out[0]).isCloseTo(-Math.log1p(Math.exp(-1)), within(1e-12));
    assertThat(out[1]).isCloseTo(-1 - Math.log1p(Math.exp(-1)), within(1e-12));
  }
}
