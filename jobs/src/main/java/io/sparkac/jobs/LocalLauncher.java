package io.sparkac.jobs;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a job in local mode through Spark's own {@code SparkSubmit}, so local runs take the same
 * path as cluster runs: {@code LocalLauncher [--master local[N]] <job> [args]}. The README's
 * first command calls it through {@code jobs/sparkac}.
 */
public final class LocalLauncher {
  private LocalLauncher() {}

  public static void main(String[] args) throws URISyntaxException {
    String master = System.getenv().getOrDefault("SPARKAC_MASTER", "local[2]");
    int first = 0;
    if (args.length >= 2 && args[0].equals("--master")) {
      master = args[1];
      first = 2;
    }
    Path appJar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> jobArgs = List.of(args).subList(first, args.length);
    org.apache.spark.deploy.SparkSubmit.main(submitArgs(master, appJar.toString(), jobArgs).toArray(String[]::new));
  }

  /**
   * SparkSubmit's arguments for a local run of {@code jobArgs} ({@code train ...}). The application
   * resource is the jobs jar, or {@code spark-internal} when the classes are already on the
   * classpath (tests that start real job processes).
   */
  public static List<String> submitArgs(String master, String appResource, List<String> jobArgs) {
    List<String> submit = new ArrayList<>(List.of(
        "--master", master,
        "--class", Main.class.getName(),
        "--name", "sparkac",
        // Local runs: no UI, few shuffle partitions, loopback only.
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.ui.showConsoleProgress=false",
        "--conf", "spark.sql.shuffle.partitions=2",
        // parallel.mode = async: the groups' concurrent rollout jobs share the cores (one pool each).
        "--conf", "spark.scheduler.mode=FAIR",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        // Local disks without forking chmod per file (see FastLocalFileSystem).
        "--conf", "spark.hadoop.fs.file.impl=io.sparkac.storage.FastLocalFileSystem",
        appResource));
    submit.addAll(jobArgs);
    return submit;
  }
}
