package io.sparkac.policy;

import java.util.SplittableRandom;

/**
 * A diagonal Gaussian policy over a continuous (Box) action space, from network outputs laid out
 * per row as {@code [mean_1..mean_d, logstd_1..logstd_d]}.
 *
 * <p>The log-std is the second half of the actor's output layer, state-independent as SB3's and
 * CleanRL's {@code log_std} parameter: the weights into its units are held at zero
 * ({@link io.sparkac.nn.StateIndependentLogStd}, which says why), so it is their bias alone,
 * starting at {@code network.log-std-init}. A state-dependent head, fitted for several epochs on
 * each round, collapsed to the lower clamp on Pendulum-v1 while the mean had not learned. This
 * class reads it per row all the same, and clamps it to [{@link #LOG_STD_MIN},
 * {@link #LOG_STD_MAX}] in sampling and in the loss alike.
 *
 * <p>The sampled action is stored unclipped ({@code action_vec}) and its log-probability is that
 * of the unclipped sample; only the environment sees the action clipped to its bounds.
 */
public final class GaussianPolicy {
  public static final double LOG_STD_MIN = -5.0;
  public static final double LOG_STD_MAX = 2.0;
  private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

  private GaussianPolicy() {}

  public static double clampLogStd(double s) {
    return Math.max(LOG_STD_MIN, Math.min(LOG_STD_MAX, s));
  }

  /**
   * Samples a = mean + std * N(0, 1) per dimension into {@code action} and returns log pi(a).
   * The standard normals come from {@code rng} in dimension order.
   */
  public static double sample(float[] out, int offset, int d, SplittableRandom rng, float[] action) {
    double logp = 0;
    for (int i = 0; i < d; i++) {
      double mean = out[offset + i];
      double logStd = clampLogStd(out[offset + d + i]);
      double z = rng.nextGaussian();
      float a = (float) (mean + Math.exp(logStd) * z);
      action[i] = a;
      logp += logProb(a, mean, logStd);
    }
    return logp;
  }

  /** The mean action (greedy evaluation). */
  public static void mean(float[] out, int offset, int d, float[] action) {
    System.arraycopy(out, offset, action, 0, d);
  }

  /** log N(a; mean, exp(logStd)^2) of one dimension. */
  public static double logProb(double a, double mean, double logStd) {
    double z = (a - mean) * Math.exp(-logStd);
    return -0.5 * z * z - logStd - HALF_LOG_2PI;
  }

  /** log pi(action) of a row, with the stored action. */
  public static double logProb(float[] out, int offset, int d, float[] actions, int actionOffset) {
    double logp = 0;
    for (int i = 0; i < d; i++) {
      logp += logProb(actions[actionOffset + i], out[offset + i], clampLogStd(out[offset + d + i]));
    }
    return logp;
  }

  /** Entropy of a row's Gaussian: sum_i (logstd_i + 0.5 log(2 pi e)). */
  public static double entropy(float[] out, int offset, int d) {
    double h = 0;
    for (int i = 0; i < d; i++) {
      h += clampLogStd(out[offset + d + i]) + HALF_LOG_2PI + 0.5;
    }
    return h;
  }

  /** Clips an action to the box [low, high] for the environment. */
  public static void clip(float[] action, float[] low, float[] high, float[] out) {
    for (int i = 0; i < action.length; i++) {
      out[i] = Math.max(low[i], Math.min(high[i], action[i]));
    }
  }
}
