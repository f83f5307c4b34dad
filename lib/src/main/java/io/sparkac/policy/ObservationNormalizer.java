package io.sparkac.policy;

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
  private static final double EPSILON = 1e-8;

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
    int d = mean.length;
    double[] batchMean = new double[d];
    double[] batchVar = new double[d];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < d; k++) {
        batchMean[k] += obs[r * d + k];
      }
    }
    for (int k = 0; k < d; k++) {
      batchMean[k] /= rows;
    }
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < d; k++) {
        double e = obs[r * d + k] - batchMean[k];
        batchVar[k] += e * e;
      }
    }
    double total = count + rows;
    double[] newMean = new double[d];
    double[] newVar = new double[d];
    for (int k = 0; k < d; k++) {
      batchVar[k] /= rows;
      double delta = batchMean[k] - mean[k];
      newMean[k] = mean[k] + delta * rows / total;
      double m2 = var[k] * count + batchVar[k] * rows + delta * delta * count * rows / total;
      newVar[k] = m2 / total;
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
