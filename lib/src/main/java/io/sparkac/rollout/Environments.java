package io.sparkac.rollout;

import io.sparkac.config.ConfigException;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.EnvFactory;
import io.sparkac.env.Environment;
import io.sparkac.env.python.PythonEnvException;
import io.sparkac.env.python.PythonEnvSpec;
import io.sparkac.env.python.PythonEnvironment;

/** Creates the configured environment on an executor (or on the driver, for its checks). */
public final class Environments {
  private Environments() {}

  /**
   * A new environment. A Python one lives in this JVM's shared worker for the configuration;
   * one that cannot be created (a module that cannot be imported, an unsupported space, no
   * Python) is a {@link ConfigException} naming the key.
   */
  public static Environment create(TrainConfig.Env env) {
    if (env.isPython()) {
      PythonEnvSpec spec = python(env);
      try {
        return PythonEnvironment.shared(spec);
      } catch (PythonEnvException e) {
        throw new ConfigException(spec.key(), spec.value(), e.detail(), e);
      }
    }
    return EnvFactory.create(env.id(), env.className());
  }

  /** The Python environment the configuration names; {@code env.isPython()} must hold. */
  public static PythonEnvSpec python(TrainConfig.Env env) {
    return new PythonEnvSpec(env.python(), env.gymnasium(), env.pythonKwargs(), env.pythonExecutable(),
        env.pythonPath(), env.pythonTimeoutMs(), env.pythonEpisodes().equals("restart"));
  }
}
