package io.sparkac.env;

/**
 * A test environment whose one episode never ends within a run (time limit 200 steps), so an
 * actor's elapsed-step counter is a clock: with {@code rollout.steps-per-actor = 8}, elapsed step
 * {@link #FAULT_STEP} (20) is step 4 of round 2 for every actor. The nested subclasses go wrong
 * at that step, each in one way, and behave exactly like {@link Healthy} before it, so a run
 * that fails at round 2 has the same rounds 0 and 1 as a healthy run. Public with public
 * no-argument constructors: they stand for a custom {@code env.class}.
 *
 * <p>A walker on a line, {@code x += 0.1} (action 1) or {@code -0.1} (action 0), reward
 * {@code -|x|}; observation {@code [x, elapsed / 200]}.
 */
public abstract class EndlessWalk implements Environment {
  /** The elapsed step at which the faulty variants go wrong. */
  public static final int FAULT_STEP = 20;
  static final int MAX_STEPS = 200;

  private static final Space OBSERVATION_SPACE = Space.Box.of(new float[] {-30f, 0f}, new float[] {30f, 1f});
  private static final Space ACTION_SPACE = new Space.Discrete(2);

  private double x;
  private int elapsed;

  @Override
  public String id() {
    return getClass().getSimpleName() + "-v0";
  }

  @Override
  public Space observationSpace() {
    return OBSERVATION_SPACE;
  }

  @Override
  public Space actionSpace() {
    return ACTION_SPACE;
  }

  @Override
  public int maxEpisodeSteps() {
    return MAX_STEPS;
  }

  @Override
  public void reset(long seed, float[] obs) {
    x = -1 + 2 * new java.util.SplittableRandom(seed).nextDouble();
    elapsed = 0;
    observe(obs);
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (action != 0 && action != 1) {
      throw new IllegalArgumentException("EndlessWalk action must be 0 or 1, got: " + action);
    }
    x += action == 1 ? 0.1 : -0.1;
    elapsed++;
    result.set(reward(elapsed, -Math.abs(x)), false, elapsed >= MAX_STEPS);
    observe(obs);
    obs[0] = observation(elapsed, obs[0]);
  }

  /** The reward of the step that made {@code elapsed} steps; {@code healthy} unless faulty. */
  double reward(int elapsed, double healthy) {
    return healthy;
  }

  /**
   * The faulty variants misbehave only inside a Spark task: the trainer's EnvironmentChecker
   * runs the environment on the driver first, and these tests are about faults that appear
   * during training, which only the rollout's and learner's checks can catch.
   */
  static boolean faultNow(int elapsed) {
    return !fixed && elapsed == FAULT_STEP && org.apache.spark.TaskContext.get() != null;
  }

  /**
   * Stands for a fix of the faulty variants' code, with their class names unchanged (a resume
   * may not change {@code env.class}): while set, they behave as {@link Healthy}. Local mode
   * only (the tasks run in the test's JVM).
   */
  public static volatile boolean fixed;

  /** obs[0] after {@code elapsed} steps; {@code healthy} unless faulty. */
  float observation(int elapsed, float healthy) {
    return healthy;
  }

  @Override
  public double[] state() {
    return new double[] {x};
  }

  @Override
  public int elapsedSteps() {
    return elapsed;
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    x = state[0];
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    obs[0] = (float) x;
    obs[1] = elapsed / (float) MAX_STEPS;
  }

  /** Never goes wrong. */
  public static final class Healthy extends EndlessWalk {}

  /** A NaN observation at {@link #FAULT_STEP}. */
  public static final class NanObservation extends EndlessWalk {
    @Override
    float observation(int elapsed, float healthy) {
      return faultNow(elapsed) ? Float.NaN : healthy;
    }
  }

  /** An infinite reward at {@link #FAULT_STEP}. */
  public static final class InfiniteReward extends EndlessWalk {
    @Override
    double reward(int elapsed, double healthy) {
      return faultNow(elapsed) ? Double.POSITIVE_INFINITY : healthy;
    }
  }

  /**
   * A finite but huge reward (1e200) at {@link #FAULT_STEP}: the rollout accepts it, and the
   * learner's squared error of the value targets overflows to infinity.
   */
  public static final class HugeReward extends EndlessWalk {
    @Override
    double reward(int elapsed, double healthy) {
      return faultNow(elapsed) ? 1e200 : healthy;
    }
  }
}
