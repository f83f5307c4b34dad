package io.sparkac.rollout;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.EnvFactory;
import io.sparkac.env.Environment;

/** Creates the configured environment on an executor. */
public final class Environments {
  private Environments() {}

  public static Environment create(TrainConfig.Env env) {
    return EnvFactory.create(env.id(), env.className());
  }
}
