package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.StepResult;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.policy.PolicyForward;
import io.sparkac.random.Seeds;
import io.sparkac.storage.FileDigest;
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
 * The rollout of one round on an executor: each partition owns a fixed range of actor ids and
 * steps all their environments in lockstep, with ONE batched forward pass of the actor and one
 * of the critic per step for the whole partition, then writes its rows as one Parquet file.
 *
 * <p>Determinism: actor a's action draws come from a generator seeded with (run seed, a, round),
 * consumed in step order, and its episodes reset with seeds (run seed, a, episode index); the
 * forward pass computes each row on its own. So the rows are bit-identical whatever the
 * partitioning, the executor or the task attempt.
 *
 * <p>With {@code returnRows}, the task also returns the rows it wrote, packed from the same
 * batch the file was written from, for the driver's learner: a retried
 * attempt returns the same rows, and the driver only sees the successful attempt's result.
 *
 * <p>A serializable function object that captures only the config record, the broadcasts and the
 * round folder, never the SparkSession.
 */
public final class RolloutTask implements FlatMapFunction<Iterator<ActorRange>, RolloutResult> {
  private final TrainConfig config;
  private final Broadcast<PolicySnapshot> policy;
  private final Broadcast<SerializableConfiguration> hadoopConf;
  private final String roundDir;
  private final boolean returnRows;

  public RolloutTask(TrainConfig config, Broadcast<PolicySnapshot> policy,
      Broadcast<SerializableConfiguration> hadoopConf, String roundDir, boolean returnRows) {
    this.config = config;
    this.policy = policy;
    this.hadoopConf = hadoopConf;
    this.roundDir = roundDir;
    this.returnRows = returnRows;
  }

  @Override
  public Iterator<RolloutResult> call(Iterator<ActorRange> ranges) {
    List<RolloutResult> out = new ArrayList<>(1);
    TaskContext task = TaskContext.get();
    long attempt = task == null ? 0 : task.taskAttemptId();
    String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
    while (ranges.hasNext()) {
      out.add(run(ranges.next(), attempt, executor));
    }
    return out.iterator();
  }

