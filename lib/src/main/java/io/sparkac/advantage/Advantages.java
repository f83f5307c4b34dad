package io.sparkac.advantage;

import io.sparkac.numeric.Moments;

/**
 * Advantage estimates and critic targets, as pure functions over arrays (after SB3's
 * {@code RolloutBuffer.compute_returns_and_advantage} and CleanRL's GAE loop).
 *
 * <p>Rows are in chronological order per actor. For each row i, {@code nextValue[i]} is V(s'_i)
 * from the row's own {@code next_obs}, which is the true last observation of an episode that
 * ended, not the first observation of the next one.
 *
 * <pre>
 *   delta_i = r_i + gamma * (terminated_i ? 0 : V(s'_i)) - V(s_i)                  (TD error)
 *   A_i     = delta_i + gamma * lambda * A_{i+1}   if row i+1 continues row i's episode
 *   A_i     = delta_i                               otherwise (episode ended, or the data ends)
 *   target_i = A_i + V(s_i)                                                       (lambda-return)
 * </pre>
 *
 * <p>A terminated step (a true end of the MDP) bootstraps with 0. A truncated step (the time
 * limit) and the last step of an actor's round still bootstrap with V(s'): the episode did not
 * end there, we only stopped looking (CleanRL issue #198). Lambda = 0 gives the one-step TD
 * target r + gamma V(s'); lambda = 1 gives the Monte-Carlo return, bootstrapped only where the
 * data is cut.
 */
public final class Advantages {
  private Advantages() {}

  /** Advantages and critic targets of one batch of rows. */
  public record Estimates(double[] advantages, double[] targets) {}

  /**
   * @param continues {@code continues[i]} is true when row i+1 is the next step of row i's
   *     episode (same actor, episode not ended at i); false at an episode end (terminated or
   *     truncated) and at the end of each actor's data
   */
  public static Estimates gae(double[] reward, boolean[] terminated, boolean[] continues, double[] value,
      double[] nextValue, double gamma, double lambda) {
    int n = reward.length;
    if (terminated.length != n || continues.length != n || value.length != n || nextValue.length != n) {
      throw new IllegalArgumentException("gae: all arrays need " + n + " rows");
    }
    if (!(gamma > 0 && gamma <= 1) || !(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("gae: gamma must be in (0, 1] and lambda in [0, 1], got: "
          + gamma + ", " + lambda);
    }
    double[] adv = new double[n];
    double[] target = new double[n];
    double next = 0;
    for (int i = n - 1; i >= 0; i--) {
      if (terminated[i] && continues[i]) {
        throw new IllegalArgumentException("gae: row " + i + " is terminated but marked as continuing");
      }
      double bootstrap = terminated[i] ? 0.0 : nextValue[i];
      double delta = reward[i] + gamma * bootstrap - value[i];
      double a = continues[i] ? delta + gamma * lambda * next : delta;
      adv[i] = a;
      target[i] = a + value[i];
      next = a;
    }
    return new Estimates(adv, target);
  }

  /** One-step TD: A = r + gamma V(s') - V(s) (terminated: V(s') = 0). */
  public static Estimates td0(double[] reward, boolean[] terminated, double[] value, double[] nextValue,
      double gamma) {
    return gae(reward, terminated, new boolean[reward.length], value, nextValue, gamma, 0.0);
  }

  /** Normalises in place to mean 0 and standard deviation 1 (SB3's normalize_advantage). */
  public static void normalize(double[] a) {
    if (a.length < 2) {
      return;
    }
    Moments m = Moments.of(a);
    double scale = Math.sqrt(m.sampleVariance()) + 1e-8;
    for (int i = 0; i < a.length; i++) {
      a[i] = (a[i] - m.mean()) / scale;
    }
  }

  /** 1 - Var(y - v) / Var(y): how much of the targets' variance the critic explains. */
  public static double explainedVariance(double[] predicted, double[] targets) {
    double[] diff = new double[targets.length];
    for (int i = 0; i < diff.length; i++) {
      diff[i] = targets[i] - predicted[i];
    }
    return explainedVariance(Moments.of(targets), Moments.of(diff));
  }

  /** The same from the moments of the targets y and of the residuals y - v. */
  public static double explainedVariance(Moments targets, Moments residuals) {
    double vy = targets.variance();
    return vy == 0 ? Double.NaN : 1 - residuals.variance() / vy;
  }
}
