package io.sparkac.env;

/**
 * A reinforcement-learning environment, after Gymnasium's {@code Env} with its
 * {@code TimeLimit} wrapper built in.
 *
 * <p>Contract (checked by {@link EnvironmentChecker}):
 * <ul>
 *   <li>{@link #reset(long, float[])} starts an episode; the same seed gives the same first
 *       observation. An environment draws random numbers only in {@code reset}, from the seed
 *       it is given, so that every draw derives from the run seed and the actor's identity.
 *   <li>{@link #step} applies an action and reports {@code terminated} (a true end) separately
 *       from {@code truncated} (the time limit, {@link #maxEpisodeSteps()}).
 *   <li>{@link #state()} and {@link #restore(double[], int)} save and load the complete dynamic
 *       state (the internal float64 state and the elapsed-step counter), so that episodes
 *       continue across rounds on different executors.
 * </ul>
 *
 * <p>Implementations must have a public no-argument constructor so that a class named in the
 * configuration ({@code env.class}) can be created on the executors. Instances are not
 * thread-safe; each actor owns one.
 */
public interface Environment {

  /** The id, e.g. {@code CartPole-v1}. */
  String id();

  Space observationSpace();

  Space actionSpace();

  /** The time limit in steps; the step that reaches it is {@code truncated}. */
  int maxEpisodeSteps();

  /** Starts a new episode from {@code seed} and writes the first observation into {@code obs}. */
  void reset(long seed, float[] obs);

  /**
   * Applies a discrete action (index in the {@link Space.Discrete} action space) and writes the
   * next observation into {@code obs}.
   */
  default void step(int action, float[] obs, StepResult result) {
    throw new UnsupportedOperationException(
        id() + " has a continuous action space " + actionSpace() + "; call step(float[] ...)");
  }

  /**
   * Applies a continuous action (a vector of the {@link Space.Box} action space; the environment
   * clips it to its bounds) and writes the next observation into {@code obs}.
   */
  default void step(float[] action, float[] obs, StepResult result) {
    throw new UnsupportedOperationException(
        id() + " has a discrete action space " + actionSpace() + "; call step(int ...)");
  }

  /** A copy of the internal state (Gymnasium's {@code env.unwrapped.state}). */
  double[] state();

  /** Steps taken in the current episode (the {@code TimeLimit} counter). */
  int elapsedSteps();

  /** Sets the internal state and the elapsed-step counter, as saved by {@link #state()}. */
  void restore(double[] state, int elapsedSteps);

  /** Writes the observation of the current internal state into {@code obs}. */
  void observe(float[] obs);
}
