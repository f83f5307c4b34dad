package io.sparkac.export;

import io.sparkac.inference.TrainedPolicy;
import io.sparkac.testing.SmallRuns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tiny training run per built-in environment, trained once per test JVM and shared by the
 * export tests: 4 actors x 32 steps, 2 rounds, observation normalisation on, and a greedy
 * evaluation of 100 episodes after the last round (the figure the ONNX replay must give). One
 * CartPole run without normalisation besides.
 */
final class ExportedRuns {
  static final List<String> ENVS = List.of("CartPole-v1", "Acrobot-v1", "MountainCar-v0",
      "MountainCarContinuous-v0", "Pendulum-v1");
  /** The CartPole run without observation normalisation. */
  static final String PLAIN = "CartPole-v1 (no normalisation)";
  private static final Map<String, Path> RUNS = new LinkedHashMap<>();
  private static final Map<String, TrainedPolicy> POLICIES = new LinkedHashMap<>();
  private static Path root;

  private ExportedRuns() {}

  /** The last round's policy of {@code name}'s run, read once. */
  static synchronized TrainedPolicy policy(String name) {
    return POLICIES.computeIfAbsent(name, n -> TrainedPolicy.load(run(n)));
  }

  /** The run folder of {@code name} (an env id or {@link #PLAIN}), trained on first use. */
  static synchronized Path run(String name) {
    return RUNS.computeIfAbsent(name, n -> {
      try {
        if (root == null) {
          root = Files.createTempDirectory("sparkac-export-runs");
        }
        boolean plain = n.equals(PLAIN);
        String env = plain ? "CartPole-v1" : n;
        Path dir = root.resolve(env + (plain ? "-plain" : ""));
        SmallRuns.train(dir, "env.id=" + env, "normalize.observations=" + !plain, "run.total-steps=256",
            "eval.interval-rounds=0", "eval.episodes=100", "run.seed=7");
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
