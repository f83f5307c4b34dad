package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.error.Causes;
import io.sparkac.storage.Storage;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunLock;
import io.sparkac.run.RunState;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext$;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code train} exits with status 2 and an error that names the key, the value and
 * what is allowed (or the folder and the flag), before any Spark work: no SparkContext or
 * SparkSession exists afterwards. This test JVM never starts Spark; the jobs tests that need it
 * run it in child processes.
 */
class MainTest {
  @TempDir
  Path tmp;
  Path conf;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void setUp() throws IOException {
    assertThat(noSparkContext()).as("precondition: no SparkContext in this JVM").isTrue();
    conf = tmp.resolve("cartpole.conf");
    Files.writeString(conf, "run.dir = \"" + tmp.resolve("run") + "\"\nrollout.actors = 4\n");
    savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** SparkContext.getActive is private[spark] in Scala (public in the bytecode, without a static forwarder). */
  static boolean noSparkContext() {
    return SparkContext$.MODULE$.getActive().isEmpty();
  }

  @AfterEach
  void restore() {
    System.setErr(savedErr);
  }

  /** Runs Main and checks the exit status, that no Spark was started, and returns stderr. */
  String exitsWith2(String... args) {
    int status = Main.run(args);
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertThat(status).as("exit status; stderr:%n%s", stderr).isEqualTo(2);
    assertThat(noSparkContext()).as("no SparkContext was created").isTrue();
    assertThat(SparkSession.getActiveSession().isEmpty()).as("no active SparkSession").isTrue();
    assertThat(SparkSession.getDefaultSession().isEmpty()).as("no default SparkSession").isTrue();
    assertThat(tmp.resolve("run")).as("the run folder was not created").doesNotExist();
    return stderr;
  }

  @Test
  void anUnknownKey() {
    assertThat(exitsWith2("train", conf.toString(), "learner.gama=0.9"))
        .isEqualTo("error: learner.gama = 0.9: unknown key; did you mean learner.gamma?\n");
  }

  @Test
  void anUnknownEnvironmentListsTheKnownIds() {
    assertThat(exitsWith2("train", conf.toString(), "env.id=CartPole-v9"))
        .isEqualTo("error: env.id = \"CartPole-v9\": unknown environment 'CartPole-v9'; known ids: CartPole-v1,"
            + " Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1\n");
  }

  @Test
  void aPythonModuleThatCannotBeImported() {
    io.sparkac.env.python.PythonTestEnvs.assumePython();
    assertThat(exitsWith2("train", conf.toString(), "env.python=no_such_module:Env"))
        .startsWith("error: env.python = \"no_such_module:Env\": import no_such_module raised an exception in Python"
            + " (sys.path: [")
        .endsWith("ModuleNotFoundError: No module named 'no_such_module'\n");
  }

  @Test
  void theSparkLearnerOnAContinuousActionSpace() {
    assertThat(exitsWith2("train", conf.toString(), "env.id=Pendulum-v1", "learner.mode=spark"))
        .isEqualTo("error: learner.mode = \"spark\": fits discrete action spaces only, and Pendulum-v1 has a continuous"
            + " one (Box(low=[-2.0], high=[2.0])); use learner.mode = driver\n");
  }

  @Test
  void anEnvironmentClassThatDoesNotExist() {
    assertThat(exitsWith2("train", conf.toString(), "env.class=com.example.NoSuchEnv"))
        .startsWith("error: env.class = \"com.example.NoSuchEnv\": class 'com.example.NoSuchEnv' not found by the"
            + " thread's context class loader nor by sparkac's; env.class takes the binary name");
  }

  @Test
  void aMissingConfigFile() {
    Path missing = tmp.resolve("nope.conf");
    assertThat(exitsWith2("train", missing.toString()))
        .isEqualTo("error: config file = \"" + missing + "\": no such file\n");
  }

  @Test
  void aBadOverride() {
    assertThat(exitsWith2("train", conf.toString(), "rollout.actors=many"))
        .startsWith("error: rollout.actors = \"many\": ");
    err.reset();
    assertThat(exitsWith2("train", conf.toString(), "=4"))
        .isEqualTo("error: override = \"=4\": must be key=value, e.g. learner.gamma=0.99\n");
  }

  @Test
  void anOutOfRangeValue() {
    assertThat(exitsWith2("train", conf.toString(), "rollout.partitions=5"))
        .isEqualTo("error: rollout.partitions = 5: must be <= rollout.actors (4): each partition owns at least one"
            + " actor\n");
  }

  @Test
  void anUnknownOption() {
    assertThat(exitsWith2("train", conf.toString(), "--resmue")).startsWith("error: train: unknown option --resmue\n");
  }

  @Test
  void anExistingRunFolderIsNotOverwrittenSilently() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("existing"));
    Files.writeString(run.resolve("notes.txt"), "mine");

