package io.sparkac.env;

/**
 * What one environment step returned, besides the observation (written into the caller's
 * array). Mutable and reused by the caller so that the rollout allocates nothing per step.
 *
 * <p>{@code terminated}: the MDP reached a true end (V(s') = 0). {@code truncated}: the episode
 * was cut for another reason, such as the time limit; the learner bootstraps it with V(s').
 */
public final class StepResult {
  public double reward;
  public boolean terminated;
  public boolean truncated;

  public void set(double reward, boolean terminated, boolean truncated) {
    this.reward = reward;
    this.terminated = terminated;
    this.truncated = truncated;
  }

  public boolean done() {
    return terminated || truncated;
  }
}
