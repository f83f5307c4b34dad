package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * MountainCarContinuous-v0, ported from Gymnasium 1.0's
 * {@code classic_control/continuous_mountain_car.py} with the 999-step {@code TimeLimit}.
 *
 * <p>The action is a force, clipped to {@code [-1, 1]} and multiplied by the power 0.0015. The
 * reward is {@code -0.1 * action^2} every step, plus 100 on the step that reaches
 * {@code position >= 0.45} with {@code velocity >= 0} (which terminates). As in Gymnasium, the
 * penalty squares the action as given, before clipping, so a policy pays for pushing past the
 * bounds.
 *
 * <p>Gymnasium stores the state after a step as float32 ({@code np.array([position, velocity],
 * dtype=np.float32)}), but the state right after {@code reset} as float64; we do the same, so the
 * next step starts from the same numbers. Its arithmetic in between is float64 (numpy 1.24
 * promotes a float32 scalar combined with a Python float to float64).
 *
 * <p>A non-finite action is rejected: Gymnasium would carry a NaN into the state, or an infinite
 * penalty into the reward, and a policy that emits one has a bug best reported where it shows.
 */
public final class MountainCarContinuous implements Environment {
  public static final String ID = "MountainCarContinuous-v0";

  private static final double MIN_ACTION = -1.0;
  private static final double MAX_ACTION = 1.0;
  private static final double MIN_POSITION = MountainCar.MIN_POSITION;
  private static final double MAX_POSITION = MountainCar.MAX_POSITION;
  private static final double MAX_SPEED = MountainCar.MAX_SPEED;
  /** 0.45 here, 0.5 in the discrete MountainCar (Arnaud de Broissia's version, says Gymnasium). */
  private static final double GOAL_POSITION = 0.45;
  private static final double GOAL_VELOCITY = 0;
  private static final double POWER = 0.0015;
  private static final int MAX_STEPS = 999;

  private static final Space ACTION_SPACE = Space.Box.symmetric((float) MAX_ACTION, 1);

  private double position;
  private double velocity;
  private int elapsed;

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Space observationSpace() {
    return MountainCar.OBSERVATION_SPACE;
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
    position = MountainCar.uniformStartPosition(new SplittableRandom(seed));
    velocity = 0;
    elapsed = 0;
    observe(obs);
  }

  @Override
  public void step(float[] action, float[] obs, StepResult result) {
    if (action.length != 1) {
      throw new IllegalArgumentException(ID + " action has 1 value, got: " + action.length);
    }
    if (!Float.isFinite(action[0])) {
      throw new IllegalArgumentException(ID + " action must be finite, got: " + action[0]);
    }
    double a = action[0];
    double force = Math.min(Math.max(a, MIN_ACTION), MAX_ACTION);

    // velocity += force * self.power - 0.0025 * math.cos(3 * position)
    velocity += force * POWER - 0.0025 * StrictMath.cos(3 * position);
    if (velocity > MAX_SPEED) {
      velocity = MAX_SPEED;
    }
    if (velocity < -MAX_SPEED) {
      velocity = -MAX_SPEED;
    }
    position += velocity;
    if (position > MAX_POSITION) {
      position = MAX_POSITION;
    }
    if (position < MIN_POSITION) {
      position = MIN_POSITION;
    }
    if (position == MIN_POSITION && velocity < 0) {
      velocity = 0; // the left wall is inelastic
    }
    boolean terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;

    // reward = 0; if terminated: reward = 100.0; reward -= math.pow(action[0], 2) * 0.1
    // (the square of a float32 is exact in float64, so a * a is math.pow(a, 2) bit for bit)
    double reward = terminated ? 100.0 : 0.0;
    reward -= a * a * 0.1;

    // self.state = np.array([position, velocity], dtype=np.float32)
    position = (float) position;
    velocity = (float) velocity;
    elapsed++;
    result.set(reward, terminated, elapsed >= MAX_STEPS);
    observe(obs);
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
