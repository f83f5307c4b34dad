package io.sparkac.jobs;

import io.sparkac.env.Environment;
import io.sparkac.env.LineWalk;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link LineWalk} whose reward turns NaN once {@link #budget} steps have been taken by all its
 * instances together (local mode: one JVM), so that a training run fails after some committed
 * rounds. A custom {@code env.class} for tests.
 */
public final class FailingLineWalk implements Environment {
  static final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  private final LineWalk inner = new LineWalk();

  @Override
  public String id() {
    return "FailingLineWalk-v0";
  }

  @Override
  public Space observationSpace() {
    return inner.observationSpace();
  }

  @Override
  public Space actionSpace() {
    return inner.actionSpace();
  }

  @Override
  public int maxEpisodeSteps() {
    return inner.maxEpisodeSteps();
  }

  @Override
  public void reset(long seed, float[] obs) {
    inner.reset(seed, obs);
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    inner.step(action, obs, result);
    if (budget.decrementAndGet() < 0) {
      result.reward = Double.NaN;
    }
  }

  @Override
  public double[] state() {
    return inner.state();
  }

  @Override
  public int elapsedSteps() {
    return inner.elapsedSteps();
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    inner.restore(state, elapsedSteps);
  }

  @Override
  public void observe(float[] obs) {
    inner.observe(obs);
  }
}
