package io.sparkac.rollout;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.EnvFactory;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;

/** Creates the configured environment on an executor. */
public final class Environments {
  private Environments() {}

  public static Environment create(TrainConfig.Env env) {
    return EnvFactory.create(env.id(), env.className());
  }

  public static Space.Discrete discreteActions(Environment env) {
    if (env.actionSpace() instanceof Space.Discrete d) {
      return d;
    }
    throw new IllegalArgumentException(env.id() + ": action space " + env.actionSpace() + " is not discrete");
  }
}
