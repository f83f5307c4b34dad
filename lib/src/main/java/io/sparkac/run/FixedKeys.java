package io.sparkac.run;

import io.sparkac.config.ConfigException;
import io.sparkac.config.TrainConfig;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The configuration keys fixed for the life of a run: a resume continues from what the last
 * checkpoint saved, so a key whose value is baked into the checkpoint (the networks' layers,
 * activation, optimizer and loss coefficients; the normalization statistics) or into the actors'
 * snapshots and seeds (the environment, the number of actors) cannot change on resume: the new
 * value would be recorded in {@code state.json} but not used. Other keys (run.total-steps, eval.*,
 * the learning rates, which a resume applies to the restored networks, ...) may change.
 */
public final class FixedKeys {
  private FixedKeys() {}

  /** A fixed key: its name, how to read it, and what in the run depends on it. */
  private record Key(String name, Function<TrainConfig, Object> value, String why) {}

  private static final String NETWORKS = "the checkpoint's networks are built with it";
  private static final List<Key> ALWAYS = List.of(
      new Key("env.id", c -> c.env().id(), "the run's actors step this environment (their snapshots and spaces)"),
      new Key("env.class", c -> c.env().className(),
          "the run's actors step this environment (their snapshots and spaces)"),
      new Key("env.python", c -> c.env().python(), "the run's actors step this environment (their snapshots and spaces)"),
      new Key("env.gymnasium", c -> c.env().gymnasium(),
          "the run's actors step this environment (their snapshots and spaces)"),
      new Key("env.python-kwargs", c -> c.env().pythonKwargs(),
          "the run's actors step this environment, made with these arguments"),
      new Key("env.python-episodes", c -> c.env().pythonEpisodes(),
          "the run's actor snapshots hold (continue) or do not hold (restart) the environments' state"),
      new Key("rollout.actors", c -> c.rollout().actors(), "the run's actor snapshots and seeds are per actor"),
      new Key("network.hidden", c -> c.network().hidden(), NETWORKS),
      new Key("network.activation", c -> lower(c.network().activation()), NETWORKS),
      new Key("network.log-std-init", c -> c.network().logStdInit(), NETWORKS),
      new Key("learner.optimizer", c -> lower(c.learner().optimizer()),
          "the checkpoint's networks carry this optimizer's state"),
      new Key("learner.entropy-coef", c -> c.learner().entropyCoef(),
          "the checkpoint's actor has it in its loss function"),
      new Key("learner.value-coef", c -> c.learner().valueCoef(),
          "the checkpoint's critic has it in its loss function"),
      new Key("normalize.observations", c -> c.normalize().observations(),
          "the checkpoints save the normalization statistics it enables"),
      new Key("normalize.rewards", c -> c.normalize().rewards(),
          "the checkpoints save the normalization statistics it enables"),
      new Key("normalize.clip", c -> c.normalize().clip(), "the saved normalization statistics hold it"));
  /** With normalize.rewards: the saved reward scaler discounts with the run's gamma. */
  private static final Key GAMMA = new Key("learner.gamma", c -> c.learner().gamma(),
      "the saved reward normalization (normalize.rewards = true) discounts with it");
  /** An async run continued in async mode: its updates were learned from groups built with these. */
  private static final List<Key> ASYNC = List.of(
      new Key("parallel.groups", c -> c.parallel().groups(),
          "the run's async updates were learned from groups built with it"),
      new Key("rollout.partitions", c -> c.rollout().partitions(),
          "the run's async updates were learned from groups built with it"));

  /**
   * Fails when {@code now}, the configuration a resume of {@code run} would continue with, changes
   * a fixed key of {@code run} (the configuration saved with the run's last checkpoint).
   *
   * @throws ConfigException naming the key, the new value, the run's value and why it is fixed
   */
  public static void check(TrainConfig run, TrainConfig now, Object runDir) {
    for (Key k : ALWAYS) {
      check(k, run, now, runDir);
    }
    if (run.normalize().rewards()) {
      check(GAMMA, run, now, runDir);
    }
    if (run.parallel().async() && now.parallel().async()) {
      for (Key k : ASYNC) {
        check(k, run, now, runDir);
      }
    }
  }

  private static void check(Key k, TrainConfig run, TrainConfig now, Object runDir) {
    Object before = k.value().apply(run);
    Object after = k.value().apply(now);
    if (!Objects.equals(before, after)) {
      throw new ConfigException(k.name(), after, "cannot change on resume: the run in " + runDir + " has "
          + k.name() + " = " + render(before) + " and " + k.why() + "; start a new run (another run.dir) to"
          + " change it");
    }
  }

  private static String render(Object v) {
    return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(java.util.Locale.ROOT);
  }
}
