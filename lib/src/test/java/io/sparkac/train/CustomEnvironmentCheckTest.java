package io.sparkac.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.InvalidEnvironmentException;
import io.sparkac.env.Pendulum;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import io.sparkac.run.StartMode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A custom {@code env.class} is checked by {@link io.sparkac.env.EnvironmentChecker} before the
 * first round: a broken one stops {@link Trainer#run()} with the checker's message, and nothing
 * is written to the run folder.
 */
class CustomEnvironmentCheckTest {
  @TempDir
  Path tmp;

  private static TrainConfig config(Path run, Class<? extends Environment> env) {
    return ConfigLoader.parse("", List.of("run.dir=\"" + run + "\"", "run.id=test", "env.class=\"" + env.getName() + "\"",
        "rollout.actors=2", "rollout.steps-per-actor=16", "rollout.partitions=1", "run.total-steps=32",
        "eval.episodes=1", "learner.minibatch-size=16"));
  }

  @Test
  void aNanObservationStopsTheRunBeforeAnyRound() {
    Path run = tmp.resolve("nan");
    assertThatThrownBy(() -> new Trainer(io.sparkac.testing.SparkTestSession.get(), config(run, NanPendulum.class),
        StartMode.FRESH).run())
        .isInstanceOf(InvalidEnvironmentException.class)
        .hasMessageStartingWith("NanPendulum-v0 (" + NanPendulum.class.getName() + "): step 3 after reset(seed=0) (action [")
        .hasMessageEndingWith("wrote NaN at obs[2]");
    assertThat(run.resolve("trajectories")).doesNotExist();
    assertThat(run).doesNotExist();
  }

  /**
   * The rollout itself would not notice this one (the values are finite), so without the check
   * the run would train on it and write trajectories.
   */
  @Test
  void anObservationOutsideItsSpaceStopsTheRunBeforeAnyRound() {
    Path run = tmp.resolve("box");
    assertThatThrownBy(() -> new Trainer(io.sparkac.testing.SparkTestSession.get(), config(run, NarrowBoxPendulum.class),
        StartMode.FRESH).run())
        .isInstanceOf(InvalidEnvironmentException.class)
        .hasMessageStartingWith("NarrowBoxPendulum-v0 (" + NarrowBoxPendulum.class.getName() + "): ")
        .hasMessageContaining("wrote obs[2] = ")
        .hasMessageEndingWith("outside the observation space's bounds [-0.5, 0.5]");
    assertThat(run.resolve("trajectories")).doesNotExist();
    assertThat(run).doesNotExist();
  }

  @Test
  void aWellBehavedCustomEnvironmentTrains() {
    // the same wrapper without a defect passes the check and trains: the failures above are the defects'
    Path run = tmp.resolve("fine");
    TrainResult result = new Trainer(io.sparkac.testing.SparkTestSession.get(), config(run, WrappedPendulum.class),
        StartMode.FRESH).run();
    assertThat(result.rounds()).hasSize(1);
    assertThat(run.resolve("trajectories").resolve("round=0")).isDirectory();
  }

  /** Pendulum-v1 under another id; the two broken environments below each change one method. */
  public static class WrappedPendulum implements Environment {
    final Pendulum inner = new Pendulum();

    @Override
    public String id() {
      return getClass().getSimpleName() + "-v0";
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
    public void step(float[] action, float[] obs, StepResult result) {
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

  /** Writes NaN for the angular velocity after its third step. */
  public static final class NanPendulum extends WrappedPendulum {
    @Override
    public void step(float[] action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      if (elapsedSteps() == 3) {
        obs[2] = Float.NaN;
      }
    }
  }

  /** Declares the angular velocity in [-0.5, 0.5]; Pendulum's reaches 8. */
  public static final class NarrowBoxPendulum extends WrappedPendulum {
    @Override
    public Space observationSpace() {
      return Space.Box.of(new float[] {-1f, -1f, -0.5f}, new float[] {1f, 1f, 0.5f});
    }
  }
}
