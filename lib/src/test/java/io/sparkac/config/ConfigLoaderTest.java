package io.sparkac.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configuration resolution (defaults &lt; file &lt; overrides) and validation: every bad case
 * must fail with a {@link ConfigException} whose message names the key, the value given and
 * what is allowed.
 */
class ConfigLoaderTest {
  @TempDir
  Path tmp;

  private Path write(String name, String text) throws IOException {
    Path file = tmp.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  // ---------------------------------------------------------------- bad cases

  /**
   * One bad case: the HOCON text and overrides, then the key the error must carry, and fragments
   * the message must contain: the key, the value as given, what is allowed.
   */
  static Stream<Arguments> badCases() {
    return Stream.of(
        bad("misspelt key, nearest suggested", "", List.of("learner.gama=0.9"),
            "learner.gama", "learner.gama = 0.9", "did you mean learner.gamma?"),
        bad("misspelt key in a file's section", "rollout { actor = 4 }", List.of(),
            "rollout.actor", "rollout.actor = 4", "did you mean rollout.actors?"),
        bad("unknown top-level section", "trainer { x = 1 }", List.of(),
            "trainer.x", "trainer.x = 1", "unknown section trainer; sections are: env, eval, learner, network, normalize, parallel, rollout, run"),
        bad("unknown key without a close match", "", List.of("learner.warmup-rounds=3"),
            "learner.warmup-rounds", "learner.warmup-rounds = 3", "keys of learner are: actor-learning-rate"),
        bad("a section set to a value", "", List.of("learner=5"),
            "learner", "learner = 5", "a section, not a value"),
        bad("gamma 0", "", List.of("learner.gamma=0"),
            "learner.gamma", "learner.gamma = 0.0", "must be in (0, 1]"),
        bad("gamma 1.5", "learner.gamma = 1.5", List.of(),
            "learner.gamma", "learner.gamma = 1.5", "must be in (0, 1]"),
        bad("negative actor learning rate", "", List.of("learner.actor-learning-rate=-0.001"),
            "learner.actor-learning-rate", "learner.actor-learning-rate = -0.001", "must be > 0 and finite"),
        bad("zero actor learning rate", "", List.of("learner.actor-learning-rate=0"),
            "learner.actor-learning-rate", "learner.actor-learning-rate = 0.0", "must be > 0 and finite"),
        bad("negative critic learning rate", "", List.of("learner.critic-learning-rate=-1"),
            "learner.critic-learning-rate", "learner.critic-learning-rate = -1.0", "must be > 0 and finite"),
        bad("zero critic learning rate", "", List.of("learner.critic-learning-rate=0"),
            "learner.critic-learning-rate", "learner.critic-learning-rate = 0.0", "must be > 0 and finite"),
        bad("steps-per-actor 0", "", List.of("rollout.steps-per-actor=0"),
            "rollout.steps-per-actor", "rollout.steps-per-actor = 0", "must be >= 1"),
        bad("actors 0", "", List.of("rollout.actors=0"),
            "rollout.actors", "rollout.actors = 0", "must be >= 1"),
        bad("partitions 0", "", List.of("rollout.partitions=0"),
            "rollout.partitions", "rollout.partitions = 0", "must be >= 1"),
        bad("partitions > actors", "", List.of("rollout.actors=4", "rollout.partitions=5"),
            "rollout.partitions", "rollout.partitions = 5", "must be <= rollout.actors (4)"),
        bad("minibatch-size 0", "", List.of("learner.minibatch-size=0"),
            "learner.minibatch-size", "learner.minibatch-size = 0", "must be >= 1"),
        bad("epochs 0", "", List.of("learner.epochs=0"),
            "learner.epochs", "learner.epochs = 0", "must be >= 1"),
        bad("averaging-frequency 0", "", List.of("learner.averaging-frequency=0"),
            "learner.averaging-frequency", "learner.averaging-frequency = 0", "must be >= 1"),
        bad("gae-lambda 1.2", "", List.of("learner.gae-lambda=1.2"),
            "learner.gae-lambda", "learner.gae-lambda = 1.2", "must be in [0, 1]"),
        bad("entropy-coef -1", "", List.of("learner.entropy-coef=-1"),
            "learner.entropy-coef", "learner.entropy-coef = -1.0", "must be >= 0"),
        bad("max-grad-norm -1", "", List.of("learner.max-grad-norm=-1"),
            "learner.max-grad-norm", "learner.max-grad-norm = -1.0", "must be >= 0 (0 disables clipping)"),
        bad("value-coef 0", "", List.of("learner.value-coef=0"),
            "learner.value-coef", "learner.value-coef = 0.0", "must be > 0"),
        bad("gamma not a number", "learner.gamma = \"abc\"", List.of(),
            "learner.gamma", "learner.gamma = \"abc\"", "must be a number"),
        bad("actors not whole", "", List.of("rollout.actors=1.5"),
            "rollout.actors", "rollout.actors = 1.5", "must be a whole number"),
        bad("total-steps not whole", "", List.of("run.total-steps=1000.5"),
            "run.total-steps", "run.total-steps = 1000.5", "must be a whole number"),
        bad("actors beyond 32 bits", "", List.of("rollout.actors=3000000000"),
            "rollout.actors", "rollout.actors = 3000000000", "must be a whole number (32-bit)"),
        bad("seed not a number", "", List.of("run.seed=x"),
            "run.seed", "run.seed = \"x\"", "must be a whole number"),
        bad("hidden not a list", "", List.of("network.hidden=x"),
            "network.hidden", "network.hidden = \"x\"", "must be a list of whole numbers, e.g. [64, 64]"),
        bad("hidden with a fraction", "", List.of("network.hidden=[64, 1.5]"),
            "network.hidden", "network.hidden = [64, 1.5]", "must be a list of whole numbers"),
        bad("hidden empty", "", List.of("network.hidden=[]"),
            "network.hidden", "network.hidden = []", "must list at least one layer size"),
        bad("hidden layer of size 0", "", List.of("network.hidden=[64, 0]"),
            "network.hidden", "network.hidden = [64, 0]", "layer sizes must be in [1, 65536]"),
        bad("normalize-advantages a number", "", List.of("learner.normalize-advantages=3"),
            "learner.normalize-advantages", "learner.normalize-advantages = 3", "must be true or false"),
        bad("unknown optimizer", "", List.of("learner.optimizer=sgd"),
            "learner.optimizer", "learner.optimizer = \"sgd\"", "must be one of adam, rmsprop"),
        bad("unknown advantage estimator", "", List.of("learner.advantage=foo"),
            "learner.advantage", "learner.advantage = \"foo\"", "must be one of td0, gae, mc"),
        bad("unknown activation", "network.activation = sigmoid", List.of(),
            "network.activation", "network.activation = \"sigmoid\"", "must be one of tanh, relu"),
        bad("unknown learner mode", "", List.of("learner.mode=cluster"),
            "learner.mode", "learner.mode = \"cluster\"", "must be one of driver"),
        bad("override without '='", "", List.of("learner.gamma"),
            "override", "override = \"learner.gamma\"", "must be key=value, e.g. learner.gamma=0.99"),
        bad("override with an empty key", "", List.of("=0.9"),
            "override", "override = \"=0.9\"", "must be key=value"),
        bad("override with an unknown key", "", List.of("rollout.actor=8"),
            "rollout.actor", "rollout.actor = 8", "did you mean rollout.actors?"),
        bad("override with a bad key", "", List.of("learner gamma=0.9"),
            "override", "override = \"learner gamma\"", "keys are letters, digits, '-', '_' and '.'"),
        bad("override with no value", "", List.of("learner.gamma="),
            "learner.gamma", "learner.gamma = \"\"", "not a valid HOCON value"),
        bad("eval.episodes 0", "", List.of("eval.episodes=0"),
            "eval.episodes", "eval.episodes = 0", "must be >= 1"),
        bad("eval.interval-rounds negative", "", List.of("eval.interval-rounds=-1"),
            "eval.interval-rounds", "eval.interval-rounds = -1", "must be >= 0 (0: only at the end)"),
        bad("eval.target-return not a number", "eval.target-return = \"abc\"", List.of(),
            "eval.target-return", "eval.target-return = \"abc\"", "must be a finite number or none"),
        bad("eval.target-return NaN", "", List.of("eval.target-return=NaN"),
            "eval.target-return", "eval.target-return = \"NaN\"", "must be a finite number or none"),
        bad("eval.target-return NaN in a file", "eval.target-return = NaN", List.of(),
            "eval.target-return", "eval.target-return = \"NaN\"", "must be a finite number or none"),
        bad("eval.target-return Infinity", "", List.of("eval.target-return=Infinity"),
            "eval.target-return", "eval.target-return = \"Infinity\"", "must be a finite number or none"),
        bad("eval.target-return -Infinity", "", List.of("eval.target-return=\"-Infinity\""),
            "eval.target-return", "eval.target-return = \"-Infinity\"", "must be a finite number or none"),
        bad("run.total-steps 0", "", List.of("run.total-steps=0"),
            "run.total-steps", "run.total-steps = 0", "must be >= 1"),
        bad("empty run.dir", "run.dir = \"\"", List.of(),
            "run.dir", "run.dir = \"\"", "must be a non-empty path or URI"),
        bad("unknown parallel mode", "", List.of("parallel.mode=hogwild"),
            "parallel.mode", "parallel.mode = \"hogwild\"", "must be one of sync, async"),
        bad("groups 0", "", List.of("parallel.groups=0"),
            "parallel.groups", "parallel.groups = 0", "must be >= 1"),
        bad("more groups than partitions in async mode", "", List.of("parallel.mode=async", "parallel.groups=3"),
            "parallel.groups", "parallel.groups = 3", "must be <= rollout.partitions (2) in async mode"),
        bad("unknown correction", "", List.of("parallel.mode=async", "parallel.correction=ppo"),
            "parallel.correction", "parallel.correction = \"ppo\"", "must be one of none, clipped, vtrace"),
        bad("a correction in sync mode", "", List.of("parallel.correction=vtrace"),
            "parallel.correction", "parallel.correction = \"vtrace\"", "must be none in sync mode"),
        bad("a replay order in sync mode", "", List.of("parallel.replay-order=runs/a"),
            "parallel.replay-order", "parallel.replay-order = \"runs/a\"", "must be empty in sync mode"),
        bad("clip 1", "", List.of("parallel.clip=1"),
            "parallel.clip", "parallel.clip = 1.0", "must be in (0, 1)"),
        bad("rho-bar 0", "", List.of("parallel.rho-bar=0"),
            "parallel.rho-bar", "parallel.rho-bar = 0.0", "must be > 0 and finite"),
        bad("negative straggler delay", "", List.of("parallel.straggler-ms=-5"),
            "parallel.straggler-ms", "parallel.straggler-ms = -5", "must be >= 0 (0: off)"),
        bad("driver-max-samples 0", "", List.of("learner.driver-max-samples=0"),
            "learner.driver-max-samples", "learner.driver-max-samples = 0", "must be >= 1"),
        bad("reward scaling with streamed rounds", "normalize.rewards = true",
            List.of("learner.driver-max-samples=512"), // 16 actors x 64 steps = 1024 samples a round
            "normalize.rewards", "normalize.rewards = true", "is not supported when rounds are streamed past the "
                + "driver (a round of 1024 samples > learner.driver-max-samples = 512); raise"),
        bad("the clipped objective with streamed rounds", "",
            List.of("learner.objective=clipped", "learner.driver-max-samples=512"),
            "learner.objective", "learner.objective = \"clipped\"", "is not supported when rounds are streamed"),
        bad("streamed blocks smaller than a minibatch", "", List.of("learner.driver-max-samples=200"),
            "learner.driver-max-samples", "learner.driver-max-samples = 200",
            "must be >= learner.minibatch-size (256) when rounds are streamed"),
        bad("an async group larger than the driver may hold", "",
            List.of("parallel.mode=async", "learner.driver-max-samples=500"), // 2 groups of 8 actors x 64 steps
            "learner.driver-max-samples", "learner.driver-max-samples = 500",
            "must be >= the samples of the largest group's update (512) in async mode"),
        bad("unknown objective", "", List.of("learner.objective=ppo"),
            "learner.objective", "learner.objective = \"ppo\"", "must be one of a2c, clipped"),
        bad("clip range 0", "", List.of("learner.objective=clipped", "learner.clip-range=0"),
            "learner.clip-range", "learner.clip-range = 0.0", "must be in (0, 1)"),
        bad("clip range 1.5", "learner { clip-range = 1.5 }", List.of(),
            "learner.clip-range", "learner.clip-range = 1.5", "must be in (0, 1)"),
        bad("the clipped objective with an async correction", "",
            List.of("learner.objective=clipped", "parallel.mode=async", "parallel.correction=vtrace"),
            "parallel.correction", "parallel.correction = \"vtrace\"", "must be none with learner.objective = clipped"),
        bad("the clipped objective with the spark learner", "", List.of("learner.objective=clipped", "learner.mode=spark"),
            "learner.mode", "learner.mode = \"spark\"", "does not support learner.objective = clipped"),
        bad("log-std below the clamp", "", List.of("network.log-std-init=-6"),
            "network.log-std-init", "network.log-std-init = -6.0", "must be in [-5.0, 2.0]"),
        bad("log-std not a number", "network.log-std-init = small", List.of(),
            "network.log-std-init", "network.log-std-init = \"small\"", "must be a number"),
        bad("invalid HOCON text", "learner { gamma = ", List.of(),
            "config", "config = \"learner { gamma = \"", "not valid HOCON"));
  }

  private static Arguments bad(String name, String text, List<String> overrides, String key, String keyAndValue,
      String allowed) {
    return Arguments.of(name, text, overrides, key, keyAndValue, allowed);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCases")
  void rejectsWithKeyValueAndWhatIsAllowed(String name, String text, List<String> overrides, String key,
      String keyAndValue, String allowed) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(text, overrides));
    assertThat(e).as("%s: no ConfigException", name).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    // "key = value: allowed", the value as the user gave it
    assertThat(e.getMessage()).startsWith(keyAndValue + ": ").contains(allowed);
  }