  RolloutResult run(ActorRange range, long attempt, String executorId) {
    if (config.env().isPython()) {
      long start = System.nanoTime();
      PythonRollout.Sampled s = PythonRollout.run(config, policy.value(), range);
      return finish(range, attempt, executorId, policy.value(), s.batch(), s.snapshots(), s.returns(), s.lengths(),
          s.terminated(), start, System.nanoTime());
    }
    long start = System.nanoTime();
    PolicySnapshot p = policy.value();
    int n = range.size();
    int steps = config.rollout().stepsPerActor();
    long seed = config.run().seed();
    Environment[] envs = new Environment[n];
    for (int i = 0; i < n; i++) {
      envs[i] = Environments.create(config.env());
    }
    ActionHead head = ActionHead.of(envs[0].actionSpace());
    int obsSize = envs[0].observationSpace().flatSize();
    int outSize = p.actor().outputSize();

    float[] obs = new float[n * obsSize];
    float[] one = new float[obsSize];
    long[] episodeIndex = new long[n];
    double[] episodeReturn = new double[n];
    int[] episodeLength = new int[n];
    SplittableRandom[] rng = new SplittableRandom[n];
    for (int i = 0; i < n; i++) {
      int actorId = range.from() + i;
      ActorSnapshot s = p.actors() == null ? null : p.actors()[actorId];
      if (s == null) {
        envs[i].reset(Seeds.mix(seed, Seeds.EPISODES, actorId, 0), one);
        System.arraycopy(one, 0, obs, i * obsSize, obsSize);
      } else {
        envs[i].restore(s.envState(), s.elapsedSteps());
        System.arraycopy(s.obs(), 0, obs, i * obsSize, obsSize);
        episodeIndex[i] = s.episodeIndex();
        episodeReturn[i] = s.episodeReturn();
        episodeLength[i] = s.episodeLength();
      }
      rng[i] = new SplittableRandom(Seeds.mix(seed, Seeds.ACTIONS, actorId, p.round()));
    }

    // Row = local actor index * steps + step: each actor's rows are contiguous and in time order,
    // which is (actor_id, episode_id, t) order, the order of the file and of the learner's rows.
    RowBatch batch = new RowBatch(Math.multiplyExact(n, steps), obsSize, head.vectorSize());
    PolicyForward networks = new PolicyForward(p.actor(), p.critic(), p.normalizer());
    float[] outputs = new float[n * outSize];
    float[] values = new float[n];
    StepResult result = new StepResult();
    List<Double> returns = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    List<Boolean> terminatedEpisodes = new ArrayList<>();

    for (int step = 0; step < steps; step++) {
      // ---- one batched forward pass of each network for the whole partition ----
      networks.forward(obs, n, outputs, values);
      for (int i = 0; i < n; i++) {
        int row = i * steps + step;
        int o = i * obsSize;
        System.arraycopy(obs, o, batch.obs(), row * obsSize, obsSize);
        // ---- sample with actor i's own generator and step its environment ----
        batch.logp()[row] = head.sampleAndStep(envs[i], outputs, i * outSize, rng[i], batch, row, one, result);
        checkFinite(one, result.reward, p.round(), range.from() + i);
        System.arraycopy(one, 0, batch.nextObs(), row * obsSize, obsSize);
        batch.actorId()[row] = range.from() + i;
        batch.episodeId()[row] = RowBatch.episodeId(range.from() + i, episodeIndex[i]);
        batch.t()[row] = episodeLength[i];
        batch.reward()[row] = result.reward;
        batch.terminated()[row] = result.terminated;
        batch.truncated()[row] = result.truncated;
        batch.vfPred()[row] = values[i];
        episodeReturn[i] += result.reward;
        episodeLength[i]++;
        if (result.done()) {
          returns.add(episodeReturn[i]);
          lengths.add(episodeLength[i]);
          terminatedEpisodes.add(result.terminated);
          episodeIndex[i]++;
          episodeReturn[i] = 0;
          episodeLength[i] = 0;
          envs[i].reset(Seeds.mix(seed, Seeds.EPISODES, range.from() + i, episodeIndex[i]), one);
        }
        System.arraycopy(one, 0, obs, o, obsSize);
      }
    }

    long computed = System.nanoTime();
    ActorSnapshot[] snapshots = new ActorSnapshot[n];
    for (int i = 0; i < n; i++) {
      float[] o = new float[obsSize];
      System.arraycopy(obs, i * obsSize, o, 0, obsSize);
      snapshots[i] = new ActorSnapshot(range.from() + i, envs[i].state(), envs[i].elapsedSteps(), o,
          episodeIndex[i], episodeReturn[i], episodeLength[i]);
    }
    return finish(range, attempt, executorId, p, batch, snapshots, returns, lengths, terminatedEpisodes, start,
        computed);
  }

  /** Writes the range's rows as one Parquet file and assembles the task's result. */
  private RolloutResult finish(ActorRange range, long attempt, String executorId, PolicySnapshot p, RowBatch batch,
      ActorSnapshot[] snapshots, List<Double> returns, List<Integer> lengths, List<Boolean> terminatedEpisodes,
      long start, long computed) {
    Path file = new Path(roundDir, range.fileName());
    FileDigest digest = TrajectoryWriter.write(batch,
        new TrajectoryWriter.Shared(config.run().id(), p.policyVersion(), executorId, false,
            TrajectoryMetadata.of(config)),
        file, attempt,
        hadoopConf.value().value());
    long written = System.nanoTime();
    double[] r = returns.stream().mapToDouble(Double::doubleValue).toArray();
    int[] l = lengths.stream().mapToInt(Integer::intValue).toArray();
    boolean[] term = new boolean[terminatedEpisodes.size()];
    for (int i = 0; i < term.length; i++) {
      term[i] = terminatedEpisodes.get(i);
    }
    return new RolloutResult(range, file.toString(), batch.rows(), snapshots, r, l, term, executorId,
        computed - start, written - computed, returnRows ? batch : null, digest);
  }

  static void checkFinite(float[] obs, double reward, int round, int actorId) {
    for (int k = 0; k < obs.length; k++) {
      if (!Float.isFinite(obs[k])) {
        throw new NonFiniteValueException("round " + round + ": observation of actor " + actorId + " is " + obs[k]
            + " at obs[" + k + "]");
      }
    }
    if (!Double.isFinite(reward)) {
      throw new NonFiniteValueException("round " + round + ": reward of actor " + actorId + " is " + reward);
    }
  }
}
