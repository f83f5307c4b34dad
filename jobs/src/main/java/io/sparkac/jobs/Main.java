package io.sparkac.jobs;

import io.sparkac.config.ConfigException;
import io.sparkac.error.Causes;
import io.sparkac.run.RunFolderException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The spark-submit entry point: {@code Main <job> <args>}, where job is a picocli subcommand
 * ({@link TrainJob}, {@link EvaluateJob}, {@link ReportJob}, {@link BenchJob}, {@link Jmh}).
 * Parses arguments, builds the configuration and calls the library; holds no algorithm.
 * Exit status: 0 on success, 2 on bad input (usage, configuration, a run folder that does not fit
 * --overwrite / --resume), 1 on a failed run.
 */
@Command(name = "sparkac", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    synopsisSubcommandLabel = "<job>",
    description = "Synchronous parallel advantage actor-critic on Apache Spark.",
    footer = {"%n<launcher> is jobs/sparkac (local mode) or spark-submit --class io.sparkac.jobs.Main <app-jar>;"
        + " <launcher> <job> --help lists a job's options and examples.",
        "Exit status: 0 success, 2 bad input (usage, configuration, a run folder that does not fit), 1 failed run."})
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

  private Main() {}

  public static void main(String[] args) {
    int status = run(args);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** The command line: one subcommand per job, each with its options, usage and examples ({@code <job> --help}). */
  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main()).addSubcommand(new TrainJob()).addSubcommand(new EvaluateJob())
        .addSubcommand(new ReportJob()).addSubcommand(new OpeJob()).addSubcommand(new ExportJob())
        .addSubcommand(new ServeJob()).addSubcommand(new BenchJob()).addSubcommand(new PythonBenchJob())
        .addSubcommand(new Jmh());
    // JMH reads its own command line: its options, benchmark names and "--" reach it as they were
    // given (no process argument holds a NUL character, so none ends picocli's options).
    line.getSubcommands().get("jmh").setUnmatchedOptionsArePositionalParams(true).setEndOfOptionsDelimiter("\0");
    // Flags may repeat (train x.conf --resume --resume), and no word is read as an @file.
    return line.setOverwrittenOptionsAllowed(true).setExpandAtFiles(false);
  }

  /** Runs a job and returns the exit status (tests call this instead of {@link #main}). */
  public static int run(String[] args) {
    CommandLine line = commandLine();
    CommandLine job = line;
    try {
      ParseResult parsed = line.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return 0;
      }
      if (!parsed.hasSubcommand()) {
        line.usage(System.err);
        return 2;
      }
      job = parsed.subcommand().commandSpec().commandLine();
      return job.<Callable<Integer>>getCommand().call();
    } catch (ParameterException e) {
      System.err.println("error: " + (e.getCommandLine() == line ? "" : e.getCommandLine().getCommandName() + ": ")
          + parseError(e));
      e.getCommandLine().usage(System.err);
      return 2;
    } catch (UsageException e) {
      System.err.println("error: " + e.getMessage());
      job.usage(System.err);
      return 2;
    } catch (ConfigException | RunFolderException e) {
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
      System.err.println("error: " + job.getCommandName() + " failed: " + Causes.rootMessage(e));
      return 1;
    }
  }

  private static String parseError(ParameterException e) {
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String word = u.getUnmatched().get(0);
      return word.startsWith("-") ? "unknown option " + word
          : e.getCommandLine().getParent() == null ? "unknown job '" + word + "'" : "unexpected argument " + word;
    }
    return e.getMessage();
  }

  /** Logs a failure with its stack trace; a logger that fails (a full disk) must not hide the error line. */
  private static void logQuietly(Throwable e) {
    try {
      log.error("{}", e.getMessage(), e);
    } catch (Throwable ignored) {
      // the error line that follows is what matters
    }
  }

  /**
   * A job's words: an optional config file and {@code key=value} overrides, in any order (the
   * benchmarks take them so; {@code train} has its own rules for --resume).
   */
  record ConfigWords(String configFile, List<String> overrides) {
    static ConfigWords of(String job, List<String> words) {
      String configFile = null;
      List<String> overrides = new ArrayList<>();
      for (String word : words) {
        if (word.contains("=")) {
          overrides.add(word);
        } else if (configFile == null) {
          configFile = word;
        } else {
          throw new UsageException(job + ": unexpected argument " + word);
        }
      }
      return new ConfigWords(configFile, overrides);
    }

    /** The configuration, with {@code first} applied before the user's overrides. */
    io.sparkac.config.TrainConfig load(List<String> first) {
      List<String> all = new ArrayList<>(first);
      all.addAll(overrides);
      return configFile == null ? io.sparkac.config.ConfigLoader.parse("", all)
          : io.sparkac.config.ConfigLoader.load(java.nio.file.Path.of(configFile), all);
    }
  }

  /** Bad command-line arguments found by a job (the job's usage follows its error line). */
  static final class UsageException extends IllegalArgumentException {
    UsageException(String message) {
      super(message);
    }
  }

  /** The jar's version (Implementation-Version of its manifest). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sparkac " + (v == null ? "(version unknown: not run from a jar)" : v)};
    }
  }

  @Command(name = "jmh", header = "Run the JMH micro-benchmarks.",
      description = "Run the JMH micro-benchmarks (policy forward, env step, advantages, learner step); every"
          + " argument but --help goes to JMH as given.",
      footer = {"%nExamples:", "  jmh -h                        (JMH's own options)", "  jmh -l", "  jmh PolicyForward",
          "  jmh LearnerBenchmark -f 1 -wi 3 -i 5 -prof gc"})
  static final class Jmh implements Callable<Integer> {
    @Option(names = "--help", usageHelp = true, description = "show this help and exit")
    boolean help;

    @Parameters(paramLabel = "<JMH arguments>", description = "a benchmark regex, -f, -wi, -i, -prof ... (jmh -h)")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      try {
        Class.forName("org.openjdk.jmh.Main");
      } catch (ClassNotFoundException e) {
        throw new UsageException("jmh: JMH is not on this classpath: the application jar leaves JMH and the"
            + " benchmarks out; run them with the local launcher, jobs/sparkac jmh");
      }
      org.openjdk.jmh.Main.main(args.toArray(String[]::new)); // it exits the JVM itself
      return 0;
    }
  }
}