  @Test
  void roundsLargerThanTheDriverMayHoldAreStreamed() {
    assertThat(ConfigLoader.parse("", List.of()).streamsRounds()).isFalse();
    TrainConfig streamed = ConfigLoader.parse("", List.of("learner.driver-max-samples=1023"));
    assertThat(streamed.streamsRounds()).isTrue();
    assertThat(ConfigLoader.parse(ConfigLoader.render(streamed), List.of())).isEqualTo(streamed);
    assertThat(ConfigLoader.parse("", List.of("learner.driver-max-samples=1024")).streamsRounds()).isFalse();
    assertThat(ConfigLoader.parse("", List.of("learner.driver-max-samples=1023", "learner.mode=spark"))
        .streamsRounds()).as("learner.mode = spark never collects").isFalse();
    // async: each group's update is collected; 3 partitions of 5, 5 and 6 actors, 2 groups: 5 and 11 actors
    assertThat(ConfigLoader.parse("", List.of("parallel.mode=async", "rollout.actors=16", "rollout.partitions=3",
        "learner.driver-max-samples=704")).streamsRounds()).isFalse();
    assertThatThrownBy(() -> ConfigLoader.parse("", List.of("parallel.mode=async", "rollout.actors=16",
        "rollout.partitions=3", "learner.driver-max-samples=703")))
        .hasMessageContaining("largest group's update (704)");
  }