    int status = Main.run(new String[] {"train", conf.toString(), "run.dir=\"" + run + "\""});

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("error: run folder " + run + " already exists and is"
        + " not empty; pass --resume to continue it or --overwrite to replace it\n");
    assertThat(noSparkContext()).isTrue();
    assertThat(run.resolve("notes.txt")).hasContent("mine");
  }

  @Test
  void aFolderThatIsNotARunIsNotResumed() throws IOException {
    Path notARun = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(notARun.resolve("cat.jpg"), "meow");

    int status = Main.run(new String[] {"train", conf.toString(), "--resume", "run.dir=\"" + notARun + "\""});

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("error: cannot resume " + notARun + ": it is not a"
        + " run folder (no manifest/ folder); pass --overwrite to replace it with a new run\n");
    assertThat(noSparkContext()).isTrue();
    assertThat(notARun.resolve("cat.jpg")).hasContent("meow");
  }

  @Test
  void resumingAFolderWithNoCommittedRound() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.createDirectories(run.resolve("manifest"));

    int status = Main.run(new String[] {"train", "--resume", run.toString()});

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: train --resume: " + run + " has no committed"
        + " round to resume from (its config is saved with the first checkpoint); run train <config.conf> --resume"
        + " to start it again\n");
    assertThat(noSparkContext()).isTrue();
  }

  @Test
  void aFailureNamesTheRoundThatFailedTheLastCommittedOneAndTheRootCause() {
    assertThat(TrainJob.failureMessage(11, "No space left on device"))
        .isEqualTo("train failed at round 12 (last committed round 11): No space left on device");
    assertThat(TrainJob.failureMessage(-1, "boom")).isEqualTo("train failed at round 0 (no round committed): boom");
    assertThat(TrainJob.failureMessage(null, "boom"))
        .isEqualTo("train failed (last committed round unknown: the manifest could not be read): boom");
    Error fsError = new Error(new java.io.IOException("No space left on device").toString(),
        new java.io.IOException("No space left on device"));
    assertThat(Causes.rootMessage(new IllegalStateException("Job aborted", fsError))).isEqualTo("No space left on device");
    assertThat(Causes.rootMessage(new NullPointerException())).isEqualTo("java.lang.NullPointerException");
  }

  // ---- what cannot fit a heap or a Java array is refused before Spark starts and before the run folder exists ----

  @Test
  void aBillionActors() {
    assertThat(exitsWith2("train", conf.toString(), "rollout.actors=1e9")).startsWith("error: rollout.actors ="
        + " 1000000000, rollout.partitions = 2, rollout.steps-per-actor = 64: a rollout task's 32,000,000,000 rows"
        + " would need arrays of 128,000,000,000 elements, more than a Java array holds (2^31-1)");
    err.reset();
    assertThat(exitsWith2("train", conf.toString(), "rollout.actors=1e9", "rollout.partitions=1000000"))
        .startsWith("error: rollout.actors = 1000000000: the actors' snapshots need about ").contains(" on the driver,"
            + " more than the ").contains("or lower rollout.actors\n");
  }

  @Test
  void aBillionEvaluationEpisodes() {
    assertThat(exitsWith2("train", conf.toString(), "eval.episodes=1e9")).startsWith("error: eval.episodes ="
        + " 1000000000: an evaluation needs about 119.2 GB on the driver, more than the ");
  }

  @Test
  void stepsPerActorBeyondAnArray() {
    assertThat(exitsWith2("train", conf.toString(), "rollout.steps-per-actor=2000000000")).startsWith("error:"
        + " rollout.actors = 4, rollout.partitions = 2, rollout.steps-per-actor = 2000000000: a rollout task's"
        + " 4,000,000,000 rows would need arrays of 16,000,000,000 elements");
  }

  @Test
  void layersBeyondAnArray() {
    assertThat(exitsWith2("train", conf.toString(), "network.hidden=[65536,65536]")).isEqualTo("error:"
        + " network.hidden = [65536, 65536]: a layer of 65536 x 65536 weights would need arrays of 4,294,967,296"
        + " elements, more than a Java array holds (2^31-1); use smaller layers\n");
  }

  @Test
  void anIncludeOfAMissingFile() throws IOException {
    Files.writeString(conf, "include \"base.conf\"\nrun.dir = \"" + tmp.resolve("run") + "\"\n");
    assertThat(exitsWith2("train", conf.toString())).isEqualTo("error: include = \"base.conf\": no such file "
        + tmp.resolve("base.conf") + " (included from " + conf + "); an include must name a readable HOCON file\n");
  }

  @Test
  void aNaNTargetReturn() {
    assertThat(exitsWith2("train", conf.toString(), "eval.target-return=NaN"))
        .isEqualTo("error: eval.target-return = \"NaN\": must be a finite number or none\n");
  }

  @Test
  void resumeGivenAConfigFileSaysItIsOne() {
    assertThat(exitsWith2("train", "--resume", conf.toString())).startsWith("error: train --resume " + conf + ": "
        + conf + " is a config file, not a run folder; to resume the run it configures: train " + conf
        + " --resume; to resume a run folder: train --resume <run-dir>\n");
  }

  @Test
  void resumeAndOverwriteTogether() {
    assertThat(exitsWith2("train", conf.toString(), "--resume", "--overwrite"))
        .startsWith("error: train: --resume and --overwrite exclude each other\n");
    err.reset();
    Path dir = tmp.resolve("somerun");
    assertThat(exitsWith2("train", "--resume", dir.toString(), conf.toString())).startsWith("error: train --resume "
        + dir + " " + conf + ": a run folder resumes with the config saved in it; to resume with a config file:"
        + " train " + conf + " --resume\n");
  }

  /** Runs Main with {@code args} and returns what it printed on stdout, checking the exit status. */
  static String stdoutOf(int expectedStatus, String... args) {
    PrintStream savedOut = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(args)).as("exit status of %s", List.of(args)).isEqualTo(expectedStatus);
    } finally {
      System.setOut(savedOut);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyJobListsItsOptionsAndExamplesWithHelp() {
    assertThat(stdoutOf(0, "train", "--help")).contains("train <config.conf> [--overwrite | --resume] [key=value ...]")
        .contains("train --resume <run-dir> [key=value ...]").contains("--overwrite").contains("--resume")
        .contains("Examples:").contains("train conf/cartpole.conf");
    assertThat(stdoutOf(0, "evaluate", "--help")).contains("evaluate <run-dir> [--round N] [--episodes K]")
        .contains("--round=N").contains("--episodes=K").contains("--stochastic").contains("Examples:");
    assertThat(stdoutOf(0, "report", "--help")).contains("report").contains("<run-dir>").contains("Example:");
    assertThat(stdoutOf(0, "bench", "--help")).contains("--repeats=N").contains("--dir=URI")
        .contains("--learner-modes").contains("Examples:");
    assertThat(stdoutOf(0, "jmh", "--help")).contains("jmh").contains("<JMH arguments>").contains("Examples:");
    assertThat(stdoutOf(0, "--help")).contains("train").contains("evaluate").contains("report").contains("bench")
        .contains("jmh").contains("--help lists a job's options");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(noSparkContext()).isTrue();
  }

  @Test
  void jmhGetsItsArgumentsAsGiven() {
    List<String> args = List.of("LearnerBenchmark", "-f", "1", "-wi", "3", "-prof", "gc", "-h", "--", "@x");
    picocli.CommandLine line = Main.commandLine();
    var parsed = line.parseArgs(java.util.stream.Stream.concat(java.util.stream.Stream.of("jmh"), args.stream())
        .toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().commandLine().<Main.Jmh>getCommand().args).isEqualTo(args);
  }

  @Test
  void noJobIsAUsageError() {
    assertThat(Main.run(new String[0])).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("train").contains("evaluate");
    err.reset();
    assertThat(exitsWith2("trian", conf.toString())).startsWith("error: unknown job 'trian'\n");
  }

  @Test
  void aRunFolderWithAnEqualsSignInItsNameIsResumed() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("lr=0.1"));
    Files.createDirectories(run.resolve("manifest"));

    int status = Main.run(new String[] {"train", "--resume", run.toString()});

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: train --resume: " + run + " has no committed"
        + " round to resume from");
  }

  /** A run folder as a run started in {@code original} leaves it after round 0, at {@code dir}. */
  static Path runFolder(Path dir, Path original, String... overrides) throws IOException {
    List<String> all = new java.util.ArrayList<>(List.of("run.dir=" + original, "rollout.actors=4"));
    all.addAll(List.of(overrides));
    TrainConfig config = ConfigLoader.parse("", all);
    Storage storage = new Storage(new Configuration());
    RunLayout layout = RunLayout.of(dir.toString());
    new Manifest(storage, layout).commit(new RoundRecord(0, 0, new RoundRecord.Totals(256, 0),
        new RoundRecord.Episodes(0, 0, 0, 0, 0), new RoundRecord.Losses(0, 0, 0, 0, 0, 0),
        new RoundRecord.Eval(0, 0, 0), new RoundRecord.Phases(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        RoundRecord.Source.synchronous(0), null));
    storage.writeAtomically(new org.apache.hadoop.fs.Path(layout.checkpoint(0), "state.json"),
        out -> out.write(new ObjectMapper().writeValueAsBytes(new RunState(0, 1, 256, 0, 1, 1.0,
            ConfigLoader.render(config)))));
    return dir;
  }

  @Test
  void aMovedRunIsResumedWhereItIsNotWhereItWasStarted() throws IOException {
    Path moved = runFolder(tmp.resolve("moved"), tmp.resolve("original"));

    TrainConfig config = TrainJob.configOfRun(moved.toString(), List.of("run.total-steps=1024"));

    assertThat(config.run().dir()).isEqualTo(moved.toString());
    assertThat(config.run().totalSteps()).isEqualTo(1024);
    assertThat(tmp.resolve("original")).doesNotExist();
  }

  @Test
  void resumeRefusesAnOverrideThatChangesTheNetworks() throws IOException {
    Path run = runFolder(tmp.resolve("existing"), tmp.resolve("existing"));

    assertThat(exitsWith2("train", "--resume", run.toString(), "network.hidden=[32]")).isEqualTo("error: "
        + "network.hidden = [32]: cannot change on resume: the run in " + run + " has network.hidden = [64, 64] and"
        + " the checkpoint's networks are built with it; start a new run (another run.dir) to change it\n");
    err.reset();
    Files.writeString(conf, "run.dir = \"" + run + "\"\nrollout.actors = 4\n");
    assertThat(exitsWith2("train", conf.toString(), "--resume", "rollout.actors=32")).startsWith("error: "
        + "rollout.actors = 32: cannot change on resume: the run in " + run + " has rollout.actors = 4 and ");
  }

  @Test
  void aRunFolderThatAnotherRunWritesIsRefused() throws IOException {
    Path run = tmp.resolve("held");
    try (RunLock held = RunLock.acquire(new Storage(new Configuration()), RunLayout.of(run.toString()))) {
      assertThat(exitsWith2("train", conf.toString(), "--overwrite", "run.dir=" + run)).startsWith("error: run folder "
          + run + " is being written by another run in this process (host=");
    }
  }
}
