package io.sparkac.jobs;

import io.sparkac.config.ConfigException;
import io.sparkac.analysis.Charts;
import io.sparkac.config.ConfigLoader;
import io.sparkac.config.MemoryCheck;
import io.sparkac.config.TrainConfig;
import io.sparkac.error.Causes;
import io.sparkac.nn.Networks;
import io.sparkac.env.EnvFactory;
import io.sparkac.rollout.Environments;
import io.sparkac.storage.Storage;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.FixedKeys;
import io.sparkac.run.Manifest;
import io.sparkac.run.RunFolder;
import io.sparkac.run.RunFolderException;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunLock;
import io.sparkac.run.RunState;
import io.sparkac.run.StartMode;
import io.sparkac.train.TrainResult;
import io.sparkac.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Stack;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code train}: parses arguments, loads and validates the config (before any Spark work), trains,
 * and writes the learning curve ({@code <run>/report/learning-curve.png}) at the end, and also when
 * training stops on an error (up to the last committed round). Whatever fails after the checks,
 * the job ends with one error naming the round that failed, the last committed round and the root
 * cause ({@link #failed}).
 */
@Command(name = "train", header = "Train from a HOCON config, or resume a run.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    synopsisHeading = "Usage:%n", customSynopsis = {"  train <config.conf> [--overwrite | --resume] [key=value ...]",
        "  train --resume <run-dir> [key=value ...]"},
    description = {"Train from a HOCON config; key=value overrides any config key (a HOCON value; a string key's"
        + " value is taken literally). With --resume <run-dir>: continue a run from its last committed round, with"
        + " the config it was started with (run.dir is the folder given)."},
    footer = {"%nExamples:",
        "  train conf/cartpole.conf",
        "  train conf/cartpole.conf run.dir=/tmp/run run.total-steps=2048 --overwrite",
        "  train conf/cartpole.conf --resume      (the run in the config's run.dir)",
        "  train conf/cartpole.conf --profile     (where each round's time goes)",
        "  train --resume runs/cartpole run.total-steps=1000000"})
final class TrainJob implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(TrainJob.class);

  @Option(names = "--overwrite", description = "replace the run folder if it holds a run (never another folder)")
  boolean overwrite;

  @Option(names = "--resume", arity = "0..1", paramLabel = "<run-dir>", parameterConsumer = RunFolderWord.class,
      description = "continue the run from its last committed round: the run folder given, else the config's"
          + " run.dir (started when it holds no round yet)")
  String resume;

  @Option(names = "--profile", description = "log each round's phases (the rollout job with its tasks' stepping and"
      + " Parquet write, learning, evaluation, the wait for the previous round's commit; off the critical path:"
      + " snapshots, checkpoint, commit) and their medians over the warm rounds at the end")
  boolean profile;

  @Parameters(paramLabel = "<config.conf> | key=value", description = "the config file, and overrides")
  List<String> words = new ArrayList<>();

  /**
   * The word after {@code --resume} is its run folder when it names an existing file or folder, or
   * is neither an option nor a {@code key=value} override ({@code --resume runs/lr=0.1} resumes
   * that folder when it exists). Whether it is a folder is decided by what it is, in {@link #call}.
   */
  static final class RunFolderWord implements CommandLine.IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec option, CommandSpec command) {
      boolean path = !args.isEmpty() && !args.peek().startsWith("-")
          && (!args.peek().contains("=") || Files.exists(Path.of(args.peek())));
      option.setValue(path ? args.pop() : "");
    }
  }

  @Override
  public Integer call() {
    if (overwrite && resume != null) {
      throw new Main.UsageException("train: --resume and --overwrite exclude each other");
    }
    StartMode mode = overwrite ? StartMode.OVERWRITE : resume != null ? StartMode.RESUME : StartMode.FRESH;
    String resumeDir = resume == null || resume.isEmpty() ? null : resume;
    if (resumeDir != null && (resumeDir.endsWith(".conf") || Files.isRegularFile(Path.of(resumeDir)))) {
      throw new Main.UsageException("train --resume " + resumeDir + ": " + resumeDir + " is a "
          + (resumeDir.endsWith(".conf") ? "config file" : "file") + ", not a run folder; to resume the run it"
          + " configures: train " + resumeDir + " --resume; to resume a run folder: train --resume <run-dir>");
    }
    String configFile = null;
    List<String> overrides = new ArrayList<>();
    for (String word : words) {
      if (word.contains("=") && !Files.exists(Path.of(word))) {
        overrides.add(word);
      } else if (configFile == null) {
        configFile = word;
      } else {
        throw new Main.UsageException("train: unexpected argument " + word);
      }
    }
    TrainConfig config;
    if (resumeDir != null && configFile != null) {
      throw new Main.UsageException("train --resume " + resumeDir + " " + configFile + ": a run folder resumes with"
          + " the config saved in it; to resume with a config file: train " + configFile + " --resume");
    }
    if (resumeDir != null) {
      config = configOfRun(resumeDir, overrides);
    } else {
      if (configFile == null) {
        throw new Main.UsageException("train: a config file is required");
      }
      config = ConfigLoader.load(Path.of(configFile), overrides);
    }
    // ---- bad input fails here, before any Spark work and before anything is written, with exit status 2 ----
    io.sparkac.env.Environment probe = checkEnvironment(config);
    // a round, an evaluation or networks that cannot fit a heap (or a Java array)
    MemoryCheck.check(config, MemoryCheck.Shapes.of(probe), Sessions.memoryLimits(), false);
    Storage storage = new Storage(new Configuration());
    RunLayout layout = RunLayout.of(config.run().dir());
    RunFolder.check(storage, layout, mode);
    RunLock.checkFree(storage, layout);
    if (mode == StartMode.RESUME) {
      checkFixedKeys(storage, layout, config);
    }
    // Loading ND4J's native libraries and DL4J's classes takes 1-2 s: do it while Spark starts.
    Thread warmUp = new Thread(() -> Networks.critic(4, config), "sparkac-nd4j-warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
    SparkSession spark = null;
    TrainResult result;
    try {
      spark = Sessions.get("sparkac train " + config.run().id());
      result = new Trainer(spark, config, mode).profile(profile).run();
    } catch (ConfigException | RunFolderException e) {
      throw e; // bad input found late (the run folder changed since the check): exit status 2
    } catch (Throwable e) { // java.lang.Error too (FSError: disk full); SparkException is checked but undeclared
      throw failed(e, spark, config);
    }
    org.apache.hadoop.fs.Path curve = null;
    try {
      curve = writeLearningCurve(spark, config);
    } catch (Throwable chartFailure) {
      // Every round is committed: the run is done, only its picture is missing (the report job redraws it).
      log.warn("the learning curve was not written: {}", Causes.rootMessage(chartFailure), chartFailure);
    }
    System.out.println("trained " + result.last().totals().envSteps() + " env steps in " + result.rounds().size()
        + " rounds; " + (result.lastEvaluated() == null ? "not evaluated"
            : String.format("greedy eval mean %.1f at round %d", result.lastEvaluated().eval().evalReturnMean(),
                result.lastEvaluated().round()))
        + (result.solved() ? " (target reached)" : ""));
    if (curve != null) {
      System.out.println("learning curve: " + curve);
    }
    return 0;
  }

  /**
   * Creates the configured environment once on the driver: an unknown {@code env.id} (the error
   * lists the known ids) or an {@code env.class} that cannot be created is a configuration error.
   * Returns it, for its shapes.
   */
  static io.sparkac.env.Environment checkEnvironment(TrainConfig config) {
    io.sparkac.env.Environment probe;
    try {
      probe = Environments.create(config.env());
    } catch (IllegalArgumentException e) {
      if (e instanceof ConfigException named && config.env().isPython()) {
        throw named; // names env.python or env.gymnasium
      }
      String key = config.env().custom() ? EnvFactory.CLASS_KEY : EnvFactory.ID_KEY;
      String value = config.env().custom() ? config.env().className() : config.env().id();
      String reason = e.getMessage().startsWith(key + ": ") ? e.getMessage().substring(key.length() + 2)
          : e.getMessage();
      throw new ConfigException(key, value, reason, e);
    }
    Trainer.checkLearnerSupports(config, probe.actionSpace());
    return probe;
  }

  /**
   * The failure handler: draws the learning curve up to the last committed round (what one looks
   * at first after a failure) and returns the one error to report, naming the round that failed,
   * the last committed one and the root cause. It never throws: what it cannot do (a chart on a
   * full disk, a manifest it cannot read) is logged and added to the error's suppressed
   * exceptions, so the original error is the one reported.
   */
  static JobFailedException failed(Throwable e, SparkSession spark, TrainConfig config) {
    try {
      if (spark != null) {
        try {
          writeLearningCurve(spark, config);
        } catch (Throwable chartFailure) {
          suppress(e, chartFailure);
          log.warn("the learning curve was not written: {}", Causes.rootMessage(chartFailure));
        }
      }
      Integer last;
      try {
        Configuration conf = spark != null ? spark.sparkContext().hadoopConfiguration() : new Configuration();
        last = new Manifest(new Storage(conf), RunLayout.of(config.run().dir())).lastCommitted();
      } catch (Throwable manifestFailure) {
        suppress(e, manifestFailure);
        last = null;
      }
      return new JobFailedException(failureMessage(last, Causes.rootMessage(e)), e);
    } catch (Throwable handlerFailure) { // a logger on a full disk, say: still the original error
      return new JobFailedException("train failed: " + e, e);
    }
  }

  private static void suppress(Throwable e, Throwable other) {
    if (other != e) {
      e.addSuppressed(other);
    }
  }

  /** {@code train failed at round N (last committed round N-1): cause}; {@code last} null: unknown. */
  static String failureMessage(Integer last, String cause) {
    if (last == null) {
      return "train failed (last committed round unknown: the manifest could not be read): " + cause;
    }
    return "train failed at round " + (last + 1) + " (" + (last < 0 ? "no round committed"
        : "last committed round " + last) + "): " + cause;
  }

  /** Writes {@code <run>/report/learning-curve.png} from the manifest; null when no round is committed. */
  static org.apache.hadoop.fs.Path writeLearningCurve(SparkSession spark, TrainConfig config) {
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    return Charts.writeLearningCurve(storage, RunLayout.of(config.run().dir()), config.run().id());
  }

  /**
   * The config a run was started with, from its last committed checkpoint, with {@code overrides}
   * on top, in the folder {@code dir}: the run.dir saved in the checkpoint is where the run was
   * then, not where it is now (it may have been moved or copied), so it is never used.
   */
  static TrainConfig configOfRun(String dir, List<String> overrides) {
    Storage storage = new Storage(new Configuration());
    RunLayout layout = RunLayout.of(dir);
    if (!storage.exists(layout.root())) {
      throw new Main.UsageException("train --resume " + dir + ": no such run folder");
    }
    RunFolder.check(storage, layout, StartMode.RESUME);
    int last = new Manifest(storage, layout).lastCommitted();
    if (last < 0) {
      throw new Main.UsageException("train --resume: " + dir + " has no committed round to resume from (its config"
          + " is saved with the first checkpoint); run train <config.conf> --resume to start it again");
    }
    RunState state = new Checkpoints(storage, layout).readState(last);
    TrainConfig config = state.configIn(dir, overrides);
    TrainConfig withOverrides = ConfigLoader.parse(state.config(), overrides);
    if (!withOverrides.run().dir().equals(config.run().dir())
        && overrides.stream().anyMatch(o -> o.trim().startsWith("run.dir"))) {
      throw new ConfigException("run.dir", withOverrides.run().dir(), "cannot be set with train --resume " + dir
          + ", which reads and writes " + dir);
    }
    return config;
  }

  /**
   * A resume may not change a key fixed for the life of the run ({@link FixedKeys}): checked
   * against the config saved with the run's last committed checkpoint, before any Spark work.
   */
  static void checkFixedKeys(Storage storage, RunLayout layout, TrainConfig config) {
    if (!storage.exists(layout.manifest())) {
      return; // nothing to resume: the run starts
    }
    int last = new Manifest(storage, layout).lastCommitted();
    if (last >= 0) {
      RunState state = new Checkpoints(storage, layout).readState(last);
      FixedKeys.check(ConfigLoader.parse(state.config(), List.of()), config, layout.root());
    }
  }
}
