package io.sparkac.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sparkac.rollout.Environments;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The memory a round, an evaluation and the networks need, estimated from the configuration
 * before any Spark work: what cannot fit a heap (or a Java array) is refused with the keys, the
 * estimate and the limit; the defaults and every conf/*.conf pass with room to spare.
 */
class MemoryCheckTest {
  static final long GB = 1L << 30;
  /** The launcher's default driver (SPARKAC_DRIVER_MEMORY 4g), local[2]. */
  static final MemoryCheck.Limits LAUNCHER = new MemoryCheck.Limits(4 * GB, 4 * GB, 2, true);
  /** The test's job processes: -Xmx1g, local[2]. */
  static final MemoryCheck.Limits SMALL = new MemoryCheck.Limits(GB, GB, 2, true);
  static final MemoryCheck.Shapes CARTPOLE = new MemoryCheck.Shapes(4, 2, 0, 4, 500);

  static ConfigException refused(MemoryCheck.Limits limits, String... overrides) {
    TrainConfig c = ConfigLoader.parse("", List.of(overrides));
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> MemoryCheck.check(c, CARTPOLE, limits, false));
    assertThat(e).as("refused: %s", List.of(overrides)).isNotNull();
    return e;
  }

  @Test
  void aBillionActorsAreRefusedNamingTheKeysTheEstimateAndTheLimit() {
    ConfigException e = refused(LAUNCHER, "rollout.actors=1e9");
    // a billion actors over 2 partitions: 32e9 rows a task, more than an array holds
    assertThat(e.getMessage()).startsWith("rollout.actors = 1000000000, rollout.partitions = 2, "
        + "rollout.steps-per-actor = 64: a rollout task's 32,000,000,000 rows would need arrays of 128,000,000,000 elements,"
        + " more than a Java array holds (2^31-1); raise rollout.partitions");
    // with enough partitions for the arrays, the snapshots cannot fit the driver
    ConfigException p = refused(LAUNCHER, "rollout.actors=1e9", "rollout.partitions=100000");
    assertThat(p.getMessage()).matches("rollout.actors = 1000000000: the actors' snapshots need about [0-9.]+ GB on"
        + " the driver, more than the 1.9 GB a phase may use of its 4.0 GB heap \\(half of what Spark leaves\\); set"
        + " SPARKAC_DRIVER_MEMORY / spark.driver.memory, or lower rollout.actors");
  }

  @Test
  void aCollectedRoundTooLargeForTheDriver() {
    // 2^20 samples a round of a 10,000-float observation: about 20 GB collected
    MemoryCheck.Shapes wide = new MemoryCheck.Shapes(10_000, 2, 0, 4, 500);
    TrainConfig c = ConfigLoader.parse("", List.of("rollout.actors=1024", "rollout.steps-per-actor=100",
        "rollout.partitions=1024", "network.hidden=[8]"));
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> MemoryCheck.check(c, wide, LAUNCHER, false));
    assertThat(e.getMessage()).matches("rollout.actors = 1024, rollout.steps-per-actor = 100: a round needs about"
        + " [0-9.]+ GB on the driver, more than the 1.9 GB a phase may use of its 4.0 GB heap \\(half of what Spark"
        + " leaves\\); set SPARKAC_DRIVER_MEMORY / spark.driver.memory, or lower rollout.actors, or lower"
        + " learner.driver-max-samples to stream the round");
    // streamed in blocks of 1,000 samples, the same round fits
    assertThatCode(() -> MemoryCheck.check(ConfigLoader.parse(ConfigLoader.render(c),
        List.of("learner.driver-max-samples=1000")), wide, LAUNCHER, false)).doesNotThrowAnyException();
  }

  @Test
  void aBillionEvaluationEpisodes() {
    assertThat(refused(LAUNCHER, "eval.episodes=1e9").getMessage()).matches("eval.episodes = 1000000000: an"
        + " evaluation needs about 119.2 GB on the driver, more than the 1.9 GB a phase may use of its 4.0 GB heap"
        + " \\(half of what Spark leaves\\); set SPARKAC_DRIVER_MEMORY / spark.driver.memory, or lower eval.episodes");
    // few enough for the driver, too many for an executor
    assertThat(refused(new MemoryCheck.Limits(64 * GB, 2 * GB, 4, false), "eval.episodes=1e7").getMessage())
        .matches("eval.episodes = 10000000, rollout.partitions = 2: an evaluation task needs about [0-9.]+ GB on"
            + " an executor, more than the [0-9.]+ MB a phase may use of its 2.0 GB heap \\(half of what Spark"
            + " leaves\\); set spark.executor.memory \\(1/4 of it per task\\), or lower eval.episodes, or raise"
            + " rollout.partitions");
  }

  @Test
  void stepsPerActorBeyondAnArrayAreRefusedNotOverflowed() {
    assertThat(refused(LAUNCHER, "rollout.steps-per-actor=2000000000").getMessage()).startsWith("rollout.actors"
        + " = 16, rollout.partitions = 2, rollout.steps-per-actor = 2000000000: a rollout task's 16,000,000,000 rows would"
        + " need arrays of 64,000,000,000 elements");
    // every count at its largest: no overflow, a refusal
    assertThat(refused(LAUNCHER, "rollout.actors=2147483647", "rollout.steps-per-actor=2147483647",
        "rollout.partitions=2147483647", "eval.episodes=2147483647", "learner.driver-max-samples=2147483647")
        .getMessage()).contains("more than");
  }

  @Test
  void layersBeyondAnArrayOrTheHeapAreRefused() {
    assertThat(refused(LAUNCHER, "network.hidden=[65536,65536]").getMessage()).isEqualTo("network.hidden ="
        + " [65536, 65536]: a layer of 65536 x 65536 weights would need arrays of 4,294,967,296 elements, more than a Java"
        + " array holds (2^31-1); use smaller layers");
    assertThat(refused(LAUNCHER, "network.hidden=[16384,16384]").getMessage()).matches("network.hidden ="
        + " \\[16384, 16384\\]: the actor and the critic need about [0-9.]+ GB on the driver \\(weights, gradients and"
        + " Adam's two moments, copies, and the activations of a minibatch of 256\\), more than the 1.9 GB a phase"
        + " may use of its 4.0 GB heap \\(half of what Spark leaves\\); set SPARKAC_DRIVER_MEMORY /"
        + " spark.driver.memory, or use smaller layers");
  }

  @Test
  void theEstimateOfTheDefaultRound() {
    MemoryCheck.Estimate e = MemoryCheck.estimate(ConfigLoader.parse("", List.of()), CARTPOLE, false);
    // 16 x 64 rows of (the returned RowBatch rows 47 + 8 x 4 = 79, merged 79 + 16 sort references,
    // learner 116) bytes
    assertThat(e.roundOnDriver()).isEqualTo(16 * 64 * (79 + 95 + 116));
    // 16 actors x (3 snapshots of 96 + 32 + 16 bytes + 80)
    assertThat(e.snapshotsOnDriver()).isEqualTo(16 * (3 * 144 + 80));
    assertThat(e.evalOnDriver()).isEqualTo(100 * 128);
    // actor: (4+1)x64 + (64+1)x64 + (64+1)x2 = 4610 parameters; critic 4545; 56 bytes each with Adam
    assertThat(MemoryCheck.parameters(ConfigLoader.parse("", List.of()), CARTPOLE, 2)).isEqualTo(4610);
    assertThat(e.networksOnDriver()).isEqualTo(56L * (4610 + 4545) + 256L * 12 * ((4 + 64 + 64 + 2) + (4 + 64 + 64 + 1)));
  }

  @Test
  void theDefaultsAndEveryShippedConfigPassWithRoomToSpare() throws IOException {
    List<Path> confs = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("..", "conf"), "*.conf")) {
      dir.forEach(f -> {
        if (!f.getFileName().toString().startsWith("spark-defaults")) {
          confs.add(f);
        }
      });
    }
    assertThat(confs).hasSizeGreaterThanOrEqualTo(5);
    List<TrainConfig> configs = new ArrayList<>();
    configs.add(ConfigLoader.parse("", List.of()));
    for (Path f : confs) {
      configs.add(ConfigLoader.load(f, List.of()));
    }
    for (TrainConfig c : configs) {
      MemoryCheck.Shapes s = MemoryCheck.Shapes.of(Environments.create(c.env()));
      MemoryCheck.check(c, s, SMALL, true);
      MemoryCheck.Estimate e = MemoryCheck.estimate(c, s, true);
      long tenth = MemoryCheck.Limits.usable(GB) / 10;
      assertThat(List.of(e.roundOnDriver(), e.snapshotsOnDriver(), e.evalOnDriver(), e.networksOnDriver(),
          e.rolloutTask(), e.evalTask(), e.broadcastOnExecutor())).as("%s: %s", c.env().id(), e)
          .allSatisfy(b -> assertThat(b).isLessThan(tenth));
    }
  }

  @Test
  void limitsFromTheSparkConf() {
    assertThat(MemoryCheck.Limits.of(Map.of(), 4 * GB, 8)).isEqualTo(new MemoryCheck.Limits(4 * GB, 4 * GB, 8, true));
    assertThat(MemoryCheck.Limits.of(Map.of("spark.master", "local[2]"), GB, 8))
        .isEqualTo(new MemoryCheck.Limits(GB, GB, 2, true));
    assertThat(MemoryCheck.Limits.of(Map.of("spark.master", "local"), GB, 8))
        .isEqualTo(new MemoryCheck.Limits(GB, GB, 1, true));
    assertThat(MemoryCheck.Limits.of(Map.of("spark.master", "yarn", "spark.executor.memory", "6g",
        "spark.executor.cores", "3"), GB, 8)).isEqualTo(new MemoryCheck.Limits(GB, 6 * GB, 3, false));
    assertThat(MemoryCheck.Limits.of(Map.of("spark.master", "spark://host:7077", "spark.executor.memory", "768m"),
        GB, 8)).isEqualTo(new MemoryCheck.Limits(GB, 768L << 20, 1, false));
    assertThat(MemoryCheck.Limits.of(Map.of("spark.master", "spark://host:7077"), GB, 8).executorHeap())
        .as("Spark's default executor memory").isEqualTo(GB);
  }
}
