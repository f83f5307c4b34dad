package io.sparkac.testing;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.run.StartMode;
import io.sparkac.train.TrainResult;
import io.sparkac.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiny CartPole runs for tests that need a run folder (analysis, jobs, notebooks): 4 actors x 32
 * steps per round, 3 rounds, a greedy evaluation of 3 episodes every 2 rounds and at the end.
 */
public final class SmallRuns {
  private SmallRuns() {}

  public static TrainConfig config(Path dir, String... overrides) {
    List<String> all = new ArrayList<>(List.of("run.dir=\"" + dir + "\"", "run.id=test", "rollout.actors=4",
        "rollout.steps-per-actor=32", "rollout.partitions=2", "run.total-steps=384", "eval.interval-rounds=2",
        "eval.episodes=3", "learner.minibatch-size=32"));
    all.addAll(List.of(overrides));
    return ConfigLoader.parse("", all);
  }

  /** Trains a fresh run on the shared test session. */
  public static TrainResult train(Path dir, String... overrides) {
    return new Trainer(SparkTestSession.get(), config(dir, overrides), StartMode.FRESH).run();
  }
}
