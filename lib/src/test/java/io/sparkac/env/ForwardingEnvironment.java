package io.sparkac.env;

/**
 * A {@link LineWalk} under another id, for test doubles that break one method: each broken
 * environment in {@link EnvironmentCheckerTest} extends this and overrides only the method it
 * breaks, so that the defect is the whole of its code. (The one place where this project
 * inherits from a class: here it keeps a dozen doubles to a few lines each.)
 */
abstract class ForwardingEnvironment implements Environment {
  final LineWalk inner = new LineWalk();
  private final String id;

  ForwardingEnvironment(String id) {
    this.id = id;
  }

  @Override
  public String id() {
    return id;
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
