package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.storage.Storage;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RunLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The train job on a real Spark standalone cluster: a Master and two one-core Workers as separate
 * JVMs on 127.0.0.1, started from the Spark home that Maven fills with Spark's jars, and the
 * application jar submitted with {@code bin/spark-submit} as the README says. The same job in
 * local mode (same jar, same spark-submit, {@code --master local[2]}) is the reference: the
 * cluster's trajectories and weights must be bit-identical to it, also after an executor JVM is
 * killed with SIGKILL in the middle of a round.
 *
 * <p>Runs in the integration-test phase, after the application jar is built; the surefire
 * execution of that phase sets {@code sparkac.app-jar} (without it, e.g. in the unit-test phase
 * under {@code -Dtest=...}, the class is skipped).
 */
@EnabledIfSystemProperty(named = "sparkac.app-jar", matches = ".+")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneClusterTest {
  private static final String[] SORT = {"round", "actor_id", "episode_id", "t"};
  /** 3 rounds of 4 actors x 600 steps; a rollout task steps 2 actors x 600 steps x ~1 ms. */
  private static final List<String> RUN = List.of("run.id=cluster-test", "env.class=" + SlowCartPole.class.getName(),
      "rollout.actors=4", "rollout.steps-per-actor=600", "rollout.partitions=2", "run.total-steps=7200",
      "learner.minibatch-size=256", "eval.interval-rounds=0", "eval.episodes=2", "eval.target-return=none");
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

  private final Path root = Path.of(System.getProperty("sparkac.root", "..")).toAbsolutePath().normalize();
  /** The module jobs/spark-home: bin/ in git, jars/ filled by its build. */
  private final Path sparkHome = root.resolve("jobs/spark-home");
  private final Path appJar = Path.of(System.getProperty("sparkac.app-jar")).toAbsolutePath();
  private final Path work = Path.of("target", "standalone-cluster").toAbsolutePath();
  private StandaloneCluster cluster;
  private Path envJar;
  private Path localRun;
  private SparkSession reader;

  @BeforeAll
  void startClusterAndRunLocally() throws Exception {
    assertThat(appJar).as("the application jar (mvn package builds it)").isRegularFile();
    assertThat(sparkHome.resolve("jars")).as("Spark's jars (mvn package of jobs/spark-home copies them)")
        .isDirectoryContaining("glob:**/spark-core_*.jar");
    deleteRecursively(work);
    Files.createDirectories(work);
    envJar = jarOf(work.resolve("slow-cartpole.jar"), SlowCartPole.class);
    cluster = StandaloneCluster.start(sparkHome, work, 2);

    // The reference: the same job and jar through spark-submit in local mode.
    localRun = work.resolve("runs/local");
    int status = await(cluster.submit("submit-local", submitArgs("local[2]", localRun)), "submit-local");
    assertThat(status).as("local-mode run, log " + cluster.logOf("submit-local")).isZero();
    reader = SparkSession.builder().master("local[1]").appName("standalone-cluster-test-reader")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  void stopEverything() {
    try {
      if (reader != null) {
        reader.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  void rollsOutOnTwoExecutorJvmsBitIdenticalToLocalMode() throws Exception {
    Path run = work.resolve("runs/cluster");
    Process submit = cluster.submit("submit-cluster", submitArgs(cluster.masterUrl(), run));
    assertThat(await(submit, "submit-cluster")).as("cluster run, log " + cluster.logOf("submit-cluster")).isZero();

    List<Row> executors = reader.read().parquet(run.resolve("trajectories").toString())
        .groupBy("round").agg(org.apache.spark.sql.functions.countDistinct("executor_id")).orderBy("round")
        .collectAsList();
    assertThat(executors).as("distinct executors per round").hasSize(3)
        .allSatisfy(r -> assertThat(r.getLong(1)).isEqualTo(2));
    assertThat(reader.read().parquet(run.resolve("trajectories").toString()).select("executor_id").distinct()
        .collectAsList()).extracting(r -> r.getString(0)).doesNotContain("driver").hasSize(2);
    assertSameRun(run, localRun);
    // conf/spark-defaults.conf starts the executors with jdk.incubator.vector: each one that ran a
    // task says once that its rollouts run the Vector API kernel.
    List<Path> ran = executorLogsWithTasks();
    assertThat(ran).as("executor logs under %s with a task", work).hasSizeGreaterThanOrEqualTo(2);
    for (Path log : ran) {
      assertThat(count(log, "inference kernel: Vector API")).as("kernel lines in %s", log).isEqualTo(1);
      assertThat(count(log, "inference kernel: scalar")).as("scalar kernel lines in %s", log).isZero();
    }
  }

  /** The stderr of every executor of this class's clusters that ran a task: {@code <worker dir>/app-<id>/<n>/stderr}. */
  private List<Path> executorLogsWithTasks() throws IOException {
    List<Path> logs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(work, 4)) {
      for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")
          && f.getParent().getParent().getFileName().toString().startsWith("app-")).toList()) {
        if (count(f, "Running task") > 0) {
          logs.add(f);
        }
      }
    }
    return logs;
  }

  @Test
  void survivesAnExecutorKilledInTheMiddleOfARound() throws Exception {
    Path run = work.resolve("runs/fault");
    Path events = Files.createDirectories(work.resolve("events-fault"));
    List<String> args = new ArrayList<>(List.of("--conf", "spark.eventLog.enabled=true",
        "--conf", "spark.eventLog.dir=" + events.toUri()));
    args.addAll(submitArgs(cluster.masterUrl(), run));
    Process submit = cluster.submit("submit-fault", args);
    ProcessHandle victim = null;
    try {
      // Round 1's rollout starts right after round 0's commit; each of its two tasks steps for
      // at least 1.2 s. Kill an executor JVM while its log shows a task started after the commit
      // and not finished.
      Path committed = run.resolve("manifest/round-000000.json");
      long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
      while (!Files.exists(committed)) {
        assertThat(submit.isAlive()).as("the run is alive before round 0's commit; log "
            + cluster.logOf("submit-fault")).isTrue();
        assertThat(System.nanoTime()).as("round 0 committed in time").isLessThan(deadline);
        Thread.sleep(20);
      }
      List<ProcessHandle> executors = cluster.executors();
      assertThat(executors).as("executor JVMs of the run").hasSize(2);
      Map<ProcessHandle, Long> startedBefore = new HashMap<>();
      for (ProcessHandle e : executors) {
        startedBefore.put(e, count(cluster.executorLog(e), "Running task"));
      }
      while (victim == null) {
        assertThat(System.nanoTime()).as("a round-1 task started in time").isLessThan(deadline);
        for (ProcessHandle e : executors) {
          Path log = cluster.executorLog(e);
          long started = count(log, "Running task");
          if (started > startedBefore.get(e) && started > count(log, "Finished task")) {
            victim = e;
          }
        }
        Thread.sleep(20);
      }
      Thread.sleep(150);
      assertThat(victim.destroyForcibly()).isTrue(); // SIGKILL, by PID
      victim.onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception | AssertionError e) {
      submit.destroyForcibly();
      throw e;
    }
    assertThat(await(submit, "submit-fault")).as("run with a killed executor, log " + cluster.logOf("submit-fault"))
        .isZero();

    // The kill hit a running task: Spark lost it with the executor and ran it again.
    List<JsonNode> lost = taskEnds(events).stream()
        .filter(e -> e.path("Task End Reason").path("Reason").asText().equals("ExecutorLostFailure")).toList();
    assertThat(lost).as("tasks lost with executor pid " + victim.pid()).isNotEmpty();
    assertThat(new Manifest(storage(), RunLayout.of(run.toUri().toString())).lastCommitted()).isEqualTo(2);
    assertSameRun(run, localRun);
  }

  /**
   * learner.mode = spark on the cluster: the dl4j-spark fits run as tasks in the executor JVMs
   * (ND4J's natives from the application jar), with the Direct approach that a non-local master
   * needs, for three consecutive rounds.
   */
  @Test
  void fitsWithDl4jSparkOnTheExecutors() throws Exception {
    Path run = work.resolve("runs/spark-learner");
    Path events = Files.createDirectories(work.resolve("events-spark-learner"));
    List<String> args = new ArrayList<>(List.of("--conf", "spark.eventLog.enabled=true",
        "--conf", "spark.eventLog.dir=" + events.toUri()));
    args.addAll(submitArgs(cluster.masterUrl(), run));
    args.addAll(List.of("learner.mode=spark", "env.class=\"\"", "rollout.steps-per-actor=128", "run.total-steps=1536"));
    assertThat(await(cluster.submit("submit-spark-learner", args), "submit-spark-learner"))
        .as("learner.mode=spark run, log " + cluster.logOf("submit-spark-learner")).isZero();

    List<JsonNode> all = events(events);
    List<String> fitJobs = all.stream().filter(e -> e.path("Event").asText().equals("SparkListenerJobStart"))
        .map(e -> e.path("Properties").path("spark.job.description").asText())
        .filter(d -> d.contains(": fit ")).distinct().toList();
    assertThat(fitJobs).contains("round 0: fit critic", "round 0: fit actor", "round 2: fit critic",
        "round 2: fit actor");
    assertThat(taskEnds(events)).allSatisfy(e -> assertThat(e.path("Task End Reason").path("Reason").asText())
        .as("task end").isEqualTo("Success"));
    assertThat(taskEnds(events).stream().map(e -> e.path("Task Info").path("Executor ID").asText()).distinct()
        .toList()).as("executors that ran tasks").hasSize(2).doesNotContain("driver");
    assertThat(new Manifest(storage(), RunLayout.of(run.toUri().toString())).readAll())
        .hasSize(3).allSatisfy(r -> assertThat(r.losses().valueLoss()).isFinite());
  }

  /**
   * The README's cluster security settings on a second cluster whose Master and Workers read them
   * from their spark-defaults.conf: RPC authentication with a shared secret, AES encryption of the
   * RPC channels, encryption of the shuffle and spill files. A run that has the secret (in its
   * properties file, not on a command line) trains bit-identically to local mode; an application
   * without it is refused by the Master.
   */
  @Test
  void aClusterWithAuthenticationAndEncryptionRunsOnlyApplicationsThatHaveItsSecret() throws Exception {
    Path secured = work.resolve("secured");
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    List<String> security = List.of(
        "spark.authenticate                 true",
        "spark.authenticate.secret          " + HexFormat.of().formatHex(random),
        "spark.network.crypto.enabled       true",
        "spark.io.encryption.enabled        true");
    Path daemonConf = privateFile(secured.resolve("daemon-conf/spark-defaults.conf"), security);
    List<String> app = new ArrayList<>(Files.readAllLines(root.resolve("conf/spark-defaults.conf")));
    app.addAll(security);
    Path appProperties = privateFile(secured.resolve("app-spark-defaults.conf"), app);

    try (StandaloneCluster cluster = StandaloneCluster.start(sparkHome, secured, 2, daemonConf.getParent())) {
      // Both at once: the refused one only waits for its first registration attempt.
      Process refused = cluster.submit("submit-no-secret", submitArgs(cluster.masterUrl(), secured.resolve("runs/no-secret"),
          root.resolve("conf/spark-defaults.conf")));
      Path run = secured.resolve("runs/secured");
      Process submit = cluster.submit("submit-secured", submitArgs(cluster.masterUrl(), run, appProperties));
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!Files.readString(cluster.logOf("submit-no-secret")).contains("Failed to connect to master")) {
          assertThat(refused.isAlive()).as("the application without the secret is still trying; log "
              + cluster.logOf("submit-no-secret")).isTrue();
          assertThat(System.nanoTime()).as("a refused registration in time; log " + cluster.logOf("submit-no-secret"))
              .isLessThan(deadline);
          Thread.sleep(100);
        }
      } finally {
        refused.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        refused.destroyForcibly();
      }
      assertThat(await(submit, "submit-secured")).as("run with the secret, log " + cluster.logOf("submit-secured"))
          .isZero();

      assertThat(count(cluster.logOf("master"), "Registering app ")).as("applications the Master registered")
          .isEqualTo(1);
      // With spark.network.crypto.enabled the Master's RPC server runs Spark's AES handshake
      // (AuthRpcHandler), which logs the refused client; without it, a SASL handler would.
      assertThat(Files.readString(cluster.logOf("master"))).as("the Master's log").contains("AuthRpcHandler");
      String driver = Files.readString(cluster.logOf("submit-secured"));
      assertThat(driver).as("the driver's log shows neither the secret nor I/O encryption left off")
          .doesNotContain(security.get(1).substring(security.get(1).lastIndexOf(' ') + 1))
          .doesNotContain("I/O encryption enabled without RPC encryption");
      assertSameRun(run, localRun);
    }
  }

  /** A file only its owner can read: it holds the cluster's secret. */
  private static Path privateFile(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, lines);
    return file;
  }

  private static long count(Path log, String what) throws IOException {
    try (Stream<String> lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(what)).count();
    }
  }

  private List<String> submitArgs(String master, Path run) {
    return submitArgs(master, run, root.resolve("conf/spark-defaults.conf"));
  }

  private List<String> submitArgs(String master, Path run, Path properties) {
    List<String> args = new ArrayList<>(List.of(
        "--master", master,
        "--deploy-mode", "client",
        "--properties-file", properties.toString(),
        "--driver-java-options", "-Dlog4j2.configurationFile=" + root.resolve("conf/log4j2.properties"),
        "--conf", "spark.ui.enabled=false",
        // Both executors registered before the first job, so the two rollout tasks run side by side.
        "--conf", "spark.cores.max=2",
        "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
        "--executor-memory", "768m",
        "--jars", envJar.toString(),
        "--class", Main.class.getName(),
        appJar.toString(),
        "train", root.resolve("conf/cartpole.conf").toString(),
        "run.dir=\"" + run.toUri() + "\""));
    args.addAll(RUN);
    return args;
  }

  private int await(Process p, String name) throws InterruptedException {
    if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(name + " did not finish within " + RUN_TIMEOUT + ":\n"
          + StandaloneCluster.tail(cluster.logOf(name)));
    }
    return p.exitValue();
  }

  /** Same trajectories (all columns but executor_id) and the same final weights, bit for bit. */
  private void assertSameRun(Path run, Path reference) {
    List<Row> actual = rows(run);
    List<Row> expected = rows(reference);
    assertThat(actual).hasSize(7200);
    assertThat(actual).isEqualTo(expected);
    Checkpoints a = new Checkpoints(storage(), RunLayout.of(run.toUri().toString()));
    Checkpoints b = new Checkpoints(storage(), RunLayout.of(reference.toUri().toString()));
    assertThat(a.readActor(2).params().dup().data().asFloat()).isEqualTo(b.readActor(2).params().dup().data().asFloat());
    assertThat(a.readCritic(2).params().dup().data().asFloat())
        .isEqualTo(b.readCritic(2).params().dup().data().asFloat());
  }

  private List<Row> rows(Path run) {
    var df = reader.read().parquet(run.resolve("trajectories").toString()).drop("executor_id");
    return df.orderBy(SORT[0], SORT[1], SORT[2], SORT[3]).collectAsList();
  }

  private static Storage storage() {
    return new Storage(new Configuration());
  }

  private static List<JsonNode> taskEnds(Path eventDir) throws IOException {
    return events(eventDir).stream().filter(e -> e.path("Event").asText().equals("SparkListenerTaskEnd")).toList();
  }

  /** The events of Spark's event log (one JSON object per line). */
  private static List<JsonNode> events(Path eventDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(eventDir)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f)) {
          out.add(json.readTree(line));
        }
      }
    }
    return out;
  }

  /** A jar with one class, for {@code --jars}. */
  private static Path jarOf(Path jar, Class<?> type) throws IOException {
    String entry = type.getName().replace('.', '/') + ".class";
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
      out.putNextEntry(new JarEntry(entry));
      try (var in = type.getClassLoader().getResourceAsStream(entry)) {
        in.transferTo(out);
      }
      out.closeEntry();
    }
    return jar;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
