package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up during training ({@link FullDiskFileSystem}: Hadoop's {@code FSError: No
 * space left on device}, a {@link java.lang.Error}, from the driver's writes and the rollout
 * tasks' alike), in a real train process: it ends with exit status 1 and exactly one
 * {@code error:} line, which names the round that failed, the last committed round (the one the
 * manifest holds) and the cause; the failure handler's learning-curve drawing fails on the same
 * full disk and is only logged. It used to end with a raw {@code Exception in thread "main"
 * org.apache.hadoop.fs.FSError} from the drawing, and the original error was never shown.
 */
class DiskFullTest {
  /** Bytes the run may write: a few rounds (one of 4 x 64 steps, with its checkpoint, writes 100-200 kB). */
  static final long BUDGET = 1_000_000;

  @TempDir
  Path tmp;

  @Test
  void aFullDiskEndsWithOneErrorLineNamingTheCauseAndTheLastCommittedRound() throws Exception {
    Path run = tmp.resolve("run");
    Path conf = tmp.resolve("full.conf");
    Files.writeString(conf, String.join("\n",
        "run { dir = \"" + FullDiskFileSystem.SCHEME + ":" + run + "\", total-steps = " + 40 * 4 * 64 + " }",
        "rollout { actors = 4, steps-per-actor = 64, partitions = 2 }",
        "learner.minibatch-size = 64",
        "eval { interval-rounds = 0, episodes = 4 }", ""));
    Path log = tmp.resolve("train.log");

    int status = JobProcess.run("local[2]", List.of("-D" + FullDiskFileSystem.BUDGET + "=" + BUDGET),
        List.of("train", conf.toString()), log, 300);

    String output = Files.readString(log);
    List<String> errors = output.lines().filter(l -> l.startsWith("error:")).toList();
    assertThat(status).as("exit status; output:%n%s", output).isEqualTo(1);
    assertThat(output).as("output").doesNotContain("Exception in thread");
    assertThat(errors).as("error lines; output:%n%s", output).hasSize(1);
    Matcher m = Pattern.compile("error: train failed at round (\\d+) \\(last committed round (\\d+)\\): No space left"
        + " on device").matcher(errors.get(0));
    assertThat(m.matches()).as("the error line: %s", errors.get(0)).isTrue();
    int failed = Integer.parseInt(m.group(1));
    int last = Integer.parseInt(m.group(2));
    System.out.println(errors.get(0));
    assertThat(failed).isEqualTo(last + 1);
    assertThat(last).as("rounds committed before the disk filled up").isGreaterThanOrEqualTo(1);
    assertThat(last).as("the last committed round on disk").isEqualTo(lastCommittedOnDisk(run));
    assertThat(output).as("the failure handler's chart on the full disk is logged")
        .contains("the learning curve was not written: No space left on device");
  }

  static int lastCommittedOnDisk(Path run) throws IOException {
    try (Stream<Path> files = Files.list(run.resolve("manifest"))) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("round-\\d+\\.json"))
          .mapToInt(n -> Integer.parseInt(n.substring("round-".length(), n.length() - ".json".length())))
          .max().orElse(-1);
    }
  }
}
