package io.sparkac.trajectory;

/**
 * One round's rows on the driver, column by column, in chronological order per actor (sorted by
 * actor_id, episode_id, t). Discrete actions are in {@code action} (actionSize 0, actionVec null);
 * continuous ones, as sampled before clipping, in {@code actionVec}. {@code continues[i]} says that row i+1 is the next step of row i's
 * episode: false at an episode's end and where an actor's rows end.
 */
public record RoundData(int rows, int obsSize, int[] actorId, float[] obs, float[] nextObs, int[] action,
    int actionSize, float[] actionVec, double[] reward, boolean[] terminated, boolean[] truncated,
    boolean[] continues, double[] logp, double[] vfPred) {

  /** True for a continuous action space: {@code actionVec} holds {@code rows * actionSize} floats. */
  public boolean continuous() {
    return actionSize > 0;
  }
}
