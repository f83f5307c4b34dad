package io.sparkac.run;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigException;
import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keys a resume cannot change, checked without Spark: the environment's, Python's included. */
class FixedKeysTest {
  private static TrainConfig config(String... overrides) {
    return ConfigLoader.parse("", List.of(overrides));
  }

  @Test
  void aResumeMayChangeTheStepBudgetAndTheLearningRate() {
    assertThatCode(() -> FixedKeys.check(config(), config("run.total-steps=1000", "learner.actor-learning-rate=0.01"),
        "runs/x")).doesNotThrowAnyException();
  }

  @Test
  void aResumeCannotSwitchTheEnvironmentToAPythonOneOrChangeItsArguments() {
    TrainConfig python = config("env.python=my_envs.grid:GridWorld", "env.python-kwargs={size=5}");
    assertThatThrownBy(() -> FixedKeys.check(config(), python, "runs/x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.python = \"my_envs.grid:GridWorld\": cannot change on resume: the run in runs/x"
            + " has env.python = \"\"");
    assertThatThrownBy(() -> FixedKeys.check(python,
        config("env.python=my_envs.grid:GridWorld", "env.python-kwargs={size=7}"), "runs/x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.python-kwargs = {size=7}: cannot change on resume");
    assertThatThrownBy(() -> FixedKeys.check(python,
        config("env.python=my_envs.grid:GridWorld", "env.python-kwargs={size=5}", "env.python-episodes=restart"),
        "runs/x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.python-episodes = \"restart\": cannot change on resume");
    assertThatThrownBy(() -> FixedKeys.check(config(), config("env.gymnasium=CartPole-v1"), "runs/x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.gymnasium = \"CartPole-v1\": cannot change on resume");
  }
}
