package io.sparkac.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spark standalone cluster of separate JVMs on 127.0.0.1: one Master and N Workers of one core
 * each, started with the Spark home's {@code bin/spark-class} exactly as an installation starts
 * them, on ports the operating system picks. Submissions go through its {@code bin/spark-submit}.
 *
 * <p>Every process it starts is recorded and {@link #close()} kills it by PID, together with its
 * descendants (the executor JVMs a Worker launched); a JVM shutdown hook does the same if the test
 * JVM exits without closing.
 */
final class StandaloneCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandaloneCluster.class);
  private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://[0-9.]+:[0-9]+)");
  private static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

  private final Path sparkHome;
  private final Path workDir;
  /** SPARK_CONF_DIR of the Master and Workers (their spark-defaults.conf), or null for none. */
  private final Path daemonConfDir;
  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private final Thread hook = new Thread(this::killAll, "standalone-cluster-cleanup");
  private String masterUrl;

  private StandaloneCluster(Path sparkHome, Path workDir, Path daemonConfDir) {
    this.sparkHome = sparkHome;
    this.workDir = workDir;
    this.daemonConfDir = daemonConfDir;
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Starts a Master and {@code workers} one-core Workers and waits until all are registered. */
  static StandaloneCluster start(Path sparkHome, Path workDir, int workers) throws IOException, InterruptedException {
    return start(sparkHome, workDir, workers, null);
  }

  /**
   * As {@link #start(Path, Path, int)}, with the Master and Workers reading their Spark
   * properties from {@code <daemonConfDir>/spark-defaults.conf} (SPARK_CONF_DIR, as an
   * installation's daemons do); submissions do not see it.
   */
  static StandaloneCluster start(Path sparkHome, Path workDir, int workers, Path daemonConfDir)
      throws IOException, InterruptedException {
    StandaloneCluster c = new StandaloneCluster(sparkHome, workDir, daemonConfDir);
    try {
      Files.createDirectories(workDir);
      Process master = c.launchDaemon("master", List.of(sparkHome.resolve("bin/spark-class").toString(),
          "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "0", "--webui-port", "0"));
      c.masterUrl = c.awaitLog(master, workDir.resolve("master.log"), MASTER_URL, Duration.ofSeconds(90)).group(1);
      for (int i = 0; i < workers; i++) {
        Path dir = workDir.resolve("worker" + i);
        Files.createDirectories(dir);
        c.workers.add(c.launchDaemon("worker" + i, List.of(sparkHome.resolve("bin/spark-class").toString(),
            "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", "0", "--webui-port", "0",
            "--cores", "1", "--memory", "2g", "--work-dir", dir.toString(), c.masterUrl)));
      }
      for (int i = 0; i < workers; i++) {
        c.awaitLog(c.workers.get(i), workDir.resolve("worker" + i + ".log"),
            Pattern.compile("Successfully registered with master"), Duration.ofSeconds(90));
      }
      log.info("standalone cluster at {}: master pid {}, worker pids {}", c.masterUrl, master.pid(),
          c.workers.stream().map(Process::pid).toList());
      return c;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  String masterUrl() {
    return masterUrl;
  }

  /** Starts {@code bin/spark-submit args}; its output goes to {@code <workDir>/<name>.log}. */
  Process submit(String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(sparkHome.resolve("bin/spark-submit").toString());
    cmd.addAll(args);
    return launch(name, cmd);
  }

  Path logOf(String name) {
    return workDir.resolve(name + ".log");
  }

  /** The executor JVMs the Workers have launched and that are alive now. */
  List<ProcessHandle> executors() {
    return workers.stream().flatMap(w -> w.toHandle().descendants())
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(cl -> cl.contains(EXECUTOR_MAIN)).orElse(false))
        .toList();
  }

  /**
   * The log of an executor JVM: {@code <worker work dir>/<app id>/<executor id>/stderr}, where
   * Spark's executor logs "Running task ..." and "Finished task ..." at INFO.
   */
  Path executorLog(ProcessHandle executor) throws IOException {
    List<String> args = List.of(executor.info().arguments().orElse(new String[0]));
    int app = args.indexOf("--app-id");
    int id = args.indexOf("--executor-id");
    if (app < 0 || id < 0) {
      throw new IllegalStateException("not an executor command line: " + args);
    }
    try (var dirs = Files.list(workDir)) {
      for (Path w : dirs.filter(d -> d.getFileName().toString().startsWith("worker") && Files.isDirectory(d))
          .toList()) {
        Path log = w.resolve(args.get(app + 1)).resolve(args.get(id + 1)).resolve("stderr");
        if (Files.exists(log)) {
          return log;
        }
      }
    }
    throw new IllegalStateException("no log of executor " + args.get(id + 1) + " of " + args.get(app + 1)
        + " under " + workDir);
  }

  private Process launchDaemon(String name, List<String> cmd) throws IOException {
    return launch(name, cmd, daemonConfDir);
  }

  private Process launch(String name, List<String> cmd) throws IOException {
    return launch(name, cmd, null);
  }

  private Process launch(String name, List<String> cmd, Path confDir) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve(name + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OMP_NUM_THREADS", "1");
    // Keep the daemons small: the machine is shared.
    env.put("SPARK_DAEMON_MEMORY", "256m");
    env.remove("SPARK_CONF_DIR");
    if (confDir != null) {
      env.put("SPARK_CONF_DIR", confDir.toString());
    }
    Process p = pb.start();
    processes.add(p);
    log.info("started {} (pid {}): {}", name, p.pid(), String.join(" ", cmd));
    return p;
  }

  /** Waits until {@code logFile} has a line matching {@code pattern}; fails early if the process dies. */
  private Matcher awaitLog(Process p, Path logFile, Pattern pattern, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(logFile)) {
        Matcher m = pattern.matcher(Files.readString(logFile, StandardCharsets.UTF_8));
        if (m.find()) {
          return m;
        }
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(logFile.getFileName() + ": process " + p.pid() + " exited with "
            + p.exitValue() + " before logging '" + pattern + "':\n" + tail(logFile));
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(logFile.getFileName() + ": no '" + pattern + "' within " + timeout + ":\n"
        + tail(logFile));
  }

  static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** Kills every process this cluster started, and their descendants, by PID. */
  @Override
  public void close() {
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook is running or has run
    }
  }

  private void killAll() {
    for (Process p : processes) {
      List<ProcessHandle> tree = new ArrayList<>(p.toHandle().descendants().toList());
      tree.add(p.toHandle());
      for (ProcessHandle h : tree) {
        if (h.isAlive()) {
          h.destroyForcibly();
        }
      }
      for (ProcessHandle h : tree) {
        try {
          h.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.warn("process {} did not exit within 30 s of SIGKILL", h.pid());
        }
      }
    }
  }
}
