package io.sparkac.config;

import static io.sparkac.config.ConfigException.check;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.sparkac.policy.GaussianPolicy;
import java.io.Serializable;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole configuration of a training run, one record per concern. Every record validates
 * itself on construction, so an instance is always valid; {@link ConfigLoader} is the one place
 * that builds it from files and command-line overrides.
 */
public record TrainConfig(Run run, Env env, Rollout rollout, Network network, Learner learner, Normalize normalize,
    Eval eval, Parallel parallel)
    implements Serializable {

  public TrainConfig {
    check(rollout.partitions() <= rollout.actors(), "rollout.partitions", rollout.partitions(),
        "must be <= rollout.actors (" + rollout.actors() + "): each partition owns at least one actor");
    if (parallel.async()) {
      check(parallel.groups() <= rollout.partitions(), "parallel.groups", parallel.groups(),
          "must be <= rollout.partitions (" + rollout.partitions() + ") in async mode: each group's job has at "
              + "least one partition");
    }
    check(learner.minibatchSize() >= 1, "learner.minibatch-size", learner.minibatchSize(), "must be >= 1");
    check(learner.mode() != LearnerMode.SPARK || !(normalize.observations() || normalize.rewards()),
        "learner.mode", "spark", "does not support normalize.observations or normalize.rewards yet; use driver");
    check(learner.mode() != LearnerMode.SPARK || learner.objective() == Objective.A2C,
        "learner.mode", "spark", "does not support learner.objective = clipped yet; use driver");
    // Both would weight the advantages by the same ratio to the sampling policy's action_logp.
    check(learner.objective() == Objective.A2C || parallel.correction() == Correction.NONE,
        "parallel.correction", parallel.correction().name().toLowerCase(java.util.Locale.ROOT),
        "must be none with learner.objective = clipped (the clipped objective already weights every sample by "
            + "its ratio to the sampling policy)");
    long perUpdate = samplesPerUpdate(rollout, parallel);
    if (parallel.async()) {
      check(perUpdate <= learner.driverMaxSamples(), "learner.driver-max-samples", learner.driverMaxSamples(),
          "must be >= the samples of the largest group's update (" + perUpdate + ") in async mode: asynchronous "
              + "updates are always collected on the driver");
    } else if (streamsRounds(learner, rollout, parallel)) {
      String why = "when rounds are streamed past the driver (a round of " + perUpdate
          + " samples > learner.driver-max-samples = " + learner.driverMaxSamples() + ")";
      check(!normalize.rewards(), "normalize.rewards", true, "is not supported " + why
          + "; raise learner.driver-max-samples or turn it off");
      check(learner.objective() == Objective.A2C, "learner.objective", "clipped", "is not supported " + why
          + "; raise learner.driver-max-samples or use a2c");
      check(learner.minibatchSize() <= learner.driverMaxSamples(), "learner.driver-max-samples",
          learner.driverMaxSamples(), "must be >= learner.minibatch-size (" + learner.minibatchSize() + ") " + why
              + ": each block the driver holds is whole minibatches");
    }
  }

  /**
   * True when the driver's learner streams each round in blocks of at most
   * {@code learner.driver-max-samples} samples instead of collecting it (learner.mode = driver,
   * sync rounds larger than that).
   */
  public boolean streamsRounds() {
    return streamsRounds(learner, rollout, parallel);
  }

  private static boolean streamsRounds(Learner learner, Rollout rollout, Parallel parallel) {
    return learner.mode() == LearnerMode.DRIVER && !parallel.async()
        && samplesPerUpdate(rollout, parallel) > learner.driverMaxSamples();
  }

  /**
   * Samples one update learns from: a whole round, or in async mode the largest group's rows. A
   * group runs the partitions that {@link ActorRange#split} gives it (partitions over groups), each
   * with the actors the same split gives the partition (actors over partitions), as the rollout
   * groups them.
   */
  static long samplesPerUpdate(Rollout rollout, Parallel parallel) {
    long steps = rollout.stepsPerActor();
    if (!parallel.async()) {
      return rollout.actors() * steps;
    }
    List<ActorRange> partitions = ActorRange.split(rollout.actors(), rollout.partitions());
    int largest = 0;
    for (ActorRange g : ActorRange.split(partitions.size(), parallel.groups())) {
      largest = Math.max(largest, partitions.get(g.to() - 1).to() - partitions.get(g.from()).from());
    }
    return largest * steps;
  }

  /** Environment steps of one round, all actors together. */
  public long stepsPerRound() {
    return (long) rollout.actors() * rollout.stepsPerActor();
  }

  /** Rounds needed to take at least {@code run.total-steps} steps. */
  public int rounds() {
    long r = (run.totalSteps() + stepsPerRound() - 1) / stepsPerRound();
    check(r <= Integer.MAX_VALUE, "run.total-steps", run.totalSteps(), "needs fewer than 2^31 rounds");
    return (int) Math.max(1, r);
  }

  public record Run(String dir, String id, long seed, long totalSteps) implements Serializable {
    public Run {
      check(dir != null && !dir.isBlank(), "run.dir", dir, "must be a non-empty path or URI");
      check(id != null && !id.isBlank(), "run.id", id, "must be non-empty");
      check(totalSteps >= 1, "run.total-steps", totalSteps, "must be >= 1");
    }
  }

  /**
   * The environment: a built-in id, a Java class, or a Python environment with Gymnasium's API
   * ({@code python}: {@code package.module:ClassOrFactory} called with {@code pythonKwargs}, or
   * {@code gymnasium}: an id for {@code gymnasium.make}) stepped by a Python worker per rollout
   * task. {@code pythonEpisodes}: {@code continue} (the environment is pickled into the actors'
   * snapshots) or {@code restart} (every episode ends at a round boundary, as a truncation).
   */
  public record Env(String id, @JsonProperty("class") String className, String python,
      Map<String, Object> pythonKwargs, String gymnasium, String pythonExecutable, List<String> pythonPath,
      String pythonEpisodes, long pythonTimeoutMs) implements Serializable {
    /** {@code package.module:Name}, dotted names of Python identifiers on both sides. */
    static final String PYTHON_TARGET = "[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*"
        + ":[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*";

    public Env {
      check(id != null, "env.id", id, "must be set");
      check(className != null, "env.class", className, "must be a class name or empty");
      check(python != null, "env.python", python, "must be package.module:ClassOrFactory or empty");
      check(gymnasium != null, "env.gymnasium", gymnasium, "must be a Gymnasium id or empty");
      python = python.strip();
      gymnasium = gymnasium.strip();
      check(python.isEmpty() || python.matches(PYTHON_TARGET), "env.python", python,
          "must be package.module:ClassOrFactory (a module Python can import, a colon, then the class or factory"
              + " function in it), e.g. my_envs.grid:GridWorld");
      check(python.isEmpty() || gymnasium.isEmpty(), "env.gymnasium", gymnasium,
          "must be empty when env.python is set (\"" + python + "\"): set one of them");
      boolean isPython = !python.isEmpty() || !gymnasium.isEmpty();
      check(!isPython || className.isBlank(), "env.class", className,
          "must be empty when " + (python.isEmpty() ? "env.gymnasium" : "env.python") + " is set: set one of them");
      pythonKwargs = pythonKwargs == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(pythonKwargs));
      check(isPython || pythonKwargs.isEmpty(), "env.python-kwargs", pythonKwargs,
          "is passed to a Python environment only: set env.python or env.gymnasium, or leave it {}");
      check(pythonExecutable != null && !pythonExecutable.isBlank(), "env.python-executable", pythonExecutable,
          "must be a Python 3 command (default python3) or an absolute path");
      check(pythonPath != null && pythonPath.stream().noneMatch(d -> d == null || d.isBlank()), "env.python-path",
          pythonPath, "must be a list of module folders, e.g. [\"/opt/envs\"], or []");
      pythonPath = List.copyOf(pythonPath);
      check("continue".equals(pythonEpisodes) || "restart".equals(pythonEpisodes), "env.python-episodes",
          pythonEpisodes, "must be continue (the environment is pickled into the actor's snapshot) or restart"
              + " (every episode ends at a round boundary, as a truncation)");
      check(pythonTimeoutMs >= 1, "env.python-timeout-ms", pythonTimeoutMs,
          "must be >= 1: milliseconds a Python worker may take to answer one request");
    }

    /** A built-in environment or a Java class, no Python. */
    public Env(String id, String className) {
      this(id, className, "", Map.of(), "", "python3", List.of(), "continue", 60_000);
    }

    /** Not a built-in environment: a Java class or a Python environment (checked before a run). */
    public boolean custom() {
      return !className.isBlank() || isPython();
    }

    /** A Python environment (env.python or env.gymnasium), stepped by Python workers. */
    @JsonIgnore
    public boolean isPython() {
      return !python.isEmpty() || !gymnasium.isEmpty();
    }

    /** The environment as the configuration names it: env.python, env.gymnasium, env.class or env.id. */
    public String name() {
      return !python.isEmpty() ? python : !gymnasium.isEmpty() ? gymnasium : !className.isBlank() ? className : id;
    }
  }

  public record Rollout(int actors, int stepsPerActor, int partitions) implements Serializable {
    public Rollout {
      check(actors >= 1, "rollout.actors", actors, "must be >= 1");
      check(stepsPerActor >= 1, "rollout.steps-per-actor", stepsPerActor, "must be >= 1");
      check(partitions >= 1, "rollout.partitions", partitions, "must be >= 1");
    }
  }

  public enum Activation { TANH, RELU }

  /**
   * {@code logStdInit}: the initial log-std of a Gaussian policy (Box action spaces), the same
   * for every state; discrete action spaces have no log-std and ignore it.
   */
  public record Network(List<Integer> hidden, Activation activation, double logStdInit) implements Serializable {
    public Network {
      check(hidden != null && !hidden.isEmpty(), "network.hidden", hidden, "must list at least one layer size");
      for (int h : hidden) {
        check(h >= 1 && h <= 65536, "network.hidden", hidden, "layer sizes must be in [1, 65536]");
      }
      hidden = List.copyOf(hidden);
      check(activation != null, "network.activation", activation, "must be tanh or relu");
      check(logStdInit >= GaussianPolicy.LOG_STD_MIN && logStdInit <= GaussianPolicy.LOG_STD_MAX,
          "network.log-std-init", logStdInit, "must be in [" + GaussianPolicy.LOG_STD_MIN + ", "
              + GaussianPolicy.LOG_STD_MAX + "], the Gaussian policy's clamp");
    }
  }

  public enum LearnerMode { DRIVER, SPARK }

  public enum AdvantageEstimator { TD0, GAE, MC }

  public enum Optimizer { ADAM, RMSPROP }

  /** The actor's objective: A2C's advantage-weighted log-likelihood, or PPO's clipped surrogate. */
  public enum Objective { A2C, CLIPPED }

  public record Learner(LearnerMode mode, double gamma, AdvantageEstimator advantage, double gaeLambda,
      Optimizer optimizer, double actorLearningRate, double criticLearningRate, int minibatchSize, int epochs,
      double valueCoef, double entropyCoef, boolean normalizeAdvantages, double maxGradNorm,
      int averagingFrequency, Objective objective, double clipRange, int driverMaxSamples)
      implements Serializable {
    public Learner {
      check(gamma > 0 && gamma <= 1, "learner.gamma", gamma, "must be in (0, 1]");
      check(gaeLambda >= 0 && gaeLambda <= 1, "learner.gae-lambda", gaeLambda, "must be in [0, 1]");
      check(actorLearningRate > 0 && Double.isFinite(actorLearningRate), "learner.actor-learning-rate",
          actorLearningRate, "must be > 0 and finite");
      check(criticLearningRate > 0 && Double.isFinite(criticLearningRate), "learner.critic-learning-rate",
          criticLearningRate, "must be > 0 and finite");
      check(minibatchSize >= 1, "learner.minibatch-size", minibatchSize, "must be >= 1");
      check(epochs >= 1, "learner.epochs", epochs, "must be >= 1");
      check(valueCoef > 0 && Double.isFinite(valueCoef), "learner.value-coef", valueCoef, "must be > 0 and finite");
      check(entropyCoef >= 0 && Double.isFinite(entropyCoef), "learner.entropy-coef", entropyCoef,
          "must be >= 0 and finite");
      check(maxGradNorm >= 0 && Double.isFinite(maxGradNorm), "learner.max-grad-norm", maxGradNorm,
          "must be >= 0 (0 disables clipping)");
      check(averagingFrequency >= 1, "learner.averaging-frequency", averagingFrequency, "must be >= 1");
      check(objective != null, "learner.objective", objective, "must be a2c or clipped");
      check(clipRange > 0 && clipRange < 1, "learner.clip-range", clipRange, "must be in (0, 1)");
      check(driverMaxSamples >= 1, "learner.driver-max-samples", driverMaxSamples,
          "must be >= 1 (samples of a round the driver may hold at once)");
    }

    /** The lambda of the configured estimator: 0 for TD(0), 1 for Monte-Carlo. */
    public double effectiveLambda() {
      return switch (advantage) {
        case TD0 -> 0.0;
        case GAE -> gaeLambda;
        case MC -> 1.0;
      };
    }
  }

  /** Observation normalisation and reward scaling (SB3's VecNormalize), both off by default. */
  public record Normalize(boolean observations, boolean rewards, double clip) implements Serializable {
    public Normalize {
      check(clip > 0 && Double.isFinite(clip), "normalize.clip", clip, "must be > 0 and finite");
    }
  }

  /** {@code targetReturn} is NaN when training never stops early. */
  public record Eval(int intervalRounds, int episodes, double targetReturn) implements Serializable {
    public Eval {
      check(intervalRounds >= 0, "eval.interval-rounds", intervalRounds, "must be >= 0 (0: only at the end)");
      check(episodes >= 1, "eval.episodes", episodes, "must be >= 1");
      check(!Double.isInfinite(targetReturn), "eval.target-return", targetReturn, "must be a finite number or none");
    }

    public boolean hasTarget() {
      return !Double.isNaN(targetReturn);
    }
  }

  public enum ParallelMode { SYNC, ASYNC }

  public enum Correction { NONE, CLIPPED, VTRACE }

  /**
   * Synchronized (all actors, then one update) or asynchronous (one update per finished group of
   * actors) parallel actor-critic. {@code groups}, {@code correction}, {@code clip},
   * {@code rhoBar} and {@code replayOrder} apply to async mode; {@code replayOrder} is a run
   * folder whose recorded completion order is replayed, or empty. {@code stragglerMs} is a
   * benchmark knob for both modes: the rollout task holding actor 0 sleeps that long.
   */
  public record Parallel(ParallelMode mode, int groups, Correction correction, double clip, double rhoBar,
      String replayOrder, long stragglerMs) implements Serializable {
    public Parallel {
      check(mode != null, "parallel.mode", mode, "must be sync or async");
      check(groups >= 1, "parallel.groups", groups, "must be >= 1");
      check(correction != null, "parallel.correction", correction, "must be none, clipped or vtrace");
      check(clip > 0 && clip < 1, "parallel.clip", clip, "must be in (0, 1)");
      check(rhoBar > 0 && Double.isFinite(rhoBar), "parallel.rho-bar", rhoBar, "must be > 0 and finite");
      check(replayOrder != null, "parallel.replay-order", replayOrder, "must be a run folder or empty");
      check(stragglerMs >= 0, "parallel.straggler-ms", stragglerMs, "must be >= 0 (0: off)");
      if (mode == ParallelMode.SYNC) {
        // Options nothing would read: synchronized samples are never stale, and a sync run is
        // reproducible without a recorded order.
        check(correction == Correction.NONE, "parallel.correction",
            correction.name().toLowerCase(java.util.Locale.ROOT),
            "must be none in sync mode (its samples are never stale); set parallel.mode = async");
        check(replayOrder.isEmpty(), "parallel.replay-order", replayOrder,
            "must be empty in sync mode (a sync run is reproducible as it is); set parallel.mode = async");
      }
    }

    public boolean async() {
      return mode == ParallelMode.ASYNC;
    }

    public boolean replays() {
      return !replayOrder.isBlank();
    }
  }
}
