package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * CartPole-v1, ported from Gymnasium 1.0's {@code classic_control/cartpole.py} (Euler
 * integration, the 500-step {@code TimeLimit}). Reward 1 for every step, including the one that
 * terminates, as in Gymnasium.
 */
public final class CartPole implements Environment {
  public static final String ID = "CartPole-v1";

  private static final double GRAVITY = 9.8;
  private static final double MASS_CART = 1.0;
  private static final double MASS_POLE = 0.1;
  private static final double TOTAL_MASS = MASS_POLE + MASS_CART;
  private static final double LENGTH = 0.5; // half the pole's length
  private static final double POLE_MASS_LENGTH = MASS_POLE * LENGTH;
  private static final double FORCE_MAG = 10.0;
  private static final double TAU = 0.02;
  private static final double THETA_THRESHOLD = 12 * 2 * Math.PI / 360;
  private static final double X_THRESHOLD = 2.4;
  private static final int MAX_STEPS = 500;

  private static final Space OBSERVATION_SPACE = Space.Box.of(
      new float[] {(float) -(X_THRESHOLD * 2), -Float.MAX_VALUE, (float) -(THETA_THRESHOLD * 2), -Float.MAX_VALUE},
      new float[] {(float) (X_THRESHOLD * 2), Float.MAX_VALUE, (float) (THETA_THRESHOLD * 2), Float.MAX_VALUE});
  private static final Space ACTION_SPACE = new Space.Discrete(2);

  private double x;
  private double xDot;
  private double theta;
  private double thetaDot;
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
    // Gymnasium draws the four state variables uniformly from [-0.05, 0.05).
    SplittableRandom rng = new SplittableRandom(seed);
    x = uniform(rng);
    xDot = uniform(rng);
    theta = uniform(rng);
    thetaDot = uniform(rng);
    elapsed = 0;
    observe(obs);
  }

  private static double uniform(SplittableRandom rng) {
    return -0.05 + 0.1 * rng.nextDouble();
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (action != 0 && action != 1) {
      throw new IllegalArgumentException("CartPole-v1 action must be 0 or 1, got: " + action);
    }
    double force = action == 1 ? FORCE_MAG : -FORCE_MAG;
    double costheta = StrictMath.cos(theta);
    double sintheta = StrictMath.sin(theta);
    // Florian 2007, "Correct equations for the dynamics of the cart-pole system", as in Gymnasium.
    double temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sintheta) / TOTAL_MASS;
    double thetaacc = (GRAVITY * sintheta - costheta * temp)
        / (LENGTH * (4.0 / 3.0 - MASS_POLE * costheta * costheta / TOTAL_MASS));
    double xacc = temp - POLE_MASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
    // kinematics_integrator == "euler"
    x = x + TAU * xDot;
    xDot = xDot + TAU * xacc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaacc;
    elapsed++;

    boolean terminated = x < -X_THRESHOLD || x > X_THRESHOLD
        || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
    boolean truncated = elapsed >= MAX_STEPS;
    result.set(1.0, terminated, truncated);
    observe(obs);
  }

  @Override
  public double[] state() {
    return new double[] {x, xDot, theta, thetaDot};
  }

  @Override
  public int elapsedSteps() {
    return elapsed;
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    if (state.length != 4) {
      throw new IllegalArgumentException("CartPole-v1 state has 4 values, got: " + state.length);
    }
    x = state[0];
    xDot = state[1];
    theta = state[2];
    thetaDot = state[3];
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    obs[0] = (float) x;
    obs[1] = (float) xDot;
    obs[2] = (float) theta;
    obs[3] = (float) thetaDot;
  }
}
