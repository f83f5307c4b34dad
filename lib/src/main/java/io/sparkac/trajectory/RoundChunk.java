package io.sparkac.trajectory;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Part of a round in primitive arrays: either packed by a rollout task from the rows it has just
 * written ({@link #of}), or packed on an executor from the rows of one scan partition
 * ({@link #pack}, columns in {@link TrajectoryReader#readRound}'s select order). The driver
 * merges the chunks and sorts the rows by (actor_id, episode_id, t) ({@link #merge}). Both ways
 * hold the same values: Parquet stores floats, doubles, ints and booleans exactly, and a null
 * {@code action} (continuous actions) reads back as -1 in both.
 */
public final class RoundChunk implements Serializable {
  private static final long serialVersionUID = 1L;
  int rows;
  int obsSize;
  int actionSize;
  int[] actorId;
  long[] episodeId;
  int[] t;
  float[] obs;
  float[] nextObs;
  int[] action;
  float[] actionVec;
  double[] reward;
  boolean[] terminated;
  boolean[] truncated;
  double[] logp;
  double[] vfPred;

  /**
   * The rows of a rollout task's batch, as {@link TrajectoryReader#readRound} packs them after
   * reading the file back: sharing the batch's arrays (the task drops the batch after), with the
   * actor id spread to every row and -1 for the action of a continuous action space. A batch's
   * rows are per actor in time order, which is (actor_id, episode_id, t) order: an actor's
   * episode index only grows and t counts up within an episode.
   */
  public static RoundChunk of(StepBatch b) {
    RoundChunk c = new RoundChunk();
    int n = b.rows();
    c.rows = n;
    c.obsSize = b.obsSize;
    c.actionSize = b.actionSize;
    c.actorId = new int[n];
    for (int r = 0; r < n; r++) {
      c.actorId[r] = b.actorId[r / b.steps];
    }
    c.episodeId = b.episodeId;
    c.t = b.t;
    c.obs = b.obs;
    c.nextObs = b.nextObs;
    if (b.action != null) {
      c.action = b.action;
    } else {
      c.action = new int[n];
      Arrays.fill(c.action, -1);
    }
    c.actionVec = b.actionVec;
    c.reward = b.reward;
    c.terminated = b.terminated;
    c.truncated = b.truncated;
    c.logp = b.logp;
    c.vfPred = b.vfPred;
    return c;
  }

  /** The number of rows. */
  public int rows() {
    return rows;
  }

  /** Packs one partition's rows (columns in {@link TrajectoryReader#readRound}'s select order). */
  public static Iterator<RoundChunk> pack(Iterator<Row> it) {
    RoundChunk c = new RoundChunk();
    int cap = 1024;
    c.allocate(cap);
    int n = 0;
    while (it.hasNext()) {
      Row r = it.next();
      if (n == 0) {
        c.obsSize = r.getList(3).size();
        c.actionSize = r.isNullAt(11) ? 0 : r.getList(11).size();
        c.obs = new float[cap * c.obsSize];
        c.nextObs = new float[cap * c.obsSize];
        c.actionVec = c.actionSize == 0 ? null : new float[cap * c.actionSize];
      }
      if (n == cap) {
        cap *= 2;
        c.grow(cap);
      }
      c.actorId[n] = r.getInt(0);
      c.episodeId[n] = r.getLong(1);
      c.t[n] = r.getInt(2);
      List<Float> o = r.getList(3);
      List<Float> no = r.getList(4);
      for (int k = 0; k < c.obsSize; k++) {
        c.obs[n * c.obsSize + k] = o.get(k);
        c.nextObs[n * c.obsSize + k] = no.get(k);
      }
      c.action[n] = r.isNullAt(5) ? -1 : r.getInt(5);
      c.reward[n] = r.getDouble(6);
      c.terminated[n] = r.getBoolean(7);
      c.truncated[n] = r.getBoolean(8);
      c.logp[n] = r.getDouble(9);
      c.vfPred[n] = r.getDouble(10);
      if (c.actionSize > 0) {
        List<Float> a = r.getList(11);
        for (int k = 0; k < c.actionSize; k++) {
          c.actionVec[n * c.actionSize + k] = a.get(k);
        }
      }
      n++;
    }
    c.rows = n;
    c.grow(n);
    return List.of(c).iterator();
  }

  private void allocate(int cap) {
    actorId = new int[cap];
    episodeId = new long[cap];
    t = new int[cap];
    action = new int[cap];
    reward = new double[cap];
    terminated = new boolean[cap];
    truncated = new boolean[cap];
    logp = new double[cap];
    vfPred = new double[cap];
  }

  private void grow(int cap) {
    actorId = Arrays.copyOf(actorId, cap);
    episodeId = Arrays.copyOf(episodeId, cap);
    t = Arrays.copyOf(t, cap);
    action = Arrays.copyOf(action, cap);
    reward = Arrays.copyOf(reward, cap);
    terminated = Arrays.copyOf(terminated, cap);
    truncated = Arrays.copyOf(truncated, cap);
    logp = Arrays.copyOf(logp, cap);
    vfPred = Arrays.copyOf(vfPred, cap);
    if (obs != null) {
      obs = Arrays.copyOf(obs, cap * obsSize);
      nextObs = Arrays.copyOf(nextObs, cap * obsSize);
    }
    if (actionVec != null) {
      actionVec = Arrays.copyOf(actionVec, cap * actionSize);
    }
  }

  /** Concatenates the chunks in (actor_id, episode_id, t) order and marks episode continuations. */
  public static RoundData merge(List<RoundChunk> chunks) {
    int n = 0;
    int obsSize = 0;
    int actionSize = 0;
    for (RoundChunk c : chunks) {
      n += c.rows;
      if (c.rows > 0) {
        obsSize = c.obsSize;
        actionSize = c.actionSize;
      }
    }
    // Sort (chunk, row) pairs by a packed index; the comparator reads primitive arrays only.
    long[] refs = new long[n];
    int k = 0;
    for (int ci = 0; ci < chunks.size(); ci++) {
      for (int r = 0; r < chunks.get(ci).rows; r++) {
        refs[k++] = ((long) ci << 32) | r;
      }
    }
    boolean sorted = true;
    for (int i = 1; i < n && sorted; i++) {
      sorted = compare(chunks, refs[i - 1], refs[i]) <= 0;
    }
    if (!sorted) {
      // Chunks in order already (a round's rollout results, sorted by actor range) skip the sort,
      // whose (stable) result would be the same order; only a sort boxes the references.
      Long[] boxed = new Long[n];
      for (int i = 0; i < n; i++) {
        boxed[i] = refs[i];
      }
      Arrays.sort(boxed, (x, y) -> compare(chunks, x, y));
      for (int i = 0; i < n; i++) {
        refs[i] = boxed[i];
      }
    }
    int[] actor = new int[n];
    long[] episode = new long[n];
    float[] obs = new float[n * obsSize];
    float[] next = new float[n * obsSize];
    int[] action = new int[n];
    float[] actionVec = actionSize == 0 ? null : new float[n * actionSize];
    double[] reward = new double[n];
    boolean[] terminated = new boolean[n];
    boolean[] truncated = new boolean[n];
    double[] logp = new double[n];
    double[] vf = new double[n];
    for (int i = 0; i < n; i++) {
      RoundChunk c = chunks.get((int) (refs[i] >>> 32));
      int r = (int) refs[i];
      actor[i] = c.actorId[r];
      episode[i] = c.episodeId[r];
      System.arraycopy(c.obs, r * obsSize, obs, i * obsSize, obsSize);
      System.arraycopy(c.nextObs, r * obsSize, next, i * obsSize, obsSize);
      action[i] = c.action[r];
      if (actionSize > 0) {
        System.arraycopy(c.actionVec, r * actionSize, actionVec, i * actionSize, actionSize);
      }
      reward[i] = c.reward[r];
      terminated[i] = c.terminated[r];
      truncated[i] = c.truncated[r];
      logp[i] = c.logp[r];
      vf[i] = c.vfPred[r];
    }
    boolean[] continues = new boolean[n];
    for (int i = 0; i + 1 < n; i++) {
      continues[i] = !terminated[i] && !truncated[i] && actor[i + 1] == actor[i] && episode[i + 1] == episode[i];
    }
    return new RoundData(n, obsSize, actor, obs, next, action, actionSize, actionVec, reward, terminated, truncated,
        continues, logp, vf);
  }

  /** Orders two (chunk, row) references, packed as chunk << 32 | row, by (actor_id, episode_id, t). */
  private static int compare(List<RoundChunk> chunks, long x, long y) {
    RoundChunk a = chunks.get((int) (x >>> 32));
    RoundChunk b = chunks.get((int) (y >>> 32));
    int i = (int) x;
    int j = (int) y;
    int c = Integer.compare(a.actorId[i], b.actorId[j]);
    if (c == 0) {
      c = Long.compare(a.episodeId[i], b.episodeId[j]);
    }
    return c != 0 ? c : Integer.compare(a.t[i], b.t[j]);
  }
}
