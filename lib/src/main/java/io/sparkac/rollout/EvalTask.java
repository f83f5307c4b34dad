package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.StepResult;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import io.sparkac.trajectory.StepBatch;
import io.sparkac.trajectory.TrajectoryWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Evaluation episodes on an executor: a range of episode indices run side by side with one
 * batched forward pass per step. Episode e starts from the seed (run seed, EVAL, e), and a
 * stochastic evaluation draws its actions from (run seed, EVAL, e, 1), so the figures are the
 * same whatever the partitioning.
 *
 * <p>With an {@link EvalOutput}, each task also writes its episodes' steps as one Parquet file of
 * the trajectory table (with {@code eval = true}); recording only reads what the episodes
 * compute, so the returns are the same with or without it.
 */
public final class EvalTask implements FlatMapFunction<Iterator<ActorRange>, EvalTask.Episode> {
  private final TrainConfig config;
  private final MlpWeights actorWeights;
  private final ObservationNormalizer normalizer;
  private final boolean greedy;
  private final EvalOutput output;
  private final Broadcast<SerializableConfiguration> hadoopConf;

  /** One finished evaluation episode. */
  public record Episode(int index, double episodeReturn, int length, boolean terminated)
      implements java.io.Serializable {}

  public EvalTask(TrainConfig config, MlpWeights actorWeights, ObservationNormalizer normalizer, boolean greedy) {
    this(config, actorWeights, normalizer, greedy, null, null);
  }

  /** An evaluation that also writes its steps to {@code output.dir()}. */
  public EvalTask(TrainConfig config, MlpWeights actorWeights, ObservationNormalizer normalizer, boolean greedy,
      EvalOutput output, Broadcast<SerializableConfiguration> hadoopConf) {
    if (output != null && hadoopConf == null) {
      throw new IllegalArgumentException("an evaluation that writes " + output.dir() + " needs the Hadoop conf");
    }
    this.config = config;
    this.actorWeights = actorWeights;
    this.normalizer = normalizer;
    this.greedy = greedy;
    this.output = output;
    this.hadoopConf = hadoopConf;
  }

  @Override
  public Iterator<Episode> call(Iterator<ActorRange> ranges) {
    List<Episode> out = new ArrayList<>();
    while (ranges.hasNext()) {
      ActorRange range = ranges.next();
      EvalRows rows = output == null ? null : new EvalRows();
      run(range, out, rows);
      if (rows != null) {
        write(range, rows);
      }
    }
    return out.iterator();
  }

  private void run(ActorRange range, List<Episode> out, EvalRows rows) {
    int n = range.size();
    long seed = config.run().seed();
    Environment[] envs = new Environment[n];
    for (int i = 0; i < n; i++) {
      envs[i] = Environments.create(config.env());
    }
    ActionHead head = ActionHead.of(envs[0].actionSpace());
    if (rows != null && head.vectorSize() > 0) {
      throw new UnsupportedOperationException(config.env().id()
          + ": evaluation trajectories are written for discrete actions only; evaluate without writing them");
    }
    int nA = actorWeights.outputSize();
    int obsSize = envs[0].observationSpace().flatSize();
    float[] obs = new float[n * obsSize];
    float[] netIn = normalizer == null ? obs : new float[n * obsSize];
    float[] one = new float[obsSize];
    SplittableRandom[] rng = new SplittableRandom[n];
    double[] ret = new double[n];
    int[] len = new int[n];
    boolean[] running = new boolean[n];
    for (int i = 0; i < n; i++) {
      int e = range.from() + i;
      envs[i].reset(Seeds.mix(seed, Seeds.EVAL, e), one);
      System.arraycopy(one, 0, obs, i * obsSize, obsSize);
      rng[i] = new SplittableRandom(Seeds.mix(seed, Seeds.EVAL, e, 1));
      running[i] = true;
    }
    MlpForward actor = new MlpForward(actorWeights);
    MlpForward critic = rows == null ? null : new MlpForward(output.critic());
    float[] logits = new float[n * nA];
    float[] values = rows == null ? null : new float[n];
    double[] logp = new double[1];
    StepResult result = new StepResult();
    // Stochastic continuous evaluation records its samples in a scratch one-row batch.
    StepBatch scratch = new StepBatch("", 0, 1, 1, obsSize, head.vectorSize(), "");
    int live = n;
    while (live > 0) {
      // Finished episodes keep their last observation in the batch; their rows are ignored.
      if (normalizer != null) {
        normalizer.apply(obs, netIn, n);
      }
      actor.forward(netIn, n, logits);
      if (critic != null) {
        critic.forward(netIn, n, values);
      }
      for (int i = 0; i < n; i++) {
        if (!running[i]) {
          continue;
        }
        int a = -1;
        if (head.vectorSize() > 0) {
          if (greedy) {
            head.greedyStep(envs[i], logits, i * nA, one, result);
          } else {
            head.sampleAndStep(envs[i], logits, i * nA, rng[i], scratch, 0, one, result);
          }
        } else {
          a = greedy ? CategoricalPolicy.greedy(logits, i * nA, nA, logp)
              : CategoricalPolicy.sample(logits, i * nA, nA, rng[i].nextDouble(), logp);
          envs[i].step(a, one, result);
        }
        if (rows != null) {
          rows.add(range.from() + i, len[i], obs, i * obsSize, obsSize, a, result.reward, result.terminated,
              result.truncated, one, logp[0], values[i]);
        }
        ret[i] += result.reward;
        len[i]++;
        System.arraycopy(one, 0, obs, i * obsSize, obsSize);
        if (result.done()) {
          running[i] = false;
          live--;
          out.add(new Episode(range.from() + i, ret[i], len[i], result.terminated));
        }
      }
    }
  }

