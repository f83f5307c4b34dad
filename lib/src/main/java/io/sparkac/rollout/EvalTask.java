package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.StepResult;
import io.sparkac.env.python.PythonEnvException;
import io.sparkac.env.python.PythonWorker;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.policy.PolicyForward;
import io.sparkac.random.Seeds;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryMetadata;
import io.sparkac.trajectory.TrajectoryWriter;
import java.util.ArrayList;
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
      RowBatch rows = run(range, out, output != null);
      if (rows != null) {
        write(range, rows);
      }
    }
    return out.iterator();
  }

  /** Runs the range's episodes into {@code out}; returns their steps when {@code record}, else null. */
  private RowBatch run(ActorRange range, List<Episode> out, boolean record) {
    int n = range.size();
    Environment[] envs = new Environment[n];
    if (!config.env().isPython()) {
      for (int i = 0; i < n; i++) {
        envs[i] = Environments.create(config.env());
      }
      return run(range, out, record, envs);
    }
    // The range's Python environments live in one worker of this task, closed when it ends.
    PythonWorker worker = PythonWorker.start(Environments.python(config.env()), n);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> worker.close());
    }
    try {
      return runPython(range, out, record, worker);
    } catch (PythonEnvException e) {
      String which = e.envIndex() >= 0 ? "evaluation episode " + (range.from() + e.envIndex())
          : "the worker of evaluation episodes " + range.from() + "-" + (range.to() - 1);
      PythonEnvException named = new PythonEnvException(worker.spec().describe() + ", " + which + ": " + e.detail(),
          e.detail(), e.envIndex(), e.getCause());
      named.setStackTrace(e.getStackTrace());
      throw named;
    } finally {
      worker.close();
    }
  }

  /**
   * The same episodes as {@link #run(ActorRange, List, boolean, Environment[])} (the same seeds,
   * draws and rows) with the range's Python environments in one worker: one round trip per step
   * for all the episodes still running.
   */
  private RowBatch runPython(ActorRange range, List<Episode> out, boolean record, PythonWorker worker) {
    int n = range.size();
    long seed = config.run().seed();
    ActionHead head = ActionHead.of(worker.actionSpace());
    int d = head.vectorSize();
    if (record && d > 0) {
      throw new UnsupportedOperationException(worker.spec().describe()
          + ": evaluation trajectories are written for discrete actions only; evaluate without writing them");
    }
    int nA = actorWeights.outputSize();
    int obsSize = worker.observationSpace().flatSize();
    RowBatch rows = record ? new RowBatch(0, obsSize, 0) : null;
    float[] obs = new float[n * obsSize];
    SplittableRandom[] rng = new SplittableRandom[n];
    double[] ret = new double[n];
    int[] len = new int[n];
    boolean[] running = new boolean[n];
    int[] idx = new int[n];
    long[] seeds = new long[n];
    for (int i = 0; i < n; i++) {
      int e = range.from() + i;
      idx[i] = i;
      seeds[i] = Seeds.mix(seed, Seeds.EVAL, e);
      rng[i] = new SplittableRandom(Seeds.mix(seed, Seeds.EVAL, e, 1));
      running[i] = true;
    }
    worker.reset(n, idx, seeds, obs);
    PolicyForward networks = new PolicyForward(actorWeights, rows == null ? null : output.critic(), normalizer);
    float[] logits = new float[n * nA];
    float[] values = rows == null ? null : new float[n];
    double[] logp = new double[1];
    double[] logps = new double[n];
    int[] actions = new int[n];
    float[] vectors = new float[Math.max(1, n * d)];
    float[] next = new float[n * obsSize];
    double[] reward = new double[n];
    boolean[] terminated = new boolean[n];
    boolean[] truncated = new boolean[n];
    // Stochastic continuous evaluation records its samples in a scratch one-row batch.
    RowBatch scratch = new RowBatch(1, obsSize, d);
    int live = n;
    while (live > 0) {
      // Finished episodes keep their last observation in the batch; their rows are ignored.
      networks.forward(obs, n, logits, values);
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (!running[i]) {
          continue;
        }
        idx[k] = i;
        if (d > 0) {
          if (greedy) {
            head.greedy(logits, i * nA, vectors, k);
          } else {
            head.sample(logits, i * nA, rng[i], scratch, 0, actions, vectors, k);
          }
        } else {
          actions[k] = greedy ? CategoricalPolicy.greedy(logits, i * nA, nA, logp)
              : CategoricalPolicy.sample(logits, i * nA, nA, rng[i].nextDouble(), logp);
          logps[k] = logp[0];
        }
        k++;
      }
      worker.step(k, idx, actions, vectors, null, next, reward, terminated, truncated, null);
      for (int j = 0; j < k; j++) {
        int i = idx[j];
        if (rows != null) {
          int r = rows.addRow();
          rows.actorId()[r] = range.from() + i;
          rows.episodeId()[r] = RowBatch.episodeId(range.from() + i, 0);
          rows.t()[r] = len[i];
          System.arraycopy(obs, i * obsSize, rows.obs(), r * obsSize, obsSize);
          System.arraycopy(next, j * obsSize, rows.nextObs(), r * obsSize, obsSize);
          rows.action()[r] = actions[j];
          rows.reward()[r] = reward[j];
          rows.terminated()[r] = terminated[j];
          rows.truncated()[r] = truncated[j];
          rows.logp()[r] = logps[j];
          rows.vfPred()[r] = values[i];
        }
        ret[i] += reward[j];
        len[i]++;
        System.arraycopy(next, j * obsSize, obs, i * obsSize, obsSize);
        if (terminated[j] || truncated[j]) {
          running[i] = false;
          live--;
          out.add(new Episode(range.from() + i, ret[i], len[i], terminated[j]));
        }
      }
    }
    return rows;
  }

  private RowBatch run(ActorRange range, List<Episode> out, boolean record, Environment[] envs) {
    int n = range.size();
    long seed = config.run().seed();
    ActionHead head = ActionHead.of(envs[0].actionSpace());
    if (record && head.vectorSize() > 0) {
      throw new UnsupportedOperationException(config.env().id()
          + ": evaluation trajectories are written for discrete actions only; evaluate without writing them");
    }
    int nA = actorWeights.outputSize();
    int obsSize = envs[0].observationSpace().flatSize();
    RowBatch rows = record ? new RowBatch(0, obsSize, 0) : null;
    float[] obs = new float[n * obsSize];
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
    PolicyForward networks = new PolicyForward(actorWeights, rows == null ? null : output.critic(), normalizer);
    float[] logits = new float[n * nA];
    float[] values = rows == null ? null : new float[n];
    double[] logp = new double[1];
    StepResult result = new StepResult();
    // Stochastic continuous evaluation records its samples in a scratch one-row batch.
    RowBatch scratch = new RowBatch(1, obsSize, head.vectorSize());
    int live = n;
    while (live > 0) {
      // Finished episodes keep their last observation in the batch; their rows are ignored.
      networks.forward(obs, n, logits, values);
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
          int r = rows.addRow();
          rows.actorId()[r] = range.from() + i;
          rows.episodeId()[r] = RowBatch.episodeId(range.from() + i, 0);
          rows.t()[r] = len[i];
          System.arraycopy(obs, i * obsSize, rows.obs(), r * obsSize, obsSize);
          System.arraycopy(one, 0, rows.nextObs(), r * obsSize, obsSize);
          rows.action()[r] = a;
          rows.reward()[r] = result.reward;
          rows.terminated()[r] = result.terminated;
          rows.truncated()[r] = result.truncated;
          rows.logp()[r] = logp[0];
          rows.vfPred()[r] = values[i];
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
    return rows;
  }

  /** Writes the range's rows, episode by episode in time order, as one Parquet file. */
  private void write(ActorRange range, RowBatch rows) {
    String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
    // Rows were added in lockstep order (step by step across episodes); sorted by (actor_id =
    // episode index, episode_id, t), each episode's steps come together, in time order.
    RowBatch sorted = RowBatch.merge(List.of(rows));
    TaskContext task = TaskContext.get();
    long attempt = task == null ? 0 : task.taskAttemptId();
    TrajectoryWriter.write(sorted, new TrajectoryWriter.Shared(config.run().id(), output.policyVersion(), executor,
        true, TrajectoryMetadata.of(config)),
        new Path(output.dir(), range.fileName()), attempt, hadoopConf.value().value());
  }
}
