package io.sparkac.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The env.python* and env.gymnasium keys: defaults, validation at load, and the rendered round trip. */
class PythonEnvConfigTest {
  static TrainConfig parse(String... overrides) {
    return ConfigLoader.parse("", List.of(overrides));
  }

  @Test
  void defaultsAreNoPythonEnvironment() {
    TrainConfig.Env env = parse().env();
    assertThat(env.isPython()).isFalse();
    assertThat(env.custom()).isFalse();
    assertThat(env).isEqualTo(new TrainConfig.Env("CartPole-v1", ""));
    assertThat(env.pythonExecutable()).isEqualTo("python3");
    assertThat(env.pythonEpisodes()).isEqualTo("continue");
    assertThat(env.pythonTimeoutMs()).isEqualTo(60_000);
  }

  @Test
  void aPythonEnvironmentWithKeywordArgumentsRoundTripsThroughTheRenderedConfig() {
    TrainConfig c = ConfigLoader.parse("""
        env {
          python = "my_envs.grid:GridWorld"
          python-kwargs { size = 8, walls = [1, 2], name = "a", nested { x = 1.5 } }
          python-path = ["my/envs", "envs.zip"]
          python-executable = "/usr/bin/python3"
          python-episodes = restart
          python-timeout-ms = 5000
        }
        """, List.of());
    assertThat(c.env().isPython()).isTrue();
    assertThat(c.env().custom()).isTrue();
    assertThat(c.env().pythonKwargs()).containsEntry("size", 8).containsEntry("name", "a")
        .containsEntry("walls", List.of(1, 2)).containsEntry("nested", Map.of("x", 1.5));
    TrainConfig back = ConfigLoader.parse(ConfigLoader.render(c), List.of());
    assertThat(back).isEqualTo(c);
    assertThat(ConfigLoader.render(c)).doesNotContain("is-python");
  }

  @Test
  void overridesTakeTheTargetLiterally() {
    assertThat(parse("env.python=pkg.mod:Factory").env().python()).isEqualTo("pkg.mod:Factory");
    assertThat(parse("env.gymnasium=CartPole-v1").env().gymnasium()).isEqualTo("CartPole-v1");
  }

  @Test
  void badValuesNameTheKeyTheValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> parse("env.python=my_envs.grid")).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.python = \"my_envs.grid\": must be package.module:ClassOrFactory");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.gymnasium=CartPole-v1"))
        .hasMessageStartingWith("env.gymnasium = \"CartPole-v1\": must be empty when env.python is set");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.class=com.example.Env"))
        .hasMessageStartingWith("env.class = \"com.example.Env\": must be empty when env.python is set");
    assertThatThrownBy(() -> parse("env.python-kwargs={size=3}"))
        .hasMessageStartingWith("env.python-kwargs = {size=3}: is passed to a Python environment only");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.python-kwargs=3"))
        .hasMessageStartingWith("env.python-kwargs = 3: must be an object");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.python-episodes=keep"))
        .hasMessageStartingWith("env.python-episodes = \"keep\": must be continue");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.python-timeout-ms=0"))
        .hasMessageStartingWith("env.python-timeout-ms = 0: must be >= 1");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.python-executable=\"\""))
        .hasMessageStartingWith("env.python-executable = \"\": must be a Python 3 command");
    assertThatThrownBy(() -> parse("env.python=a:B", "env.python-path=\"envs\""))
        .hasMessageStartingWith("env.python-path = \"envs\": must be a list of strings");
    assertThatThrownBy(() -> parse("env.pyhton=\"a:B\"")).hasMessageContaining("did you mean env.python?");
  }
}
