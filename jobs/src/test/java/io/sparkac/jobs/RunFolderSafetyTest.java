package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run folders with real {@code train} processes: a second writer of a folder is refused and
 * named the first; a run killed with SIGKILL leaves no lock that stops its resume; a copied run
 * folder resumes in the copy and leaves the original as it was, byte for byte.
 */
class RunFolderSafetyTest {
  static final String MASTER = "local[2]";
  static final long ROUND = 4 * 32;

  @TempDir
  Path tmp;

  String config(Path dir, long rounds) throws IOException {
    Path conf = tmp.resolve(dir.getFileName() + ".conf");
    Files.writeString(conf, String.join("\n", "run { dir = \"" + dir + "\", id = safety, seed = 2,",
        "  total-steps = " + rounds * ROUND + " }",
        "rollout { actors = 4, steps-per-actor = 32, partitions = 2 }",
        "learner.minibatch-size = 64",
        "eval { interval-rounds = 0, episodes = 2 }", ""));
    return conf.toString();
  }

  @Test
  void aSecondWriterIsRefusedAKilledRunLeavesNoStuckLockAndACopiedRunResumesInPlace() throws Exception {
    Path run = tmp.resolve("run");
    String conf = config(run, 5000);
    Process first = JobProcess.start(MASTER, List.of(), List.of("train", conf), tmp.resolve("first.log"));
    try {
      long deadline = System.currentTimeMillis() + 300_000;
      while (!Files.exists(run.resolve("manifest/round-000001.json"))) {
        assertThat(first.isAlive()).as("the first run is running; its output:%n%s",
            Files.readString(tmp.resolve("first.log"))).isTrue();
        assertThat(System.currentTimeMillis()).as("round 1 committed within 300 s").isLessThan(deadline);
        Thread.sleep(20);
      }

      // ---- a second writer of the folder is refused, before any Spark work, with the first named ----
      Path secondLog = tmp.resolve("second.log");
      int status = JobProcess.run(MASTER, List.of(), List.of("train", conf, "--overwrite",
          "run.total-steps=" + 2 * ROUND), secondLog, 300);
      assertThat(status).as("exit status of the second writer; its output:%n%s", Files.readString(secondLog))
          .isEqualTo(2);
      assertThat(Files.readString(secondLog)).contains("error: run folder " + run + " is being written by another"
          + " process (host=").contains(" pid=" + first.pid() + " ");
      assertThat(first.isAlive()).as("the first run goes on").isTrue();
    } finally {
      first.destroyForcibly(); // SIGKILL
      first.waitFor();
    }

    // ---- a copy resumes in the copy; the original stays as it was ----
    Path copy = tmp.resolve("copy");
    copyTree(run, copy);
    Map<String, String> original = contents(run);
    int committed = committedRounds(copy);
    JobProcess.runToSuccess(MASTER, List.of(), List.of("train", "--resume", copy.toString(),
        "run.total-steps=" + (committed + 2) * ROUND), tmp.resolve("copy.log"));
    assertThat(committedRounds(copy)).isEqualTo(committed + 2);
    assertThat(contents(run)).as("the original run folder, byte for byte").isEqualTo(original);

    // ---- the killed run's own folder resumes: no lock was left stuck by the kill ----
    JobProcess.runToSuccess(MASTER, List.of(), List.of("train", "--resume", run.toString(),
        "run.total-steps=" + (committed + 1) * ROUND), tmp.resolve("resume.log"));
    assertThat(committedRounds(run)).isEqualTo(committed + 1);
  }

  static int committedRounds(Path run) throws IOException {
    try (Stream<Path> entries = Files.list(run.resolve("manifest"))) {
      return (int) entries.filter(p -> p.getFileName().toString().matches("round-\\d+\\.json")).count();
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Every file under {@code dir}: its path and the SHA-256 of its bytes. */
  static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), sha256(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
