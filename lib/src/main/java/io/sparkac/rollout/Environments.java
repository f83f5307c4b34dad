package io.sparkac.rollout;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.EnvRegistry;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;

/** Creates the configured environment on an executor. */
final class Environments {
  private Environments() {}

  static Environment create(TrainConfig.Env env) {
    return EnvRegistry.create(env.id());
  }

  static Space.Discrete discreteActions(Environment env) {
    if (env.actionSpace() instanceof Space.Discrete d) {
      return d;
    }
    throw new IllegalArgumentException(env.id() + ": action space " + env.actionSpace() + " is not discrete");
  }
}
