package io.sparkac.learner;

import io.sparkac.config.TrainConfig;

/**
 * The correction of stale samples in asynchronous mode. Each sample's advantage is multiplied by
 * a weight built from the importance ratio
 *
 * <pre>  rho = pi(a|s) / pi_old(a|s) = exp(log pi(a|s) - action_logp)</pre>
 *
 * where pi is the actor as it is before the update and {@code action_logp} was stored by the
 * policy that sampled the row. The actor's labels are {@code A * onehot(a)} (or carry A for the
 * Gaussian head), whose loss gradient is {@code -A grad log pi}; with {@code w * A} in their place
 * it is {@code -w A grad log pi}, so the correction needs no loss function of its own:
 *
 * <ul>
 *   <li>{@code NONE}: w = 1. The ratios are still measured, for the metrics.
 *   <li>{@code VTRACE}: w = min(rho, rho-bar), V-trace's truncated importance weight on the
 *       policy-gradient term (Espeholt et al. 2018, "IMPALA", section 4.2). Only that term: the
 *       critic's targets are not V-trace targets (no c-bar traces), hence "V-trace-style".
 *   <li>{@code CLIPPED}: the gradient of PPO's clipped surrogate
 *       {@code L = min(rho A, clip(rho, 1 - eps, 1 + eps) A)} (Schulman et al. 2017, eq. 7) at the
 *       weights the update starts from. Where the min takes {@code rho A}, dL = A rho grad log pi,
 *       so w = rho; where it takes the clipped constant (A &gt; 0 and rho &gt; 1 + eps, or A &lt; 0
 *       and rho &lt; 1 - eps), dL = 0, so w = 0. The weights are computed once per update, not
 *       again after each minibatch step as PPO's epochs would ({@code OffPolicyCorrectionTest}
 *       checks the gradient against finite differences of the surrogate).
 * </ul>
 *
 * For samples of the current policy (staleness 0) rho is exactly 1: the rollout and the learner
 * compute the same log-softmax of the same logits, so every mode leaves them unchanged.
 * Driver only; like {@link io.sparkac.nn.GlobalGradientClip} it keeps the statistics of its last
 * use for the metrics.
 */
public final class OffPolicyCorrection {
  private final TrainConfig.Correction mode;
  private final double clip;
  private final double rhoBar;
  private Stats last = new Stats(Double.NaN, Double.NaN, Double.NaN);

  /** Ratio statistics of one update: mean and max of rho, the fraction of weights truncated or zeroed. */
  public record Stats(double rhoMean, double rhoMax, double correctedFraction) {}

  public OffPolicyCorrection(TrainConfig.Correction mode, double clip, double rhoBar) {
    this.mode = mode;
    this.clip = clip;
    this.rhoBar = rhoBar;
  }

  public static OffPolicyCorrection of(TrainConfig.Parallel p) {
    return new OffPolicyCorrection(p.correction(), p.clip(), p.rhoBar());
  }

  public Stats lastStats() {
    return last;
  }

  /**
   * Multiplies each advantage in place by its weight; {@code advantages} are the ones the actor's
   * labels are built from (after normalisation, whose sign the clipped surrogate depends on).
   */
  public void reweight(double[] advantages, double[] logpNew, double[] logpOld) {
    double[] w = weights(mode, clip, rhoBar, advantages, logpNew, logpOld);
    int n = advantages.length;
    double sum = 0;
    double max = Double.NEGATIVE_INFINITY;
    int corrected = 0;
    for (int i = 0; i < n; i++) {
      double rho = Math.exp(logpNew[i] - logpOld[i]);
      sum += rho;
      max = Math.max(max, rho);
      if (mode != TrainConfig.Correction.NONE && w[i] != rho) {
        corrected++;
      }
      advantages[i] *= w[i];
    }
    last = new Stats(sum / n, max, (double) corrected / n);
  }

  /** The per-sample weights w (see the class comment). */
  static double[] weights(TrainConfig.Correction mode, double clip, double rhoBar, double[] advantages,
      double[] logpNew, double[] logpOld) {
    int n = advantages.length;
    if (logpNew.length != n || logpOld.length != n) {
      throw new IllegalArgumentException("off-policy correction: " + n + " advantages but " + logpNew.length
          + " new and " + logpOld.length + " stored log-probabilities");
    }
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double rho = Math.exp(logpNew[i] - logpOld[i]);
      double a = advantages[i];
      w[i] = switch (mode) {
        case NONE -> 1.0;
        case VTRACE -> Math.min(rho, rhoBar);
        case CLIPPED -> (a > 0 && rho > 1 + clip) || (a < 0 && rho < 1 - clip) ? 0.0 : rho;
      };
    }
    return w;
  }
}
