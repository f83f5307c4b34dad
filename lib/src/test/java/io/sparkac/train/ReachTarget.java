package io.sparkac.train;

import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.util.SplittableRandom;

/**
 * A continuous-action task that a correct policy gradient learns in a few thousand steps and a
 * wrong one unlearns: each episode draws a target x uniformly from [-1, 1]; for 10 steps the
 * agent sees {@code [x, t / 10]}, chooses a torque-like action a in [-2, 2] and gets
 * {@code -(a - x)^2}. The best policy's mean is x (return 0); a policy whose mean is 0, as the
 * initial actor's nearly is, gets {@code -10 E[x^2]} = -3.3 on average.
 *
 * <p>Public with a public no-argument constructor, to be named as a custom {@code env.class}
 * (it passes {@link io.sparkac.env.EnvironmentChecker}). Why not Pendulum-v1: its config needs
 * about 40k steps (40 rounds with an evaluation each, conf/pendulum.conf) to reach -250, too many
 * for a test that runs on every build; MountainCarContinuous's reward favours doing nothing until
 * exploration first reaches the goal.
 */
public final class ReachTarget implements Environment {
  public static final String ID = "ReachTarget-v0";
  static final int STEPS = 10;
  private static final Space OBSERVATION_SPACE = Space.Box.of(new float[] {-1f, 0f}, new float[] {1f, 1f});
  private static final Space ACTION_SPACE = Space.Box.symmetric(2f, 1);

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
    return STEPS;
  }

  @Override
  public void reset(long seed, float[] obs) {
    x = -1 + 2 * new SplittableRandom(seed).nextDouble();
    elapsed = 0;
    observe(obs);
  }

  @Override
  public void step(float[] action, float[] obs, StepResult result) {
    if (action.length != 1 || !Float.isFinite(action[0])) {
      throw new IllegalArgumentException(ID + " action is one finite value, got: " + java.util.Arrays.toString(action));
    }
    double a = Math.max(-2f, Math.min(2f, action[0]));
    elapsed++;
    result.set(-(a - x) * (a - x), false, elapsed >= STEPS);
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
    obs[1] = elapsed / (float) STEPS;
  }
}
