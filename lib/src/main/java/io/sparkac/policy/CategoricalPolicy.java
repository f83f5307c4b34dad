package io.sparkac.policy;

/**
 * Sampling from a softmax policy given its logits, in double precision: the log-probability of
 * the sampled action is what the trajectory stores as {@code action_logp}.
 */
public final class CategoricalPolicy {
  private CategoricalPolicy() {}

  /**
   * Samples an action from softmax(logits[offset .. offset+n)) by inversion with the uniform
   * {@code u} in [0, 1), and returns it; {@code logpOut[0]} receives log pi(action).
   */
  public static int sample(float[] logits, int offset, int n, double u, double[] logpOut) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      max = Math.max(max, logits[offset + k]);
    }
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += Math.exp(logits[offset + k] - max);
    }
    double logSum = Math.log(sum);
    double threshold = u * sum;
    double cumulative = 0;
    int action = n - 1;
    for (int k = 0; k < n; k++) {
      cumulative += Math.exp(logits[offset + k] - max);
      if (threshold < cumulative) {
        action = k;
        break;
      }
    }
    logpOut[0] = logits[offset + action] - max - logSum;
    return action;
  }

  /** The most probable action (the first on ties); {@code logpOut[0]} receives its log-probability. */
  public static int greedy(float[] logits, int offset, int n, double[] logpOut) {
    int best = 0;
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      if (logits[offset + k] > max) {
        max = logits[offset + k];
        best = k;
      }
    }
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += Math.exp(logits[offset + k] - max);
    }
    logpOut[0] = -Math.log(sum);
    return best;
  }

  /** log pi(k) for every k of one row, into out. */
  public static void logProbs(float[] logits, int offset, int n, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      max = Math.max(max, logits[offset + k]);
    }
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += Math.exp(logits[offset + k] - max);
    }
    double logSum = Math.log(sum);
    for (int k = 0; k < n; k++) {
      out[k] = logits[offset + k] - max - logSum;
    }
  }
}
