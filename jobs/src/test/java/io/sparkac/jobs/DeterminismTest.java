package io.sparkac.jobs;

import io.sparkac.trajectory.TrajectorySchema;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same config and seed give bit-identical trajectories (every column) and checkpoints (both
 * networks and their optimizer state, every round) and the same learning statistics whatever
 * the master ({@code local[2]}, {@code local[1]}, {@code local[2,4]}), the number of rollout
 * partitions (2, 1, 8) and after Spark retried failed tasks ({@link FlakyCartPole} fails the
 * first attempt of every task). Each run is a real {@code train} process
 * (only one SparkContext may exist per JVM, and {@code local[2,4]}, which retries a task up to
 * three times, needs its own).
 */
class DeterminismTest {
  static final int ROUNDS = 3;
  static final int ACTORS = 8;
  static final int STEPS = 32;

  @TempDir
  Path tmp;

  /** One run: master, partitions, environment; returns its folder. */
  Path train(String name, String master, int partitions, String envClass) throws Exception {
    Path run = tmp.resolve(name);
    List<String> args = new ArrayList<>(List.of("train", write(name), "rollout.partitions=" + partitions));
    if (envClass != null) {
      args.add("env.class=" + envClass);
    }
    JobProcess.runToSuccess(master, List.of("-D" + FlakyCartPole.FAULTS_DIR + "=" + tmp.resolve(name + "-faults")),
        args, tmp.resolve(name + ".log"));
    return run;
  }

  String write(String name) throws IOException {
    Path conf = tmp.resolve(name + ".conf");
    Files.writeString(conf, String.join("\n", "run { dir = \"" + tmp.resolve(name) + "\", id = determinism, seed = 5,",
        "  total-steps = " + ROUNDS * ACTORS * STEPS + " }",
        "rollout { actors = " + ACTORS + ", steps-per-actor = " + STEPS + " }",
        "learner.minibatch-size = 64",
        "eval { interval-rounds = 2, episodes = 4 }", ""));
    return conf.toString();
  }

  List<String> faults(String name) throws IOException {
    Path dir = tmp.resolve(name + "-faults");
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void bitIdenticalWhateverTheMasterThePartitionsAndTaskRetries() throws Exception {
    Path reference = train("local2-p2", "local[2]", 2, null);
    Path single = train("local1-p1", "local[1]", 1, null);
    Path retried = train("local2-4-p8-faults", "local[2,4]", 8, FlakyCartPole.class.getName());

    // The first attempt of every rollout task failed (and of the evaluation tasks whose episodes
    // reached the faulty step); Spark retried them and the run completed.
    List<String> faults = faults("local2-4-p8-faults");
    assertThat(faults).filteredOn(f -> f.contains("-rollout_")).hasSize(ROUNDS * 8);
    assertThat(faults).filteredOn(f -> f.contains("-evaluate_")).isNotEmpty();
    assertThat(faults("local2-p2")).isEmpty();

    List<ParquetRows.Row> rows = ParquetRows.sorted(reference.resolve("trajectories"));
    assertThat(rows).hasSize(ROUNDS * ACTORS * STEPS);
    assertThat(rows.get(0).values()).as("a row: every column of the file, run_id first, obs a list of 4 floats")
        .hasSize(TrajectorySchema.FILE_SCHEMA.size()).startsWith("determinism").element(5).asList().hasSize(4).allMatch(v -> v instanceof Float);
    RunFiles ref = new RunFiles(reference);
    for (Path other : List.of(single, retried)) {
      assertThat(ParquetRows.sorted(other.resolve("trajectories"))).as("trajectories of %s", other.getFileName())
          .isEqualTo(rows);
      RunFiles run = new RunFiles(other);
      assertThat(run.manifest.committedRounds()).containsExactly(0, 1, 2);
      for (int r = 0; r < ROUNDS; r++) {
        assertThat(run.checkpointBits(r)).as("checkpoint %d of %s", r, other.getFileName())
            .containsExactlyElementsOf(ref.checkpointBits(r));
        assertThat(RunFiles.learned(run.manifest.read(r))).as("round %d of %s", r, other.getFileName())
            .isEqualTo(RunFiles.learned(ref.manifest.read(r)));
      }
    }
  }
}
