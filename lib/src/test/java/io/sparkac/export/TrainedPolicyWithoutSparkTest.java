package io.sparkac.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.inference.TrainedPolicy;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TrainedPolicy} in a child JVM whose classpath holds no Spark jar: an export folder read
 * with only this library's classes and Jackson's three jars (no Spark, DL4J, ND4J or Hadoop). The
 * child's greedy actions are this JVM's. The classpath's jar count and size are logged.
 */
class TrainedPolicyWithoutSparkTest {
  private static final Logger log = LoggerFactory.getLogger(TrainedPolicyWithoutSparkTest.class);

  @Test
  void fromAnExportFolderWithTheLibraryJacksonAndSlf4jOnly(@TempDir Path out) throws Exception {
    TrainedPolicy policy = ExportedRuns.policy("CartPole-v1");
    PolicyExport.write(policy, out);
    List<String> cp = new ArrayList<>(List.of(libClasses()));
    for (String e : classpath()) {
      if (e.matches(".*/(jackson-(databind|core|annotations)|slf4j-api)-[^/]*\\.jar")) {
        cp.add(e);
      }
    }
    assertThat(cp).hasSize(5);
    check(policy, out, cp, "export folder");
  }

  /** The child's greedy actions for 20 observations are this JVM's, and no Spark jar is on its path. */
  private static void check(TrainedPolicy policy, Path dir, List<String> cp, String what) throws Exception {
    assertThat(cp).noneMatch(e -> e.contains("spark-") || e.contains("/org/apache/spark/"));
    long bytes = 0;
    int jars = 0;
    for (String e : cp) {
      if (e.endsWith(".jar")) {
        jars++;
        bytes += Files.size(Path.of(e));
      }
    }
    log.info("TrainedPolicy from an {}: {} jars, {} MB, and lib's classes", what, jars,
        String.format("%.1f", bytes / 1e6));
    SplittableRandom rng = new SplittableRandom(3);
    float[][] obs = new float[20][policy.observationSize()];
    List<String> args = new ArrayList<>();
    args.add(dir.toString());
    for (float[] row : obs) {
      StringBuilder s = new StringBuilder();
      for (int k = 0; k < row.length; k++) {
        row[k] = (float) (rng.nextGaussian() * 0.5);
        s.append(k == 0 ? "" : ",").append(row[k]);
      }
      args.add(s.toString());
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
        String.join(File.pathSeparator, cp), TrainedPolicy.class.getName()));
    cmd.addAll(args);
    Path logFile = Files.createTempFile("trained-policy-child", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("the child JVM did not finish in 120 s; see " + logFile);
    }
    String output = Files.readString(logFile);
    assertThat(p.exitValue()).as(output).isZero();
    List<String> expected = new ArrayList<>();
    for (float[] a : policy.actBatch(obs)) {
      StringBuilder s = new StringBuilder();
      for (int k = 0; k < a.length; k++) {
        s.append(k == 0 ? "" : ",").append(policy.discrete() ? String.valueOf((int) a[k]) : String.valueOf(a[k]));
      }
      expected.add(s.toString());
    }
    List<String> lines = Arrays.stream(output.split("\n")).filter(l -> l.matches("^-?[0-9][0-9.,E-]*$")).toList();
    assertThat(lines).as(output).isEqualTo(expected);
  }

  private static String libClasses() {
    return Path.of(TrainedPolicy.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
  }

  private static List<String> classpath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
  }
}
