package io.sparkac.trajectory;

/**
 * The rows one rollout task produces, stored column by column in primitive arrays (no object
 * per row). Row index = local actor index * steps + step, so the rows of each actor are
 * contiguous and in time order, which is also the order the Parquet file gets.
 *
 * <p>Evaluation episodes have different lengths: {@link #ofRows} lays them out with
 * {@code steps = 1}, so that {@code actorId} is given row by row.
 */
public final class StepBatch {
  public final String runId;
  public final int policyVersion;
  public final int actors;
  public final int steps;
  public final int obsSize;
  /** Continuous action size, or 0 for discrete actions. */
  public final int actionSize;
  public final String executorId;
  /** Evaluation rows (the {@code eval} column) rather than training rows. */
  public final boolean eval;

  public final int[] actorId;
  public final long[] episodeId;
  public final int[] t;
  public final float[] obs;
  public final int[] action;
  public final float[] actionVec;
  public final double[] reward;
  public final boolean[] terminated;
  public final boolean[] truncated;
  public final float[] nextObs;
  public final double[] logp;
  public final double[] vfPred;

  /** A batch of training rows. */
  public StepBatch(String runId, int policyVersion, int actors, int steps, int obsSize, int actionSize,
      String executorId) {
    this(runId, policyVersion, actors, steps, obsSize, actionSize, executorId, false);
  }

  private StepBatch(String runId, int policyVersion, int actors, int steps, int obsSize, int actionSize,
      String executorId, boolean eval) {
    this.eval = eval;
    this.runId = runId;
    this.policyVersion = policyVersion;
    this.actors = actors;
    this.steps = steps;
    this.obsSize = obsSize;
    this.actionSize = actionSize;
    this.executorId = executorId;
    int rows = Math.multiplyExact(actors, steps);
    actorId = new int[actors];
    episodeId = new long[rows];
    t = new int[rows];
    obs = new float[Math.multiplyExact(rows, obsSize)];
    action = actionSize == 0 ? new int[rows] : null;
    actionVec = actionSize == 0 ? null : new float[Math.multiplyExact(rows, actionSize)];
    reward = new double[rows];
    terminated = new boolean[rows];
    truncated = new boolean[rows];
    nextObs = new float[Math.multiplyExact(rows, obsSize)];
    logp = new double[rows];
    vfPred = new double[rows];
  }

  /**
   * A batch of {@code rows} evaluation rows listed one by one ({@code steps = 1}): row r's actor is
   * {@code actorId[r]}, and its step index within its episode is {@code t[r]}.
   */
  public static StepBatch ofRows(String runId, int policyVersion, int rows, int obsSize, String executorId) {
    return new StepBatch(runId, policyVersion, rows, 1, obsSize, 0, executorId, true);
  }

  public int rows() {
    return actors * steps;
  }

  public int row(int localActor, int step) {
    return localActor * steps + step;
  }

  /** The episode id of an actor's episode index: unique in the run. */
  public static long episodeId(int actorId, long episodeIndex) {
    return ((long) actorId << 32) | (episodeIndex & 0xFFFFFFFFL);
  }
}
