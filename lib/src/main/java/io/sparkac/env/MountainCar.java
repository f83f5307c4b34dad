package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * MountainCar-v0, ported from Gymnasium 1.0's {@code classic_control/mountain_car.py} with the
 * 200-step {@code TimeLimit}: three discrete accelerations (left, none, right), reward -1 for
 * every step, termination when the car reaches {@code position >= 0.5} with
 * {@code velocity >= 0}.
 *
 * <p>The internal state is {@code [position, velocity]} in float64, as in Gymnasium (the
 * observation is its float32 copy). Gymnasium calls Python's {@code math.cos} (the C library's);
 * we call {@link StrictMath#cos}, whose results are specified bit for bit on every JVM, so that all
 * executors agree. The two differ in the last bit now and then; the conformance test measures it.
 */
public final class MountainCar implements Environment {
  public static final String ID = "MountainCar-v0";

  static final double MIN_POSITION = -1.2;
  static final double MAX_POSITION = 0.6;
  static final double MAX_SPEED = 0.07;
  private static final double GOAL_POSITION = 0.5;
  private static final double GOAL_VELOCITY = 0;
  private static final double FORCE = 0.001;
  private static final double GRAVITY = 0.0025;
  private static final int MAX_STEPS = 200;

  /** Gymnasium's {@code low}/{@code high}: {@code [min_position, -max_speed]} .. {@code [max_position, max_speed]}. */
  static final Space.Box OBSERVATION_SPACE = Space.Box.of(
      new float[] {(float) MIN_POSITION, (float) -MAX_SPEED},
      new float[] {(float) MAX_POSITION, (float) MAX_SPEED});
  private static final Space ACTION_SPACE = new Space.Discrete(3);

  private double position;
  private double velocity;
  private int elapsed;

  @Override
  public String id() {
    return ID;
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
    position = uniformStartPosition(new SplittableRandom(seed));
    velocity = 0;
    elapsed = 0;
    observe(obs);
  }

  /**
   * Gymnasium's {@code np_random.uniform(low=-0.6, high=-0.4)}, which numpy computes as
   * {@code low + (high - low) * random()}. Shared with {@link MountainCarContinuous}.
   */
  static double uniformStartPosition(SplittableRandom rng) {
    return -0.6 + (-0.4 - -0.6) * rng.nextDouble();
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (action < 0 || action > 2) {
      throw new IllegalArgumentException(ID + " action must be 0, 1 or 2, got: " + action);
    }
    // velocity += (action - 1) * self.force + math.cos(3 * position) * (-self.gravity)
    velocity += (action - 1) * FORCE + StrictMath.cos(3 * position) * (-GRAVITY);
    velocity = clip(velocity, -MAX_SPEED, MAX_SPEED);
    position += velocity;
    position = clip(position, MIN_POSITION, MAX_POSITION);
    if (position == MIN_POSITION && velocity < 0) {
      velocity = 0; // the left wall is inelastic
    }
    elapsed++;

    boolean terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
    boolean truncated = elapsed >= MAX_STEPS;
    result.set(-1.0, terminated, truncated);
    observe(obs);
  }

  /** numpy's {@code clip(x, lo, hi)} for a scalar: {@code min(max(x, lo), hi)}. */
  private static double clip(double x, double lo, double hi) {
    return Math.min(Math.max(x, lo), hi);
  }

  @Override
  public double[] state() {
    return new double[] {position, velocity};
  }

  @Override
  public int elapsedSteps() {
    return elapsed;
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    if (state.length != 2) {
      throw new IllegalArgumentException(ID + " state has 2 values, got: " + state.length);
    }
    position = state[0];
    velocity = state[1];
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    obs[0] = (float) position;
    obs[1] = (float) velocity;
  }
}
