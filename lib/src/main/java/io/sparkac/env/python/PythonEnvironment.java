package io.sparkac.env.python;

import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.lang.ref.Cleaner;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Python environment as an {@link Environment}: an environment of a {@link PythonWorker},
 * one round trip per call. For the driver's uses of single environments (the pre-training
 * check, the shapes, initial snapshots) and for evaluation episodes; the rollout steps a task's
 * environments together through {@link PythonWorker#step} instead.
 *
 * <p>{@link #state()} is the environment pickled by the worker (with its step counter and last
 * observation), packed into doubles ({@link PickledState}); with {@code env.python-episodes =
 * restart} it is empty and {@link #restore} is not supported.
 *
 * <p>{@link #shared(PythonEnvSpec)} environments live in one worker per specification and JVM,
 * started on first use: an environment no longer referenced is closed in the worker, and the
 * worker ends with the JVM. Calls on one worker are serialized.
 */
public final class PythonEnvironment implements Environment, AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final Map<PythonEnvSpec, PythonWorker> SHARED = new ConcurrentHashMap<>();

  private final PythonWorker worker;
  private final int slot;
  private Cleaner.Cleanable cleanable;
  private final int[] index;
  private final int[] discrete = new int[1];
  private final double[] reward = new double[1];
  private final boolean[] terminated = new boolean[1];
  private final boolean[] truncated = new boolean[1];
  private final float[] lastObs;
  private int elapsed;

  /** Environment {@code slot} of {@code worker}, which its owner closes. */
  public PythonEnvironment(PythonWorker worker, int slot) {
    this.worker = worker;
    this.slot = slot;
    this.index = new int[] {slot};
    this.lastObs = new float[worker.observationSpace().flatSize()];
  }

  private static PythonEnvironment sharedView(PythonWorker worker, int slot) {
    PythonEnvironment env = new PythonEnvironment(worker, slot);
    env.cleanable = CLEANER.register(env, new Release(worker, slot));
    return env;
  }

  /** A new environment in this JVM's shared worker for {@code spec} (started, or restarted, as needed). */
  public static PythonEnvironment shared(PythonEnvSpec spec) {
    synchronized (SHARED) {
      PythonWorker w = SHARED.get(spec);
      if (w != null && w.isAlive()) {
        int slot;
        synchronized (w) {
          slot = w.add(1);
        }
        return sharedView(w, slot);
      }
      w = PythonWorker.start(spec, 1);
      w.markShared();
      SHARED.put(spec, w);
      Runtime.getRuntime().addShutdownHook(new Thread(w::close, "sparkac-python-worker-shutdown"));
      return sharedView(w, 0);
    }
  }

  /** Closes a shared environment in its worker (a view of a task's worker: nothing to do). */
  @Override
  public void close() {
    if (cleanable != null) {
      cleanable.clean();
    }
  }

  private record Release(PythonWorker worker, int slot) implements Runnable {
    @Override
    public void run() {
      synchronized (worker) {
        if (worker.isAlive()) {
          try {
            worker.closeEnv(slot);
          } catch (RuntimeException e) {
            // the worker is failing; nothing to release
          }
        }
      }
    }
  }

  /** Its index in its worker. */
  public int slot() {
    return slot;
  }

  public PythonWorker worker() {
    return worker;
  }

  public PythonEnvSpec spec() {
    return worker.spec();
  }

  @Override
  public String id() {
    return worker.envId();
  }

  @Override
  public Space observationSpace() {
    return worker.observationSpace();
  }

  @Override
  public Space actionSpace() {
    return worker.actionSpace();
  }

  @Override
  public int maxEpisodeSteps() {
    return worker.maxEpisodeSteps();
  }

  @Override
  public void reset(long seed, float[] obs) {
    synchronized (worker) {
      worker.reset(1, index, new long[] {seed}, lastObs);
    }
    elapsed = 0;
    System.arraycopy(lastObs, 0, obs, 0, lastObs.length);
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (!(actionSpace() instanceof Space.Discrete d)) {
      throw new UnsupportedOperationException(id() + " has a continuous action space " + actionSpace()
          + "; call step(float[] ...)");
    }
    if (action < 0 || action >= d.n()) {
      throw new IllegalArgumentException(id() + ": action " + action + " is outside the action space " + d);
    }
    discrete[0] = action;
    step(obs, result, discrete, null);
  }

  @Override
  public void step(float[] action, float[] obs, StepResult result) {
    if (!(actionSpace() instanceof Space.Box b)) {
      throw new UnsupportedOperationException(id() + " has a discrete action space " + actionSpace()
          + "; call step(int ...)");
    }
    if (action.length != b.dims()) {
      throw new IllegalArgumentException(id() + ": an action has " + b.dims() + " values, got " + action.length);
    }
    step(obs, result, null, action);
  }

  private void step(float[] obs, StepResult result, int[] discreteAction, float[] vector) {
    synchronized (worker) {
      worker.step(1, index, discreteAction, vector, null, lastObs, reward, terminated, truncated, null);
    }
    elapsed++;
    result.set(reward[0], terminated[0], truncated[0]);
    System.arraycopy(lastObs, 0, obs, 0, lastObs.length);
  }

  @Override
  public double[] state() {
    if (spec().restartEpisodes()) {
      return new double[0];
    }
    byte[][] states;
    synchronized (worker) {
      states = worker.states(1, index);
    }
    return PickledState.pack(states[0]);
  }

  @Override
  public int elapsedSteps() {
    return elapsed;
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    if (spec().restartEpisodes()) {
      throw new UnsupportedOperationException(spec().describe() + ": env.python-episodes = restart keeps no "
          + "environment state; episodes restart at every round");
    }
    byte[] pickled = PickledState.unpack(state);
    synchronized (worker) {
      worker.restore(1, index, new int[] {elapsedSteps}, new byte[][] {pickled}, lastObs);
    }
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    System.arraycopy(lastObs, 0, obs, 0, lastObs.length);
  }
}
