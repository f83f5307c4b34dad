package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * A small well-behaved environment for tests (it passes {@link EnvironmentChecker}): a walker on
 * a line steps left or right by 0.5 and is done at {@code |x| >= 4} or after 20 steps. Public with
 * a public no-argument constructor, so that it can also stand for a custom {@code env.class}.
 *
 * <p>Observation {@code [x, elapsed / 20]}; reward {@code -|x|}.
 */
public final class LineWalk implements Environment {
  public static final String ID = "LineWalk-v0";
  static final int MAX_STEPS = 20;

  private static final Space OBSERVATION_SPACE = Space.Box.of(new float[] {-5f, 0f}, new float[] {5f, 1f});
  private static final Space ACTION_SPACE = new Space.Discrete(2);

  private double x;
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
    x = -1 + 2 * new SplittableRandom(seed).nextDouble();
    elapsed = 0;
    observe(obs);
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (action != 0 && action != 1) {
      throw new IllegalArgumentException(ID + " action must be 0 or 1, got: " + action);
    }
    x += action == 1 ? 0.5 : -0.5;
    elapsed++;
    result.set(-Math.abs(x), Math.abs(x) >= 4, elapsed >= MAX_STEPS);
    observe(obs);
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
}
