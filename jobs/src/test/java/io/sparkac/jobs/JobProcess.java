package io.sparkac.jobs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real job process: a JVM of its own that runs {@code Main} through Spark's {@code SparkSubmit}
 * with the local launcher's arguments ({@link LocalLauncher#submitArgs}), as {@code jobs/sparkac}
 * does, except that the classes come from the test classpath ({@code spark-internal}: no jar).
 * Its output (the project's log lines and Spark's warnings) goes to a file.
 */
final class JobProcess {
  /** Job processes still running, killed if this JVM is stopped (not if it is killed). */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
  }

  private JobProcess() {}

  /** The repository's root (surefire runs in the jobs module's folder). */
  static Path root() {
    return Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
  }

  static List<String> command(String master, List<String> jvmOptions, List<String> jobArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The Java 17 flags Spark needs, as this JVM was given them (pom.xml's spark.java17.opts).
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || a.startsWith("-Djdk.reflect.useDirectMethodHandle")) {
        cmd.add(a);
      }
    }
    cmd.add("-Xmx1g");
    // Short-lived JVMs on a shared machine: C1 only and the serial GC halve the CPU time of a
    // process (measured: 37 s -> 17 s for a 16-round train). Java's floating-point results do not
    // depend on the JIT tier, and every run a test compares is started the same way.
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Dlog4j2.configurationFile=" + root().resolve("conf/log4j2.properties"));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path")); // surefire sets it to the whole test classpath
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(LocalLauncher.submitArgs(master, "spark-internal", jobArgs));
    return cmd;
  }

  /** Starts the job; OMP_NUM_THREADS and SPARK_LOCAL_IP come from surefire's environment. */
  static Process start(String master, List<String> jvmOptions, List<String> jobArgs, Path log) throws IOException {
    Process p = new ProcessBuilder(command(master, jvmOptions, jobArgs)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
    return p;
  }

  /** Runs the job to its end and returns its exit status. */
  static int run(String master, List<String> jvmOptions, List<String> jobArgs, Path log, long timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = start(master, jvmOptions, jobArgs, log);
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException("job " + jobArgs + " did not end within " + timeoutSeconds + " s; its output:\n"
          + Files.readString(log));
    }
    return p.exitValue();
  }

  /** Runs the job and fails with its output unless it succeeds. */
  static void runToSuccess(String master, List<String> jvmOptions, List<String> jobArgs, Path log)
      throws IOException, InterruptedException {
    int status = run(master, jvmOptions, jobArgs, log, 600);
    if (status != 0) {
      throw new AssertionError("job " + jobArgs + " on " + master + " exited with " + status + "; its output:\n"
          + Files.readString(log));
    }
  }
}
