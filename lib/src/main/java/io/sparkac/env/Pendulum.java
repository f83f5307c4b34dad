package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * Pendulum-v1, ported from Gymnasium 1.0's {@code classic_control/pendulum.py} with the default
 * {@code g = 10.0} and the 200-step {@code TimeLimit}. The torque is clipped to {@code [-2, 2]};
 * the reward is {@code -(angle_normalize(th)^2 + 0.1 * thdot^2 + 0.001 * u^2)} of the state
 * before the step; the episode never terminates, it is only truncated.
 *
 * <p>The internal state is {@code [th, thdot]} in float64, the observation
 * {@code [cos th, sin th, thdot]} in float32. The clipped torque stays a float32 value, as
 * Gymnasium's {@code np.clip(u, ...)[0]} on a float32 action does, and enters the float64
 * arithmetic exactly. {@link StrictMath} supplies {@code sin}/{@code cos} so that every executor
 * computes the same trajectory; numpy's differ from it in the last bit now and then, which only
 * moves the state (the conformance test measures it), never the reward, which has no
 * trigonometry.
 *
 * <p>A non-finite action is rejected: Gymnasium would carry a NaN into the state, and a policy
 * that emits one has a bug best reported where it shows.
 */
public final class Pendulum implements Environment {
  public static final String ID = "Pendulum-v1";

  private static final double MAX_SPEED = 8;
  private static final float MAX_TORQUE = 2.0f;
  private static final double DT = 0.05;
  private static final double G = 10.0;
  private static final double M = 1.0;
  private static final double L = 1.0;
  private static final int MAX_STEPS = 200;

  private static final Space OBSERVATION_SPACE = Space.Box.of(
      new float[] {-1f, -1f, (float) -MAX_SPEED}, new float[] {1f, 1f, (float) MAX_SPEED});
  private static final Space ACTION_SPACE = Space.Box.symmetric(MAX_TORQUE, 1);

  private double th;
  private double thdot;
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
    // Gymnasium: uniform(low=-[pi, 1], high=[pi, 1]), numpy's low + (high - low) * random().
    SplittableRandom rng = new SplittableRandom(seed);
    th = -Math.PI + (Math.PI - -Math.PI) * rng.nextDouble();
    thdot = -1.0 + (1.0 - -1.0) * rng.nextDouble();
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
    // u = np.clip(u, -self.max_torque, self.max_torque)[0], still float32
    double u = Math.min(Math.max(action[0], -MAX_TORQUE), MAX_TORQUE);
    // costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2); u * u is exact
    double normalized = angleNormalize(th);
    double costs = normalized * normalized + 0.1 * (thdot * thdot) + 0.001 * (u * u);

    // newthdot = thdot + (3 * g / (2 * l) * np.sin(th) + 3.0 / (m * l**2) * u) * dt
    double newthdot = thdot + (3 * G / (2 * L) * StrictMath.sin(th) + 3.0 / (M * (L * L)) * u) * DT;
    newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
    double newth = th + newthdot * DT;

    th = newth;
    thdot = newthdot;
    elapsed++;
    result.set(-costs, false, elapsed >= MAX_STEPS);
    observe(obs);
  }

  /**
   * Gymnasium's {@code ((x + np.pi) % (2 * np.pi)) - np.pi}. numpy's float {@code %} is
   * {@code fmod} (Java's {@code %}) shifted by the divisor when the signs differ, so that the
   * result takes the divisor's sign, as Python's does ({@code npy_divmod}).
   */
  static double angleNormalize(double x) {
    double a = x + Math.PI;
    double b = 2 * Math.PI;
    double mod = a % b;
    if (mod != 0) {
      if ((b < 0) != (mod < 0)) {
        mod += b;
      }
    } else {
      mod = Math.copySign(0.0, b);
    }
    return mod - Math.PI;
  }

  @Override
  public double[] state() {
    return new double[] {th, thdot};
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
    th = state[0];
    thdot = state[1];
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    obs[0] = (float) StrictMath.cos(th);
    obs[1] = (float) StrictMath.sin(th);
    obs[2] = (float) thdot;
  }
}
