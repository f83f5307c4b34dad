package io.sparkac.policy;

import io.sparkac.numeric.Moments;
import java.io.Serializable;

/**
 * Running mean and variance of the observations (SB3's VecNormalize / RunningMeanStd), applied
 * to the inputs of both networks: {@code clip((obs - mean) / sqrt(var + 1e-8), -clip, clip)}.
 * Immutable: the driver merges each round's observations into a new instance after the learner
 * has used the statistics the round was sampled with (Chan et al.'s parallel update), so the
 * rollout, the learner and the evaluation of a round all see the same statistics. Saved with each
 * checkpoint. The trajectory table keeps the raw observations.
 */
public record ObservationNormalizer(double[] mean, double[] var, double count, double clip) implements Serializable {
  /** Added to the variance before the square root. */
  public static final double EPSILON = 1e-8;

  /** Mean 0, variance 1, and a tiny prior count, as SB3's RunningMeanStd(epsilon=1e-4). */
  public static ObservationNormalizer initial(int dims, double clip) {
    double[] var = new double[dims];
    java.util.Arrays.fill(var, 1.0);
    return new ObservationNormalizer(new double[dims], var, 1e-4, clip);
  }

  public int dims() {
    return mean.length;
  }

  /** Normalises {@code rows} rows of {@code in} into {@code out} (may be the same array). */
  public void apply(float[] in, float[] out, int rows) {
    int d = mean.length;
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < d; k++) {
        double v = (in[r * d + k] - mean[k]) / Math.sqrt(var[k] + EPSILON);
        out[r * d + k] = (float) Math.max(-clip, Math.min(clip, v));
      }
    }
  }

  /** A normalised copy. */
  public float[] applied(float[] in, int rows) {
    float[] out = new float[in.length];
    apply(in, out, rows);
    return out;
  }

  /** The statistics with {@code rows} more observations merged in. */
  public ObservationNormalizer update(float[] obs, int rows) {
    if (rows == 0) {
      return this;
    }
    return merge(Moments.ofColumns(obs, mean.length, 0, rows));
  }

  /**
   * The statistics with a batch merged in, given by the moments of each dimension: SB3's
   * {@code update_from_moments(batch_mean, batch_var, batch_count)}, which takes the batch's
   * variance, so the batch's m2 goes through m2 / n and back as there.
   */
  public ObservationNormalizer merge(Moments[] batch) {
    int d = mean.length;
    double[] newMean = new double[d];
    double[] newVar = new double[d];
    double total = count;
    for (int k = 0; k < d; k++) {
      Moments b = batch[k];
      Moments merged = Moments.ofVariance(count, mean[k], var[k])
          .plus(Moments.ofVariance(b.n(), b.mean(), b.variance()));
      newMean[k] = merged.mean();
      newVar[k] = merged.variance();
      total = merged.n();
    }
    return new ObservationNormalizer(newMean, newVar, total, clip);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ObservationNormalizer n && java.util.Arrays.equals(mean, n.mean)
        && java.util.Arrays.equals(var, n.var) && count == n.count && clip == n.clip;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(mean) * 31 + java.util.Arrays.hashCode(var);
  }
}