  @Test
  void atLeastTwentyBadCases() {
    assertThat(badCases().count()).isGreaterThanOrEqualTo(22);
  }

  @Test
  void missingConfigFile() {
    Path missing = tmp.resolve("nope.conf");
    assertThatThrownBy(() -> ConfigLoader.load(missing, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file = \"" + missing + "\": no such file")
        .extracting(e -> ((ConfigException) e).key()).isEqualTo("config file");
  }

  @Test
  void unreadableConfigFileADirectory() {
    // tests run as root, so chmod 000 would not stop the read: a directory does
    assertThatThrownBy(() -> ConfigLoader.load(tmp, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file = \"" + tmp + "\": not a readable file");
  }

  @Test
  void noConfigFile() {
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file = null: a path to a HOCON file is required");
  }

  @Test
  void invalidHoconSyntaxInAFile() throws IOException {
    Path file = write("broken.conf", "learner {\n  gamma = 0.9\n");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
    assertThat(e.key()).isEqualTo("config file");
    assertThat(e.getMessage()).startsWith("config file = \"" + file + "\": not valid HOCON: ")
        .contains("broken.conf: 3"); // Typesafe names the file and the line
  }

  @Test
  void badValueInAFile() throws IOException {
    Path file = write("bad.conf", "learner { gamma = 1.5 }\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("learner.gamma = 1.5: must be in (0, 1]");
  }

  @Test
  void unknownKeyInAFile() throws IOException {
    Path file = write("typo.conf", "learner { gama = 0.9 }\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("learner.gama = 0.9: unknown key; did you mean learner.gamma?");
  }

  @Test
  void anIncludeOfAMissingFileIsAnError() throws IOException {
    // Typesafe Config ignores a missing include unless it is written include required(...): the
    // run would train with the defaults instead of what the user meant.
    Path file = write("run.conf", "include \"missing.conf\"\nrollout.actors = 4\n");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
    assertThat(e).as("no ConfigException").isNotNull();
    assertThat(e.key()).isEqualTo("include");
    assertThat(e.getMessage()).isEqualTo("include = \"missing.conf\": no such file " + tmp.resolve("missing.conf")
        + " (included from " + file + "); an include must name a readable HOCON file");
  }

  @Test
  void everyFormOfIncludeIsRequired() throws IOException {
    for (String include : List.of("include file(\"nope.conf\")", "include required(file(\"nope.conf\"))",
        "include required(\"nope.conf\")", "include \"nope\"")) {
      Path file = write("run.conf", include + "\n");
      assertThatThrownBy(() -> ConfigLoader.load(file, List.of())).as(include)
          .isInstanceOf(ConfigException.class).hasMessageContaining("no such file " + tmp.resolve("nope"));
    }
    Path file = write("run.conf", "include classpath(\"io/sparkac/config/nope.conf\")\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("include = \"io/sparkac/config/nope.conf\": no such resource on the classpath");
    Path url = write("url.conf", "include url(\"http://example.com/a.conf\")\n");
    assertThatThrownBy(() -> ConfigLoader.load(url, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("include = \"http://example.com/a.conf\": url(...) includes are not supported");
  }

  @Test
  void anIncludeOfAFileThatIsNotHoconIsAnError() throws IOException {
    // what /etc/passwd holds: an include of it trained with the defaults until killed
    Path passwd = write("passwd", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\n");
    Path file = write("run.conf", "include \"" + passwd + "\"\n");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
    assertThat(e).as("no ConfigException").isNotNull();
    assertThat(e.getMessage()).startsWith("include = \"" + passwd + "\": " + passwd + " (included from " + file
        + ") is not valid HOCON: ");
    Path dir = Files.createDirectories(tmp.resolve("conf.d"));
    Path ofDir = write("dir.conf", "include \"conf.d\"\n");
    assertThatThrownBy(() -> ConfigLoader.load(ofDir, List.of()))
        .hasMessage("include = \"conf.d\": not a readable file " + dir + " (included from " + ofDir
            + "); an include must name a readable HOCON file");
  }

  @Test
  void includesResolveRelativeToTheIncludingFileAndNest() throws IOException {
    Path sub = Files.createDirectories(tmp.resolve("sub"));
    Files.writeString(sub.resolve("inner.conf"), "learner.gamma = 0.9\n");
    Files.writeString(sub.resolve("base.conf"), "include \"inner.conf\"\nrollout.actors = 8\n");
    Path file = write("run.conf", "include \"sub/base.conf\"\nrollout.partitions = 4\n");
    TrainConfig c = ConfigLoader.load(file, List.of());
    assertThat(c.rollout().actors()).isEqualTo(8);
    assertThat(c.rollout().partitions()).isEqualTo(4);
    assertThat(c.learner().gamma()).isEqualTo(0.9);
    Path missingInner = write("sub/broken.conf", "include \"gone.conf\"\n");
    Path outer = write("outer.conf", "include \"sub/broken.conf\"\n");
    assertThatThrownBy(() -> ConfigLoader.load(outer, List.of()))
        .hasMessage("include = \"gone.conf\": no such file " + sub.resolve("gone.conf") + " (included from "
            + missingInner + "); an include must name a readable HOCON file");
  }

  // ---------------------------------------------------------------- good cases

  @Test
  void defaultsLoad() {
    TrainConfig c = ConfigLoader.parse("", List.of());
    assertThat(c.run()).isEqualTo(new TrainConfig.Run("runs/run", "run", 1, 500_000));
    assertThat(c.env()).isEqualTo(new TrainConfig.Env("CartPole-v1", ""));
    assertThat(c.rollout()).isEqualTo(new TrainConfig.Rollout(16, 64, 2));
    assertThat(c.network()).isEqualTo(new TrainConfig.Network(List.of(64, 64), TrainConfig.Activation.TANH, 0.0));
    assertThat(c.learner()).isEqualTo(new TrainConfig.Learner(TrainConfig.LearnerMode.DRIVER, 0.99,
        TrainConfig.AdvantageEstimator.GAE, 0.95, TrainConfig.Optimizer.ADAM, 0.001, 0.001, 256, 1, 0.5, 0.0, true,
        0.5, 4, TrainConfig.Objective.A2C, 0.2, 1_000_000));
    assertThat(c.eval().intervalRounds()).isEqualTo(10);
    assertThat(c.eval().episodes()).isEqualTo(100);
    assertThat(c.eval().hasTarget()).isFalse();
    assertThat(c.parallel()).isEqualTo(new TrainConfig.Parallel(TrainConfig.ParallelMode.SYNC, 2,
        TrainConfig.Correction.NONE, 0.2, 1.0, "", 0));
    assertThat(c.stepsPerRound()).isEqualTo(16 * 64);
  }

  @Test
  void anEmptyFileGivesTheDefaults() throws IOException {
    assertThat(ConfigLoader.load(write("empty.conf", ""), List.of())).isEqualTo(ConfigLoader.parse("", List.of()));
  }

  @Test
  void overridesBeatTheFileWhichBeatsTheDefaults() throws IOException {
    Path file = write("run.conf", """
        learner { gamma = 0.9, epochs = 3 }
        rollout.actors = 8
        run.dir = "runs/a=b"
        """);
    TrainConfig c = ConfigLoader.load(file, List.of("learner.gamma=0.95", "learner.entropy-coef=0.01",
        "learner.entropy-coef=0.02"));
    assertThat(c.learner().gamma()).isEqualTo(0.95);          // override over file
    assertThat(c.learner().entropyCoef()).isEqualTo(0.02);    // the later override wins
    assertThat(c.learner().epochs()).isEqualTo(3);            // file over default
    assertThat(c.rollout().actors()).isEqualTo(8);            // file over default
    assertThat(c.rollout().stepsPerActor()).isEqualTo(64);    // default
    assertThat(c.run().dir()).isEqualTo("runs/a=b");
  }

  @Test
  void wholeNumbersMayBeWrittenAsIntegralDecimalsOrExponents() {
    TrainConfig c = ConfigLoader.parse("run.total-steps = 1e6\nrollout.actors = 8.0", List.of());
    assertThat(c.run().totalSteps()).isEqualTo(1_000_000);
    assertThat(c.rollout().actors()).isEqualTo(8);
  }

  @Test
  void runIdDefaultsToTheLastElementOfRunDir() {
    assertThat(ConfigLoader.parse("run.dir = runs/exp1", List.of()).run().id()).isEqualTo("exp1");
    assertThat(ConfigLoader.parse("run.dir = \"runs/exp2/\"", List.of()).run().id()).isEqualTo("exp2");
    assertThat(ConfigLoader.parse("", List.of("run.dir=\"s3a://bucket/runs/exp3\"")).run().id()).isEqualTo("exp3");
    assertThat(ConfigLoader.parse("run { dir = runs/exp4, id = mine }", List.of()).run().id()).isEqualTo("mine");
  }

  @Test
  void renderRoundTripsThroughParse() {
    TrainConfig defaults = ConfigLoader.parse("", List.of());
    assertThat(ConfigLoader.parse(ConfigLoader.render(defaults), List.of())).isEqualTo(defaults);

    TrainConfig custom = ConfigLoader.parse("""
        run { dir = "hdfs://nn/runs/x", id = "x-1", seed = -7, total-steps = 12345678901 }
        env { id = "Acrobot-v1", class = "com.example.MyEnv" }
        rollout { actors = 5, steps-per-actor = 3, partitions = 5 }
        network { hidden = [128, 32, 7], activation = relu, log-std-init = -1.5 }
        learner {
          gamma = 1, advantage = mc, gae-lambda = 0, optimizer = rmsprop,
          actor-learning-rate = 7e-4, critic-learning-rate = 0.0123, minibatch-size = 1, epochs = 4,
          value-coef = 0.25, entropy-coef = 0.01, normalize-advantages = false, max-grad-norm = 0,
          mode = spark, averaging-frequency = 9, objective = a2c, clip-range = 0.3
        }
        eval { interval-rounds = 0, episodes = 1, target-return = 475.5 }
        parallel { mode = async, groups = 5, correction = vtrace, clip = 0.1, rho-bar = 2.5,
          replay-order = "hdfs://nn/runs/y", straggler-ms = 250 }
        """, List.of());
    assertThat(custom).isNotEqualTo(defaults);
    TrainConfig back = ConfigLoader.parse(ConfigLoader.render(custom), List.of());
    assertThat(back).isEqualTo(custom);
    assertThat(back.network().hidden()).containsExactly(128, 32, 7);
    assertThat(back.eval().targetReturn()).isEqualTo(475.5);
  }

  /**
   * A checkpoint's state.json holds its config as render wrote it: the text the key-by-key render
   * wrote (before render went through Jackson) still parses, and render still writes exactly it.
   */
  @Test
  void renderWritesTheTextCheckpointsAlreadyHold() {
    String earlier = """
        env {
            class="com.example.MyEnv"
            id=CartPole-v1
        }
        eval {
            episodes=100
            interval-rounds=10
            target-return=475.0
        }
        learner {
            actor-learning-rate=0.001
            advantage=gae
            averaging-frequency=4
            clip-range=0.2
            critic-learning-rate=0.001
            driver-max-samples=1000000
            entropy-coef=0.0
            epochs=1
            gae-lambda=0.95
            gamma=0.99
            max-grad-norm=0.5
            minibatch-size=256
            mode=driver
            normalize-advantages=true
            objective=a2c
            optimizer=adam
            value-coef=0.5
        }
        network {
            activation=relu
            hidden=[
                64,
                64
            ]
            log-std-init=0.0
        }
        normalize {
            clip=10.0
            observations=false
            rewards=false
        }
        parallel {
            clip=0.2
            correction=none
            groups=2
            mode=sync
            replay-order=""
            rho-bar=1.0
            straggler-ms=0
        }
        rollout {
            actors=16
            partitions=2
            steps-per-actor=64
        }
        run {
            dir="/runs/x"
            id=x
            seed=1
            total-steps=500000
        }
        """;
    TrainConfig config = ConfigLoader.parse("", List.of("env.class=com.example.MyEnv", "eval.target-return=475",
        "network.activation=relu", "run.dir=/runs/x"));
    assertThat(ConfigLoader.parse(earlier, List.of())).isEqualTo(config);
    // the text a checkpoint holds today: the same, with the Python environment's keys (added later) at their defaults
    assertThat(ConfigLoader.render(config)).isEqualTo(earlier.replace("    id=CartPole-v1\n", """
            gymnasium=""
            id=CartPole-v1
            python=""
            python-episodes=continue
            python-executable=python3
            python-kwargs {}
            python-path=[]
            python-timeout-ms=60000
        """));
    assertThat(ConfigLoader.render(ConfigLoader.parse("", List.of()))).contains("target-return=none");
  }

  @Test
  void renderWritesEveryKeyOfTheDefaultsAndNoOther() {
    // every key is read into the records (no option that nothing reads), and render loses none
    Config rendered = ConfigFactory.parseString(ConfigLoader.render(ConfigLoader.parse("", List.of())));
    Set<String> renderedKeys = new TreeSet<>();
    rendered.entrySet().forEach(e -> renderedKeys.add(e.getKey()));
    Set<String> defaultKeys = new TreeSet<>();
    ConfigLoader.defaults().entrySet().forEach(e -> defaultKeys.add(e.getKey()));
    assertThat(renderedKeys).isEqualTo(defaultKeys);
  }

  @Test
  void unquotedUrisOfStringKeysOnTheCommandLineAreTakenLiterally() {
    // HOCON alone would reject the ':' and read '//' as the start of a comment.
    TrainConfig c = ConfigLoader.parse("", List.of("run.dir=hdfs://namenode:8020/user/me/runs//x",
        "env.class=com.example.Env"));
    assertThat(c.run().dir()).isEqualTo("hdfs://namenode:8020/user/me/runs//x");
    assertThat(c.run().id()).isEqualTo("x");
    assertThat(ConfigLoader.parse("", List.of("run.dir=\"s3a://bucket/runs/y\"")).run().dir())
        .isEqualTo("s3a://bucket/runs/y");
    assertThat(ConfigLoader.parse("", List.of("eval.target-return=475")).eval().targetReturn()).isEqualTo(475.0);
    // Keys of other types are still HOCON.
    assertThatThrownBy(() -> ConfigLoader.parse("", List.of("learner.gamma=file:///x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("learner.gamma");
  }

  @Test
  void enumValuesAreCaseInsensitive() {
    TrainConfig c = ConfigLoader.parse("", List.of("network.activation=RELU", "learner.optimizer=RmsProp"));
    assertThat(c.network().activation()).isEqualTo(TrainConfig.Activation.RELU);
    assertThat(c.learner().optimizer()).isEqualTo(TrainConfig.Optimizer.RMSPROP);
  }
}
