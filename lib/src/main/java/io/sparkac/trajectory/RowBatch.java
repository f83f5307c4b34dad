package io.sparkac.trajectory;

import static io.sparkac.trajectory.TrajectorySchema.*;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Rows of the trajectory table in primitive arrays, column by column (no object per row): the one
 * container for a round's rows. A rollout task fills one and writes it ({@link TrajectoryWriter});
 * an evaluation task appends its steps ({@link #addRow}); a scan partition of Parquet rows is
 * packed into one by column name ({@link #pack}); the driver merges them in (actor_id,
 * episode_id, t) order ({@link #merge}) for the learners. The columns every row of a file shares
 * (run, policy version, executor, eval) are not stored per row: see {@link TrajectoryWriter.Shared}.
 *
 * <p>Both ways to a learner's batch hold the same values: Parquet stores floats, doubles, ints and
 * booleans exactly, and {@code action} is -1 for a continuous action space (the file's null).
 * Discrete actions are in {@code action} (actionSize 0, actionVec null); continuous ones, as
 * sampled before clipping, in {@code actionVec} ({@code rows * actionSize} floats). The arrays
 * hold exactly {@link #rows()} rows, except while rows are being appended (see {@link #trim}).
 */
public final class RowBatch implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The columns {@link #pack} reads, for a scan's projection. */
  static final String[] COLUMNS = {ACTOR_ID, EPISODE_ID, T, OBS, NEXT_OBS, ACTION, ACTION_VEC, REWARD, TERMINATED,
      TRUNCATED, ACTION_LOGP, VF_PRED};

  private int rows;
  private final int obsSize;
  private final int actionSize;
  private int[] actorId = new int[0];
  private long[] episodeId = new long[0];
  private int[] t = new int[0];
  private float[] obs = new float[0];
  private float[] nextObs = new float[0];
  private int[] action = new int[0];
  private float[] actionVec;
  private double[] reward = new double[0];
  private boolean[] terminated = new boolean[0];
  private boolean[] truncated = new boolean[0];
  private double[] logp = new double[0];
  private double[] vfPred = new double[0];
  private boolean[] continues = new boolean[0];

  /** {@code rows} zeroed rows ({@code action} -1 for a continuous action space), to be filled by index. */
  public RowBatch(int rows, int obsSize, int actionSize) {
    this.obsSize = obsSize;
    this.actionSize = actionSize;
    this.actionVec = actionSize == 0 ? null : new float[0];
    resize(rows);
    if (actionSize > 0) {
      Arrays.fill(action, -1);
    }
    this.rows = rows;
  }

  /** The episode id of an actor's episode index: unique in the run. */
  public static long episodeId(int actorId, long episodeIndex) {
    return ((long) actorId << 32) | (episodeIndex & 0xFFFFFFFFL);
  }

  /** Appends a zeroed row (growing the arrays by doubling) and returns its index; {@link #trim} when done. */
  public int addRow() {
    if (rows == actorId.length) {
      resize(Math.max(256, Math.multiplyExact(rows, 2)));
    }
    return rows++;
  }

  /** Drops the spare capacity {@link #addRow} left, so that every array holds exactly {@link #rows()} rows. */
  public RowBatch trim() {
    if (actorId.length != rows) {
      resize(rows);
    }
    return this;
  }

  private void resize(int cap) {
    actorId = Arrays.copyOf(actorId, cap);
    episodeId = Arrays.copyOf(episodeId, cap);
    t = Arrays.copyOf(t, cap);
    obs = Arrays.copyOf(obs, Math.multiplyExact(cap, obsSize));
    nextObs = Arrays.copyOf(nextObs, Math.multiplyExact(cap, obsSize));
    action = Arrays.copyOf(action, cap);
    if (actionVec != null) {
      actionVec = Arrays.copyOf(actionVec, Math.multiplyExact(cap, actionSize));
    }
    reward = Arrays.copyOf(reward, cap);
    terminated = Arrays.copyOf(terminated, cap);
    truncated = Arrays.copyOf(truncated, cap);
    logp = Arrays.copyOf(logp, cap);
    vfPred = Arrays.copyOf(vfPred, cap);
    continues = Arrays.copyOf(continues, cap);
  }

  /**
   * Packs one scan partition's rows (which need the {@link #COLUMNS}, in any order: they are read
   * by name, the indices looked up once) into one batch.
   */
  public static Iterator<RowBatch> pack(Iterator<Row> it) {
    if (!it.hasNext()) {
      return List.of(new RowBatch(0, 0, 0)).iterator();
    }
    Row r = it.next();
    int[] col = new int[COLUMNS.length];
    for (int k = 0; k < col.length; k++) {
      col[k] = r.fieldIndex(COLUMNS[k]);
    }
    int obsSize = r.getList(col[3]).size();
    int actionSize = r.isNullAt(col[6]) ? 0 : r.getList(col[6]).size();
    RowBatch b = new RowBatch(0, obsSize, actionSize);
    while (true) {
      int n = b.addRow();
      b.actorId[n] = r.getInt(col[0]);
      b.episodeId[n] = r.getLong(col[1]);
      b.t[n] = r.getInt(col[2]);
      floats(r.getList(col[3]), b.obs, n * obsSize, obsSize);
      floats(r.getList(col[4]), b.nextObs, n * obsSize, obsSize);
      b.action[n] = r.isNullAt(col[5]) ? -1 : r.getInt(col[5]);
      if (actionSize > 0) {
        floats(r.getList(col[6]), b.actionVec, n * actionSize, actionSize);
      }
      b.reward[n] = r.getDouble(col[7]);
      b.terminated[n] = r.getBoolean(col[8]);
      b.truncated[n] = r.getBoolean(col[9]);
      b.logp[n] = r.getDouble(col[10]);
      b.vfPred[n] = r.getDouble(col[11]);
      if (!it.hasNext()) {
        return List.of(b.trim()).iterator();
      }
      r = it.next();
    }
  }

  private static void floats(List<Float> src, float[] dst, int at, int len) {
    for (int k = 0; k < len; k++) {
      dst[at + k] = src.get(k);
    }
  }

  /**
   * The batches' rows in (actor_id, episode_id, t) order, with the episodes' continuations marked.
   * One batch in order already (a rollout task's, a sorted scan partition's) is returned as it is;
   * batches in order one after the other (a round's rollout results, by actor range) skip the sort,
   * whose result would be the same order.
   */
  public static RowBatch merge(List<RowBatch> batches) {
    int n = 0;
    int obsSize = 0;
    int actionSize = 0;
    for (RowBatch b : batches) {
      n += b.rows;
      if (b.rows > 0) {
        obsSize = b.obsSize;
        actionSize = b.actionSize;
      }
    }
    // Sort (batch, row) pairs by a packed index; the comparator reads primitive arrays only.
    long[] refs = new long[n];
    int k = 0;
    for (int bi = 0; bi < batches.size(); bi++) {
      for (int r = 0; r < batches.get(bi).rows; r++) {
        refs[k++] = ((long) bi << 32) | r;
      }
    }
    boolean sorted = true;
    for (int i = 1; i < n && sorted; i++) {
      sorted = compare(batches, refs[i - 1], refs[i]) <= 0;
    }
    RowBatch m;
    if (sorted && batches.size() == 1) {
      m = batches.get(0).trim();
    } else {
      if (!sorted) {
        refs = sort(refs, batches);
      }
      m = new RowBatch(n, obsSize, actionSize);
      for (int i = 0; i < n; i++) {
        m.copyRow(i, batches.get((int) (refs[i] >>> 32)), (int) refs[i]);
      }
    }
    for (int i = 0; i + 1 < m.rows; i++) {
      m.continues[i] = !m.terminated[i] && !m.truncated[i] && m.actorId[i + 1] == m.actorId[i]
          && m.episodeId[i + 1] == m.episodeId[i];
    }
    return m;
  }

  private void copyRow(int i, RowBatch c, int r) {
    actorId[i] = c.actorId[r];
    episodeId[i] = c.episodeId[r];
    t[i] = c.t[r];
    System.arraycopy(c.obs, r * obsSize, obs, i * obsSize, obsSize);
    System.arraycopy(c.nextObs, r * obsSize, nextObs, i * obsSize, obsSize);
    action[i] = c.action[r];
    if (actionSize > 0) {
      System.arraycopy(c.actionVec, r * actionSize, actionVec, i * actionSize, actionSize);
    }
    reward[i] = c.reward[r];
    terminated[i] = c.terminated[r];
    truncated[i] = c.truncated[r];
    logp[i] = c.logp[r];
    vfPred[i] = c.vfPred[r];
  }

  /** Sorts (batch, row) references stably, without boxing them: a bottom-up merge sort. */
  private static long[] sort(long[] refs, List<RowBatch> batches) {
    int n = refs.length;
    long[] a = refs;
    long[] b = new long[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          b[k++] = compare(batches, a[j], a[i]) < 0 ? a[j++] : a[i++];
        }
        System.arraycopy(a, i, b, k, mid - i);
        System.arraycopy(a, j, b, k + mid - i, hi - j);
      }
      long[] t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /** Orders two (batch, row) references, packed as batch << 32 | row, by (actor_id, episode_id, t). */
  private static int compare(List<RowBatch> batches, long x, long y) {
    RowBatch a = batches.get((int) (x >>> 32));
    RowBatch b = batches.get((int) (y >>> 32));
    int i = (int) x;
    int j = (int) y;
    int c = Integer.compare(a.actorId[i], b.actorId[j]);
    if (c == 0) {
      c = Long.compare(a.episodeId[i], b.episodeId[j]);
    }
    return c != 0 ? c : Integer.compare(a.t[i], b.t[j]);
  }

  public int rows() {
    return rows;
  }

  public int obsSize() {
    return obsSize;
  }

  /** Continuous action size, or 0 for discrete actions. */
  public int actionSize() {
    return actionSize;
  }

  /** True for a continuous action space: {@code actionVec} holds {@code rows * actionSize} floats. */
  public boolean continuous() {
    return actionSize > 0;
  }

  public int[] actorId() {
    return actorId;
  }

  public long[] episodeId() {
    return episodeId;
  }

  public int[] t() {
    return t;
  }

  public float[] obs() {
    return obs;
  }

  public float[] nextObs() {
    return nextObs;
  }

  public int[] action() {
    return action;
  }

  public float[] actionVec() {
    return actionVec;
  }

  public double[] reward() {
    return reward;
  }

  public boolean[] terminated() {
    return terminated;
  }

  public boolean[] truncated() {
    return truncated;
  }

  public double[] logp() {
    return logp;
  }

  public double[] vfPred() {
    return vfPred;
  }

  /**
   * {@code continues[i]}: row i+1 is the next step of row i's episode (false at an episode's end
   * and where an actor's rows end); set by {@link #merge}.
   */
  public boolean[] continues() {
    return continues;
  }
}
