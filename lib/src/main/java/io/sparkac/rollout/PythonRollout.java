package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.python.PickledState;
import io.sparkac.env.python.PythonEnvException;
import io.sparkac.env.python.PythonEnvSpec;
import io.sparkac.env.python.PythonWorker;
import io.sparkac.policy.PolicyForward;
import io.sparkac.random.Seeds;
import io.sparkac.trajectory.RowBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.TaskContext;

/**
 * The rollout of one task's actors with a Python environment: the same lockstep loop as
 * {@link RolloutTask}'s (one batched forward pass of each network per step, actor a's draws from
 * (run seed, a, round), its episodes reset with (run seed, a, episode index)), but the task's
 * environments live in ONE Python worker and each step of all of them is ONE round trip
 * ({@link PythonWorker#step}), the resets of ended episodes included. So the rows are the same
 * bit for bit whatever the partitioning, provided the environment is deterministic under its
 * seed.
 *
 * <p>Episodes continue across rounds: the actors' environments are pickled into their snapshots
 * at the end of the round and unpickled at the start of the next. With
 * {@code env.python-episodes = restart}, the last step of a round ends every episode still
 * running as a truncation, and the next round starts each actor's next episode.
 *
 * <p>The worker is closed when the loop ends, fails, or the task completes, whichever is first.
 */
final class PythonRollout {
  private PythonRollout() {}

  /** What the loop produced, for {@link RolloutTask} to write. */
  record Sampled(RowBatch batch, ActorSnapshot[] snapshots, List<Double> returns, List<Integer> lengths,
      List<Boolean> terminated) {}

