package io.sparkac.jobs;

import io.sparkac.env.CartPole;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * CartPole-v1 that takes about a millisecond per step, so that a rollout task lasts long enough
 * for the fault test to kill its executor in the middle of it. Same dynamics and same draws as
 * CartPole: waiting changes no result. Shipped to the cluster with {@code --jars}.
 */
public final class SlowCartPole implements Environment {
  static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private final CartPole env = new CartPole();

  @Override
  public String id() {
    return env.id();
  }

  @Override
  public Space observationSpace() {
    return env.observationSpace();
  }

  @Override
  public Space actionSpace() {
    return env.actionSpace();
  }

  @Override
  public int maxEpisodeSteps() {
    return env.maxEpisodeSteps();
  }

  @Override
  public void reset(long seed, float[] obs) {
    env.reset(seed, obs);
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    LockSupport.parkNanos(STEP_NANOS);
    env.step(action, obs, result);
  }

  @Override
  public double[] state() {
    return env.state();
  }

  @Override
  public int elapsedSteps() {
    return env.elapsedSteps();
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    env.restore(state, elapsedSteps);
  }

  @Override
  public void observe(float[] obs) {
    env.observe(obs);
  }
}
