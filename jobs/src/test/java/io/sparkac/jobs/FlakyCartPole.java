package io.sparkac.jobs;

import io.sparkac.env.CartPole;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.TaskContext;

/**
 * CartPole-v1 that makes the first attempt of every Spark task that steps it fail, at its fifth
 * step (a CartPole episode lasts longer, so evaluation tasks fail too), as a lost executor or a
 * flaky node would; a retried attempt runs clean. For a custom
 * {@code env.class} in the determinism test: the run must still give the undisturbed run's bits.
 *
 * <p>Each injected fault leaves a marker file, named by the job's description ("round 2:
 * rollout"), stage, partition and attempt, in the folder of the system property
 * {@code sparkac.test.faults} (local mode: the tasks run in the driver's JVM), so the test can
 * count them. Outside a Spark task (the driver's probe) it never fails.
 */
public final class FlakyCartPole implements Environment {
  static final String FAULTS_DIR = "sparkac.test.faults";
  static final int FAULT_STEP = 5;

  private final CartPole inner = new CartPole();
  private int steps;

  @Override
  public void step(int action, float[] obs, StepResult result) {
    TaskContext task = TaskContext.get();
    if (task != null && task.attemptNumber() == 0 && ++steps == FAULT_STEP) {
      String job = String.valueOf(task.getLocalProperty("spark.job.description")).replaceAll("[^A-Za-z0-9]+", "-");
      String marker = job + "_stage-" + task.stageId() + "_partition-" + task.partitionId() + "_attempt-0";
      try {
        Files.createDirectories(Path.of(System.getProperty(FAULTS_DIR)));
        Files.writeString(Path.of(System.getProperty(FAULTS_DIR), marker), "");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new IllegalStateException("injected fault: " + marker);
    }
    inner.step(action, obs, result);
  }

  @Override
  public String id() {
    return inner.id();
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
