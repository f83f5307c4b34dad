package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.env.python.PythonTestEnvs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DeterminismTest} and a kill -9 with a Python environment (the numpy-only test CartPole,
 * {@code env.python}): real {@code train} processes on {@code local[2]} with 2 partitions,
 * {@code local[1]} with 1, {@code local[2,4]} with 8 where the first attempt of every task fails
 * in Python ({@code sparkac_test_envs.faulty:Flaky}) and Spark retries it, and a run killed with
 * SIGKILL after its second round and resumed: all give the same trajectories and checkpoints bit
 * for bit, and the killed run's Python workers do not outlive it.
 */
class PythonEnvironmentJobsTest {
  static final int ROUNDS = 4;
  static final int ACTORS = 8;
  static final int STEPS = 32;

  @TempDir
  Path tmp;

  @BeforeEach
  void python() {
    PythonTestEnvs.assumePython();
  }

  String write(String name, String target, String kwargs) throws IOException {
    Path conf = tmp.resolve(name + ".conf");
    Files.writeString(conf, String.join("\n", "run { dir = \"" + tmp.resolve(name) + "\", id = determinism, seed = 5,",
        "  total-steps = " + ROUNDS * ACTORS * STEPS + " }",
        "env { python = \"" + target + "\", python-path = [\"" + PythonTestEnvs.modules() + "\"],",
        "  python-kwargs " + kwargs + " }",
        "rollout { actors = " + ACTORS + ", steps-per-actor = " + STEPS + " }",
        "learner.minibatch-size = 64",
        "eval { interval-rounds = 2, episodes = 4 }", ""));
    return conf.toString();
  }

  Path train(String name, String master, int partitions, String target, String kwargs) throws Exception {
    JobProcess.runToSuccess(master, List.of(), List.of("train", write(name, target, kwargs),
        "rollout.partitions=" + partitions), tmp.resolve(name + ".log"));
    return tmp.resolve(name);
  }

  @Test
  void bitIdenticalWhateverTheMasterThePartitionsTaskRetriesAndAKillMinus9() throws Exception {
    Path reference = train("local2-p2", "local[2]", 2, PythonTestEnvs.CARTPOLE, "{}");
    Path single = train("local1-p1", "local[1]", 1, PythonTestEnvs.CARTPOLE, "{}");
    Path faults = tmp.resolve("faults");
    Path retried = train("local2-4-p8-faults", "local[2,4]", 8, PythonTestEnvs.PACKAGE + ".faulty:Flaky",
        "{ faults_dir = \"" + faults + "\" }");
    Path killed = killAfterRound1AndResume("killed");

    List<String> markers;
    try (Stream<Path> files = Files.list(faults)) {
      markers = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    assertThat(markers).as("the first attempt of every rollout task failed in Python")
        .filteredOn(f -> f.contains("-rollout_")).hasSize(ROUNDS * 8);

    List<ParquetRows.Row> rows = ParquetRows.sorted(reference.resolve("trajectories"));
    assertThat(rows).hasSize(ROUNDS * ACTORS * STEPS);
    RunFiles ref = new RunFiles(reference);
    for (Path other : List.of(single, retried, killed)) {
      assertThat(ParquetRows.sorted(other.resolve("trajectories"))).as("trajectories of %s", other.getFileName())
          .isEqualTo(rows);
      RunFiles run = new RunFiles(other);
      assertThat(run.manifest.committedRounds()).hasSize(ROUNDS);
      for (int r = 0; r < ROUNDS; r++) {
        assertThat(run.checkpointBits(r)).as("checkpoint %d of %s", r, other.getFileName())
            .containsExactlyElementsOf(ref.checkpointBits(r));
        assertThat(RunFiles.learned(run.manifest.read(r))).as("round %d of %s", r, other.getFileName())
            .isEqualTo(RunFiles.learned(ref.manifest.read(r)));
      }
    }
  }

  /** Kills the run with SIGKILL once round 1 is committed, checks its workers died, resumes it. */
  Path killAfterRound1AndResume(String name) throws Exception {
    String conf = write(name, PythonTestEnvs.CARTPOLE, "{}");
    Path run = tmp.resolve(name);
    Path committed = run.resolve("manifest").resolve("round-000001.json");
    Process p = JobProcess.start("local[2]", List.of(), List.of("train", conf, "rollout.partitions=2"),
        tmp.resolve(name + "-1.log"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (!Files.exists(committed) && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(Files.exists(committed)).as("round 1 committed; log:%n%s", Files.readString(tmp.resolve(name + "-1.log")))
        .isTrue();
    List<ProcessHandle> workers = p.descendants().filter(h -> h.info().command().orElse("").contains("python"))
        .toList();
    assertThat(workers).as("the driver's Python worker at least").isNotEmpty();
    p.destroyForcibly().waitFor(); // SIGKILL
    for (ProcessHandle w : workers) {
      w.onExit().get(10, TimeUnit.SECONDS);
      assertThat(w.isAlive()).as("Python worker %d after its JVM was killed", w.pid()).isFalse();
    }
    JobProcess.runToSuccess("local[2]", List.of(), List.of("train", "--resume", run.toString()),
        tmp.resolve(name + "-2.log"));
    return run;
  }
}