  static Sampled run(TrainConfig config, PolicySnapshot p, ActorRange range) {
    PythonEnvSpec spec = Environments.python(config.env());
    int n = range.size();
    PythonWorker worker = PythonWorker.start(spec, n);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> worker.close());
    }
    try {
      return loop(config, p, range, spec, worker);
    } finally {
      worker.close();
    }
  }

  private static Sampled loop(TrainConfig config, PolicySnapshot p, ActorRange range, PythonEnvSpec spec,
      PythonWorker worker) {
    int n = range.size();
    int steps = config.rollout().stepsPerActor();
    long seed = config.run().seed();
    boolean restart = spec.restartEpisodes();
    ActionHead head = ActionHead.of(worker.actionSpace());
    int obsSize = worker.observationSpace().flatSize();
    int outSize = p.actor().outputSize();
    int d = head.vectorSize();

    float[] obs = new float[n * obsSize];
    long[] episodeIndex = new long[n];
    double[] episodeReturn = new double[n];
    int[] episodeLength = new int[n];
    SplittableRandom[] rng = new SplittableRandom[n];
    int[] all = new int[n];

    // ---- start: restore the actors' environments from their snapshots, or reset them ----
    int[] restoreIdx = new int[n];
    int[] restoreElapsed = new int[n];
    byte[][] restoreStates = new byte[n][];
    int[] resetIdx = new int[n];
    long[] resetSeeds = new long[n];
    int restores = 0;
    int resets = 0;
    for (int i = 0; i < n; i++) {
      all[i] = i;
      int actorId = range.from() + i;
      ActorSnapshot s = p.actors() == null ? null : p.actors()[actorId];
      if (s != null) {
        episodeIndex[i] = s.episodeIndex();
        episodeReturn[i] = s.episodeReturn();
        episodeLength[i] = s.episodeLength();
      }
      if (s != null && s.envState().length > 0) {
        restoreIdx[restores] = i;
        restoreElapsed[restores] = s.elapsedSteps();
        restoreStates[restores++] = PickledState.unpack(s.envState());
        System.arraycopy(s.obs(), 0, obs, i * obsSize, obsSize);
      } else {
        // a new actor, or env.python-episodes = restart: its next episode starts now
        resetIdx[resets] = i;
        resetSeeds[resets++] = Seeds.mix(seed, Seeds.EPISODES, actorId, episodeIndex[i]);
        episodeReturn[i] = 0;
        episodeLength[i] = 0;
      }
      rng[i] = new SplittableRandom(Seeds.mix(seed, Seeds.ACTIONS, actorId, p.round()));
    }
    float[] scratch = new float[n * obsSize];
    if (restores > 0) {
      int k0 = restores;
      call(worker, spec, range, p.round(), -1, "restoring the actors' environments from their snapshots",
          () -> worker.restore(k0, restoreIdx, restoreElapsed, restoreStates, scratch));
    }
    if (resets > 0) {
      int k = resets;
      call(worker, spec, range, p.round(), -1, "resetting the actors' environments",
          () -> worker.reset(k, resetIdx, resetSeeds, scratch));
      for (int j = 0; j < k; j++) {
        System.arraycopy(scratch, j * obsSize, obs, resetIdx[j] * obsSize, obsSize);
      }
    }

    RowBatch batch = new RowBatch(Math.multiplyExact(n, steps), obsSize, d);
    PolicyForward networks = new PolicyForward(p.actor(), p.critic(), p.normalizer());
    float[] outputs = new float[n * outSize];
    float[] values = new float[n];
    int[] actions = new int[n];
    float[] vectors = new float[Math.max(1, n * d)];
    long[] nextSeeds = new long[n];
    float[] next = new float[n * obsSize];
    float[] resetObs = new float[n * obsSize];
    double[] reward = new double[n];
    boolean[] terminated = new boolean[n];
    boolean[] truncated = new boolean[n];
    float[] one = new float[obsSize];
    List<Double> returns = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    List<Boolean> terminatedEpisodes = new ArrayList<>();

    for (int step = 0; step < steps; step++) {
      // ---- one batched forward pass of each network for the whole partition ----
      networks.forward(obs, n, outputs, values);
      for (int i = 0; i < n; i++) {
        int row = i * steps + step;
        System.arraycopy(obs, i * obsSize, batch.obs(), row * obsSize, obsSize);
        batch.logp()[row] = head.sample(outputs, i * outSize, rng[i], batch, row, actions, vectors, i);
        nextSeeds[i] = Seeds.mix(seed, Seeds.EPISODES, range.from() + i, episodeIndex[i] + 1);
      }
      // ---- one round trip: every environment steps, ended episodes reset ----
      boolean boundary = restart && step == steps - 1;
      call(worker, spec, range, p.round(), step, "stepping", () -> (Integer) worker.step(n, all, actions, vectors,
          boundary ? null : nextSeeds, next, reward, terminated, truncated, resetObs));
      int r = 0;
      for (int i = 0; i < n; i++) {
        int row = i * steps + step;
        System.arraycopy(next, i * obsSize, one, 0, obsSize);
        RolloutTask.checkFinite(one, reward[i], p.round(), range.from() + i);
        System.arraycopy(one, 0, batch.nextObs(), row * obsSize, obsSize);
        boolean trunc = truncated[i] || (boundary && !terminated[i]);
        batch.actorId()[row] = range.from() + i;
        batch.episodeId()[row] = RowBatch.episodeId(range.from() + i, episodeIndex[i]);
        batch.t()[row] = episodeLength[i];
        batch.reward()[row] = reward[i];
        batch.terminated()[row] = terminated[i];
        batch.truncated()[row] = trunc;
        batch.vfPred()[row] = values[i];
        episodeReturn[i] += reward[i];
        episodeLength[i]++;
        if (terminated[i] || trunc) {
          returns.add(episodeReturn[i]);
          lengths.add(episodeLength[i]);
          terminatedEpisodes.add(terminated[i]);
          episodeIndex[i]++;
          episodeReturn[i] = 0;
          episodeLength[i] = 0;
          if (!boundary) {
            System.arraycopy(resetObs, r++ * obsSize, obs, i * obsSize, obsSize);
            continue;
          }
        }
        System.arraycopy(one, 0, obs, i * obsSize, obsSize);
      }
    }

    // ---- the actors' snapshots: the environments pickled, so that episodes continue ----
    byte[][] states = restart ? null
        : call(worker, spec, range, p.round(), -1, "pickling the actors' environments for their snapshots",
            () -> worker.states(n, all));
    ActorSnapshot[] snapshots = new ActorSnapshot[n];
    for (int i = 0; i < n; i++) {
      float[] o = new float[obsSize];
      System.arraycopy(obs, i * obsSize, o, 0, obsSize);
      snapshots[i] = new ActorSnapshot(range.from() + i, restart ? new double[0] : PickledState.pack(states[i]),
          episodeLength[i], o, episodeIndex[i], episodeReturn[i], episodeLength[i]);
    }
    return new Sampled(batch, snapshots, returns, lengths, terminatedEpisodes);
  }

  /** Runs a worker call; a failure names the actor (or the task's actors), the round and the step. */
  private static <T> T call(PythonWorker worker, PythonEnvSpec spec, ActorRange range, int round, int step,
      String what, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (PythonEnvException e) {
      String where = e.envIndex() >= 0 ? "actor " + (range.from() + e.envIndex())
          : "the worker of actors " + range.from() + "-" + (range.to() - 1);
      String when = step >= 0 ? "round " + round + ", step " + step + " of the round" : "round " + round;
      // Without the worker's exception as the cause: this message is the one the user sees.
      PythonEnvException named = new PythonEnvException(spec.describe() + ", " + where + " (" + when + ", " + what
          + "): " + e.detail(), e.detail(), e.envIndex(), e.getCause());
      named.setStackTrace(e.getStackTrace());
      throw named;
    }
  }

  private static void call(PythonWorker worker, PythonEnvSpec spec, ActorRange range, int round, int step,
      String what, Runnable call) {
    call(worker, spec, range, round, step, what, () -> {
      call.run();
      return null;
    });
  }
}
