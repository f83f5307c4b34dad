package io.sparkac.learner;

import io.sparkac.numeric.Moments;
import io.sparkac.trajectory.RowBatch;
import java.util.Arrays;

/**
 * Reward scaling as in SB3's VecNormalize(norm_reward=True): rewards are divided by the running
 * standard deviation of each actor's discounted return {@code R <- gamma * R + r} (reset at
 * episode ends), then clipped. One difference from SB3: SB3 updates the statistics step by step
 * and scales each reward with the statistics up to its step; here a round's returns are merged
 * first and the whole round is divided by the end-of-round deviation, so that the scale does not
 * depend on the order in which actors are visited. Used by the learner only; the trajectory table
 * keeps raw rewards.
 * Immutable; the per-actor returns carry over rounds and are saved with each checkpoint.
 */
public record RewardScaler(double[] actorReturns, double mean, double var, double count, double gamma,
    double clip) {
  private static final double EPSILON = 1e-8;

  public static RewardScaler initial(int actors, double gamma, double clip) {
    return new RewardScaler(new double[actors], 0.0, 1.0, 1e-4, gamma, clip);
  }

  /** The scaler after this round's rewards, and the round's scaled rewards. */
  public record Scaled(RewardScaler next, double[] rewards) {}

  /** Rows are in (actor_id, episode_id, t) order, as {@link RowBatch} keeps them. */
  public Scaled scale(RowBatch d) {
    double[] returns = actorReturns.clone();
    double[] seen = new double[d.rows()];
    for (int i = 0; i < d.rows(); i++) {
      int a = d.actorId()[i];
      returns[a] = returns[a] * gamma + d.reward()[i];
      seen[i] = returns[a];
      if (d.terminated()[i] || d.truncated()[i]) {
        returns[a] = 0;
      }
    }
    // Merge the batch of returns into the running statistics (Chan et al.).
    // (The batch's mean and variance are DoubleStream averages, compensated sums, as they always were.)
    double batchMean = Arrays.stream(seen).average().orElse(0);
    double batchVar = Arrays.stream(seen).map(x -> (x - batchMean) * (x - batchMean)).average().orElse(0);
    Moments merged = Moments.ofVariance(count, mean, var).plus(Moments.ofVariance(seen.length, batchMean, batchVar));
    double std = Math.sqrt(merged.variance() + EPSILON);
    double[] scaled = new double[seen.length];
    for (int i = 0; i < scaled.length; i++) {
      scaled[i] = Math.max(-clip, Math.min(clip, d.reward()[i] / std));
    }
    return new Scaled(new RewardScaler(returns, merged.mean(), merged.variance(), merged.n(), gamma, clip), scaled);
  }
}
