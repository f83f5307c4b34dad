package io.sparkac.jobs;

import io.sparkac.config.ConfigException;
import io.sparkac.error.Causes;
import io.sparkac.run.RunFolderException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spark-submit entry point: {@code Main <job> <args>}, where job is one of the commands below.
 * Parses arguments, builds the configuration and calls the library; holds no algorithm.
 * Exit status: 0 on success, 2 on bad input (usage, configuration, a run folder that does not fit
 * --overwrite / --resume), 1 on a failed run.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);
  static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

  static {
    // JavaCPP compares the process's resident memory (read from /proc) with maxPhysicalBytes on
    // every native allocation when that limit is set, and DL4J allocates several small buffers per
    // op: the check took 20% of the learner's time (JFR), 0 turns it off (JMH LearnerBenchmark:
    // 20.9 -> 13.2 us/sample at minibatch 256). -Xmx and JavaCPP's maxBytes still bound memory. It
    // must be set before ND4J loads; an explicit -Dorg.bytedeco.javacpp.maxPhysicalBytes wins.
    if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
      System.setProperty(MAX_PHYSICAL_BYTES, "0");
    }
  }

  static final String USAGE = String.join("\n",
      "usage: <launcher> <job> [args]",
      "jobs:",
      "  train <config.conf> [--overwrite | --resume] [key=value ...]",
      "      train from a HOCON config; key=value overrides any config key",
      "  train --resume <run-dir>",
      "      continue a run from its last committed round, with the config it was started with",
      "  bench [config.conf] [--repeats N] [--dir URI] [--learner-modes] [key=value ...]",
      "      measure rollout env steps/s, learner samples/s and the Spark overhead per round",
      "  jmh [JMH options, e.g. PolicyForward]",
      "      run the JMH micro-benchmarks (policy forward, env step, advantages, learner step)",
      "  evaluate <run-dir> [--round N] [--episodes K] [--greedy | --stochastic]",
      "      run K episodes with a round's checkpoint (default: last round, eval.episodes, greedy);",
      "      writes <run-dir>/eval/round=N/ and prints mean, std, min and max return, mean length",
      "  report <run-dir>",
      "      write <run-dir>/report/: PNG charts of the run and an index.html with its config");

  private Main() {}

  public static void main(String[] args) {
    int status = run(args);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Runs a job and returns the exit status (tests call this instead of {@link #main}). */
  public static int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.err.println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      return switch (args[0]) {
        case "train" -> TrainJob.run(rest);
        case "bench" -> BenchJob.run(rest);
        case "jmh" -> {
          // JMH's own command line (e.g. a benchmark regex, -f, -wi, -i); it exits the JVM itself.
          org.openjdk.jmh.Main.main(rest);
          yield 0;
        }
        case "evaluate" -> EvaluateJob.run(rest);
        case "report" -> ReportJob.run(rest);
        default -> {
          System.err.println("unknown job '" + args[0] + "'\n" + USAGE);
          yield 2;
        }
      };
    } catch (ConfigException | UsageException | RunFolderException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    } catch (JobFailedException e) {
      logQuietly(e);
      System.err.println("error: " + e.getMessage());
      return 1;
    } catch (Throwable e) {
      // java.lang.Error too: Hadoop's FSError on a full disk, OutOfMemoryError. Without this it
      // left the JVM as a raw "Exception in thread main" and the run's own error went unsaid.
      logQuietly(e);
      System.err.println("error: " + args[0] + " failed: " + Causes.rootMessage(e));
      return 1;
    }
  }

  /** Logs a failure with its stack trace; a logger that fails (a full disk) must not hide the error line. */
  private static void logQuietly(Throwable e) {
    try {
      log.error("{}", e.getMessage(), e);
    } catch (Throwable ignored) {
      // the error line that follows is what matters
    }
  }

  /** Bad command-line arguments. */
  static final class UsageException extends IllegalArgumentException {
    UsageException(String message) {
      super(message + "\n" + USAGE);
    }
  }
}
