package io.sparkac.numeric;

import java.io.Serializable;

/**
 * Count, mean and sum of squared deviations (m2) of some values, and {@link #plus}, Chan et al.'s
 * pairwise merge ("Updating formulae and a pairwise algorithm for computing sample variances",
 * 1979), which SB3's {@code RunningMeanStd.update_from_moments} also uses. The one running-moments
 * type of the project: the observation and reward statistics, the per-actor sums of a streamed
 * round and the advantage normalisation all go through it, so each of them adds up in the same
 * order of operations (checkpointed runs depend on those bits).
 *
 * <p>The count is a double: SB3's running statistics start from a prior count of 1e-4.
 */
public record Moments(double n, double mean, double m2) implements Serializable {
  /** The moments of {@code v[from .. to)}: their mean first, then the squared deviations from it. */
  public static Moments of(double[] v, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += v[i];
    }
    double mean = sum / (to - from);
    double m2 = 0;
    for (int i = from; i < to; i++) {
      m2 += (v[i] - mean) * (v[i] - mean);
    }
    return new Moments(to - from, mean, m2);
  }

  public static Moments of(double[] v) {
    return of(v, 0, v.length);
  }

  /** The moments of each column of rows {@code [from, to)} of a row-major {@code rows x dims} array. */
  public static Moments[] ofColumns(float[] x, int dims, int from, int to) {
    double[] mean = new double[dims];
    for (int i = from; i < to; i++) {
      for (int k = 0; k < dims; k++) {
        mean[k] += x[i * dims + k];
      }
    }
    for (int k = 0; k < dims; k++) {
      mean[k] /= to - from;
    }
    double[] m2 = new double[dims];
    for (int i = from; i < to; i++) {
      for (int k = 0; k < dims; k++) {
        double e = x[i * dims + k] - mean[k];
        m2[k] += e * e;
      }
    }
    Moments[] out = new Moments[dims];
    for (int k = 0; k < dims; k++) {
      out[k] = new Moments(to - from, mean[k], m2[k]);
    }
    return out;
  }

  /**
   * From a count, mean and population variance, the form SB3's running statistics keep (and the
   * checkpoints store): m2 = var * n.
   */
  public static Moments ofVariance(double n, double mean, double var) {
    return new Moments(n, mean, var * n);
  }

  /** The moments of both sets of values together (Chan et al.). */
  public Moments plus(Moments o) {
    double total = n + o.n;
    double delta = o.mean - mean;
    return new Moments(total, mean + delta * o.n / total, m2 + o.m2 + delta * delta * n * o.n / total);
  }

  /** Population variance. */
  public double variance() {
    return m2 / n;
  }

  /** Sample variance (n - 1 in the denominator). */
  public double sampleVariance() {
    return m2 / (n - 1);
  }
}
