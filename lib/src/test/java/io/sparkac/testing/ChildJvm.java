package io.sparkac.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Starts a Java main class of the test classpath in a JVM of its own (a real process), with the
 * Java 17 flags Spark needs as this JVM has them, for tests that need what one JVM cannot give:
 * another SparkContext, or a native library started with other environment variables.
 */
public final class ChildJvm {
  /** Children still running, killed if this JVM is stopped (not if it is killed). */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
  }

  private ChildJvm() {}

  /** The finished process: exit status and everything it wrote to stdout and stderr. */
  public record Result(int exitStatus, String output) {}

  /** The command line: this JVM's java, its --add-opens flags, a 1 GB heap, the test classpath. */
  public static List<String> command(String mainClass, List<String> jvmOptions, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path")); // surefire sets it to the whole test classpath
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Runs {@code mainClass} to completion with {@code env} added to this process's environment
   * (a null value removes a variable); output goes to {@code log} and is returned.
   */
  public static Result run(String mainClass, List<String> jvmOptions, List<String> args, Map<String, String> env,
      Path log, long timeoutSeconds) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command(mainClass, jvmOptions, args));
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException(mainClass + " did not finish within " + timeoutSeconds + " s; see " + log);
    }
    return new Result(p.exitValue(), Files.readString(log));
  }
}