  /** Writes the range's rows, episode by episode in time order, as one Parquet file. */
  private void write(ActorRange range, EvalRows rows) {
    int n = rows.size;
    int obsSize = rows.obsSize;
    String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
    StepBatch batch = StepBatch.ofRows(config.run().id(), output.policyVersion(), n, obsSize, executor);
    // Rows were added in lockstep order (step by step across episodes); a stable counting sort by
    // episode puts each episode's steps together, still in time order.
    int[] start = new int[range.size() + 1];
    for (int r = 0; r < n; r++) {
      start[rows.episode[r] - range.from() + 1]++;
    }
    for (int e = 0; e < range.size(); e++) {
      start[e + 1] += start[e];
    }
    for (int r = 0; r < n; r++) {
      int d = start[rows.episode[r] - range.from()]++;
      batch.actorId[d] = rows.episode[r];
      batch.episodeId[d] = StepBatch.episodeId(rows.episode[r], 0);
      batch.t[d] = rows.t[r];
      System.arraycopy(rows.obs, r * obsSize, batch.obs, d * obsSize, obsSize);
      System.arraycopy(rows.nextObs, r * obsSize, batch.nextObs, d * obsSize, obsSize);
      batch.action[d] = rows.action[r];
      batch.reward[d] = rows.reward[r];
      batch.terminated[d] = rows.terminated[r];
      batch.truncated[d] = rows.truncated[r];
      batch.logp[d] = rows.logp[r];
      batch.vfPred[d] = rows.value[r];
    }
    TaskContext task = TaskContext.get();
    long attempt = task == null ? 0 : task.taskAttemptId();
    TrajectoryWriter.write(batch, new Path(output.dir(), range.fileName()), attempt, hadoopConf.value().value());
  }

  /** The steps of a task's evaluation episodes, in the order they were taken; arrays grow by doubling. */
  private static final class EvalRows {
    int size;
    int obsSize = -1;
    int[] episode = new int[256];
    int[] t = new int[256];
    float[] obs = new float[0];
    float[] nextObs = new float[0];
    int[] action = new int[256];
    double[] reward = new double[256];
    boolean[] terminated = new boolean[256];
    boolean[] truncated = new boolean[256];
    double[] logp = new double[256];
    double[] value = new double[256];

    void add(int ep, int step, float[] obsBatch, int obsOffset, int obsLen, int a, double r, boolean term,
        boolean trunc, float[] next, double lp, double v) {
      if (obsSize < 0) {
        obsSize = obsLen;
        obs = new float[256 * obsLen];
        nextObs = new float[256 * obsLen];
      }
      if (size == episode.length) {
        int cap = Math.multiplyExact(size, 2);
        episode = Arrays.copyOf(episode, cap);
        t = Arrays.copyOf(t, cap);
        obs = Arrays.copyOf(obs, Math.multiplyExact(cap, obsSize));
        nextObs = Arrays.copyOf(nextObs, Math.multiplyExact(cap, obsSize));
        action = Arrays.copyOf(action, cap);
        reward = Arrays.copyOf(reward, cap);
        terminated = Arrays.copyOf(terminated, cap);
        truncated = Arrays.copyOf(truncated, cap);
        logp = Arrays.copyOf(logp, cap);
        value = Arrays.copyOf(value, cap);
      }
      episode[size] = ep;
      t[size] = step;
      System.arraycopy(obsBatch, obsOffset, obs, size * obsSize, obsSize);
      System.arraycopy(next, 0, nextObs, size * obsSize, obsSize);
      action[size] = a;
      reward[size] = r;
      terminated[size] = term;
      truncated[size] = trunc;
      logp[size] = lp;
      value[size] = v;
      size++;
    }
  }
}
