package io.sparkac.train;

import static io.sparkac.train.TrainerTest.config;
import static io.sparkac.train.TrainerTest.train;
import static io.sparkac.train.TrainerTest.weights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a resume finds in a run folder that a killed run left behind, and what it refuses. (The
 * kills themselves, of real processes, are in the jobs module's KillTest.)
 */
class RunFolderTest {
  @TempDir
  Path tmp;

  @Test
  void aRunKilledBeforeItsFirstCommitIsResumedFromRoundZero() throws IOException {
    Path straight = tmp.resolve("straight");
    train(config(straight, "run.total-steps=128"), StartMode.FRESH);

    // What a kill in round 0's learner leaves: the manifest folder a new run creates first, a
    // complete round 0 of trajectories and snapshots, a half-built checkpoint; no commit.
    Path killed = tmp.resolve("killed");
    train(config(killed, "run.total-steps=128"), StartMode.FRESH);
    Files.delete(killed.resolve("manifest/round-000000.json"));
    Files.move(killed.resolve("checkpoints/round=0"), killed.resolve("checkpoints/_round=0.tmp"));
    Files.writeString(killed.resolve("trajectories/round=0/_part-000000-000002.parquet.attempt-9"), "half a file");

    TrainResult resumed = train(config(killed, "run.total-steps=128"), StartMode.RESUME);

    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0);
    assertThat(killed.resolve("checkpoints/_round=0.tmp")).doesNotExist();
    assertThat(killed.resolve("trajectories/round=0/_part-000000-000002.parquet.attempt-9")).doesNotExist();
    assertThat(weights(killed, 0, "actor")).isEqualTo(weights(straight, 0, "actor"));
    assertThat(weights(killed, 0, "critic")).isEqualTo(weights(straight, 0, "critic"));
  }

  @Test
  void metricsCsvIsRewrittenFromTheManifestOnResume() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    List<String> complete = Files.readAllLines(run.resolve("metrics.csv"));
    assertThat(complete).hasSize(3);
    // A kill between round 1's commit and the rewrite of metrics.csv leaves it a row short.
    Files.write(run.resolve("metrics.csv"), complete.subList(0, 2));

    TrainResult resumed = train(config(run, "run.total-steps=256"), StartMode.RESUME);

    assertThat(resumed.rounds()).hasSize(2);
    assertThat(Files.readAllLines(run.resolve("metrics.csv"))).isEqualTo(complete);
  }

  @Test
  void aFolderThatIsNotARunIsNeitherResumedNorReplacedSilently() throws IOException {
    Path photos = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(photos.resolve("cat.jpg"), "meow");

    assertThatThrownBy(() -> train(config(photos), StartMode.RESUME))
        .isInstanceOf(RunFolderException.class)
        .hasMessage("cannot resume " + photos + ": it is not a run folder (no manifest/ folder); pass --overwrite to"
            + " replace it with a new run");
    assertThatThrownBy(() -> train(config(photos), StartMode.FRESH))
        .isInstanceOf(RunFolderException.class)
        .hasMessage("run folder " + photos + " already exists and is not empty; pass --resume to continue it or"
            + " --overwrite to replace it");
    assertThat(photos.resolve("cat.jpg")).hasContent("meow");
    assertThat(photos.resolve("manifest")).doesNotExist();
  }
}
