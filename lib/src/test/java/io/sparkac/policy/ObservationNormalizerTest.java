package io.sparkac.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The running observation statistics against SB3's {@code RunningMeanStd} (re-implemented below,
 * from {@code stable_baselines3/common/running_mean_std.py}) and against the moments of all rows
 * computed in one pass; normalisation and clipping; immutability.
 */
class ObservationNormalizerTest {
  private static final double PRIOR_COUNT = 1e-4;

  /** SB3's RunningMeanStd(epsilon=1e-4, shape=(d,)): update(x) = update_from_moments(mean(x), var(x), len(x)). */
  private static final class Sb3RunningMeanStd {
    double[] mean;
    double[] var;
    double count = PRIOR_COUNT;

    Sb3RunningMeanStd(int d) {
      mean = new double[d];
      var = new double[d];
      Arrays.fill(var, 1.0);
    }

    void update(float[] x, int rows) {
      int d = mean.length;
      double[] batchMean = new double[d];
      double[] batchVar = new double[d];
      for (int k = 0; k < d; k++) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
          s += x[r * d + k];
        }
        batchMean[k] = s / rows;
        double v = 0;
        for (int r = 0; r < rows; r++) {
          v += (x[r * d + k] - batchMean[k]) * (x[r * d + k] - batchMean[k]);
        }
        batchVar[k] = v / rows; // np.var: the population variance
      }
      // update_from_moments
      double totCount = count + rows;
      for (int k = 0; k < d; k++) {
        double delta = batchMean[k] - mean[k];
        double newMean = mean[k] + delta * rows / totCount;
        double mA = var[k] * count;
        double mB = batchVar[k] * rows;
        double m2 = mA + mB + delta * delta * count * rows / totCount;
        mean[k] = newMean;
        var[k] = m2 / totCount;
      }
      count = totCount;
    }
  }

  /** Rows of 3 observations with different scales and offsets, like Pendulum's [cos, sin, thdot]. */
  private static float[] observations(Random rng, int rows) {
    float[] x = new float[rows * 3];
    for (int r = 0; r < rows; r++) {
      x[r * 3] = (float) (0.5 + 0.3 * rng.nextGaussian());
      x[r * 3 + 1] = (float) (-2 + 0.01 * rng.nextGaussian());
      x[r * 3 + 2] = (float) (100 + 8 * rng.nextGaussian());
    }
    return x;
  }

  @Test
  void mergingBatchesOneByOneEqualsAllRowsAtOnceAndSb3() {
    Random rng = new Random(5);
    int[] batchRows = {1, 7, 128, 33, 256, 2};
    int total = Arrays.stream(batchRows).sum();
    float[] all = observations(rng, total);

    ObservationNormalizer incremental = ObservationNormalizer.initial(3, 10);
    Sb3RunningMeanStd sb3 = new Sb3RunningMeanStd(3);
    int start = 0;
    for (int rows : batchRows) {
      float[] batch = Arrays.copyOfRange(all, start * 3, (start + rows) * 3);
      incremental = incremental.update(batch, rows);
      sb3.update(batch, rows);
      start += rows;
    }
    ObservationNormalizer atOnce = ObservationNormalizer.initial(3, 10).update(all, total);

    // the moments of all rows together with the prior (count 1e-4, mean 0, variance 1) as
    // pseudo-observations: mean = sum x / N', E[x^2] = (1e-4 * 1 + sum x^2) / N', var = E[x^2] - mean^2
    double n = total + PRIOR_COUNT;
    for (int k = 0; k < 3; k++) {
      double sum = 0;
      double sumSq = 0;
      for (int r = 0; r < total; r++) {
        sum += all[r * 3 + k];
        sumSq += (double) all[r * 3 + k] * all[r * 3 + k];
      }
      double mean = sum / n;
      double var = (PRIOR_COUNT * 1.0 + sumSq) / n - mean * mean;
      double tolerance = 1e-9 * Math.max(1, Math.abs(mean));
      assertThat(incremental.mean()[k]).as("mean %d", k).isCloseTo(mean, within(tolerance));
      assertThat(atOnce.mean()[k]).as("mean %d", k).isCloseTo(mean, within(tolerance));
      assertThat(sb3.mean[k]).as("mean %d", k).isCloseTo(mean, within(tolerance));
      // E[x^2] - mean^2 loses digits when the mean is large (1e4 for dim 2): relative 1e-9 of E[x^2]
      double varTolerance = 1e-9 * Math.max(var, (PRIOR_COUNT + sumSq) / n);
      assertThat(incremental.var()[k]).as("var %d", k).isCloseTo(var, within(varTolerance));
      assertThat(atOnce.var()[k]).as("var %d", k).isCloseTo(var, within(varTolerance));
      // SB3's update, step for step, to round-off
      assertThat(incremental.mean()[k]).isCloseTo(sb3.mean[k], within(1e-12 * Math.max(1, Math.abs(mean))));
      assertThat(incremental.var()[k]).isCloseTo(sb3.var[k], within(1e-12 * Math.max(1, var)));
    }
    assertThat(incremental.count()).isCloseTo(n, within(1e-9));
    assertThat(atOnce.count()).isCloseTo(n, within(1e-9));
    // the prior matters a little for tiny counts: one observation x gives mean x / (1 + 1e-4)
    ObservationNormalizer one = ObservationNormalizer.initial(1, 10).update(new float[] {5f}, 1);
    assertThat(one.mean()[0]).isCloseTo(5 / (1 + PRIOR_COUNT), within(1e-12));
    // var = (1e-4 * 1 + 0 + 25 * 1e-4 * 1 / (1 + 1e-4)) / (1 + 1e-4)
    assertThat(one.var()[0]).isCloseTo((PRIOR_COUNT + 25 * PRIOR_COUNT / (1 + PRIOR_COUNT)) / (1 + PRIOR_COUNT),
        within(1e-15));
  }

  @Test
  void applyNormalisesAndClips() {
    ObservationNormalizer n = new ObservationNormalizer(new double[] {1, -2}, new double[] {4, 0.25}, 10, 5);
    float[] in = {3f, -2f, 1f, -1f, 100f, -100f};
    float[] out = n.applied(in, 3);
    double eps = 1e-8;
    assertThat(out[0]).isCloseTo((float) (2 / Math.sqrt(4 + eps)), within(1e-7f));
    assertThat(out[1]).isCloseTo(0f, within(0f));
    assertThat(out[2]).isCloseTo(0f, within(0f));
    assertThat(out[3]).isCloseTo((float) (1 / Math.sqrt(0.25 + eps)), within(1e-6f));
    assertThat(out[4]).isEqualTo(5f); // (100 - 1) / 2 = 49.5 clipped to 5
    assertThat(out[5]).isEqualTo(-5f); // (-100 + 2) / 0.5 = -196 clipped to -5
    // the input is untouched; apply() may also work in place
    assertThat(in).containsExactly(3f, -2f, 1f, -1f, 100f, -100f);
    n.apply(in, in, 3);
    assertThat(in).containsExactly(out);
    // a constant dimension (variance 0) is divided by sqrt(1e-8), not by zero
    ObservationNormalizer flat = new ObservationNormalizer(new double[] {1}, new double[] {0}, 10, 10);
    assertThat(flat.applied(new float[] {1f + 1e-5f}, 1)[0]).isCloseTo(0.1f, within(1e-3f));
    // the first rows of a fresh normaliser pass through: mean 0, variance 1
    assertThat(ObservationNormalizer.initial(2, 10).applied(new float[] {0.3f, -7f}, 1))
        .containsExactly(new float[] {0.3f, -7f}, within(1e-7f));
  }

  @Test
  void updateReturnsANewInstanceAndLeavesTheOldOneUnchanged() {
    ObservationNormalizer before = ObservationNormalizer.initial(3, 10);
    double[] meanBefore = before.mean().clone();
    double[] varBefore = before.var().clone();
    float[] probe = {1f, 2f, 3f};
    float[] normalisedBefore = before.applied(probe, 1);

    ObservationNormalizer after = before.update(observations(new Random(1), 50), 50);

    assertThat(after).isNotSameAs(before).isNotEqualTo(before);
    assertThat(after.mean()).isNotSameAs(before.mean());
    assertThat(after.var()).isNotSameAs(before.var());
    assertThat(before.mean()).containsExactly(meanBefore);
    assertThat(before.var()).containsExactly(varBefore);
    assertThat(before.count()).isEqualTo(PRIOR_COUNT);
    assertThat(before.applied(probe, 1)).containsExactly(normalisedBefore);
    assertThat(after.count()).isCloseTo(50 + PRIOR_COUNT, within(1e-12));
    assertThat(after.clip()).isEqualTo(10);
    // an empty batch changes nothing
    assertThat(after.update(new float[0], 0)).isEqualTo(after);
    // equal statistics are equal values (the checkpoint round-trip relies on it)
    assertThat(new ObservationNormalizer(after.mean().clone(), after.var().clone(), after.count(), 10))
        .isEqualTo(after).hasSameHashCodeAs(after);
  }
}
