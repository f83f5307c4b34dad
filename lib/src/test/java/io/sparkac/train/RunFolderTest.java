package io.sparkac.train;

import static io.sparkac.train.TrainerTest.config;
import static io.sparkac.train.TrainerTest.train;
import static io.sparkac.train.TrainerTest.weights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigException;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunFolderException;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunReader;
import io.sparkac.run.StartMode;
import io.sparkac.testing.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
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
    // A kill between round 1's commit and its append leaves metrics.csv a row short.
    Files.write(run.resolve("metrics.csv"), complete.subList(0, 2));

    TrainResult resumed = train(config(run, "run.total-steps=256"), StartMode.RESUME);

    assertThat(resumed.rounds()).hasSize(2);
    assertThat(Files.readAllLines(run.resolve("metrics.csv"))).isEqualTo(complete);
  }

  @Test
  void aTornLastLineOfMetricsCsvIsRepairedOnResume() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    List<String> complete = Files.readAllLines(run.resolve("metrics.csv"));
    // A kill in the middle of round 1's append: half its row, no line end.
    String last = complete.get(2);
    Files.writeString(run.resolve("metrics.csv"), complete.get(0) + "\n" + complete.get(1) + "\n"
        + last.substring(0, last.length() / 2));

    TrainResult resumed = train(config(run, "run.total-steps=384"), StartMode.RESUME);

    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2);
    List<String> repaired = Files.readAllLines(run.resolve("metrics.csv"));
    assertThat(repaired).hasSize(4).startsWith(complete.toArray(String[]::new));
    assertThat(repaired.get(3)).startsWith("2,2,384,");
    assertThat(Files.readString(run.resolve("metrics.csv"))).endsWith("\n");
  }

  /**
   * A run folder written before schema version 2 (camelCase manifest entries with "NaN", a
   * {@code group} column, Hadoop's .crc files) resumes; its entries read as they were written,
   * and its metrics.csv is rewritten in the current columns.
   */
  @Test
  void aRunWrittenBeforeSchemaVersionTwoResumes() throws IOException {
    Path run = tmp.resolve("run");
    TrainResult first = train(config(run, "run.total-steps=256"), StartMode.FRESH);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (int r = 0; r < 2; r++) {
      Path entry = run.resolve(String.format("manifest/round-%06d.json", r));
      com.fasterxml.jackson.databind.JsonNode now = json.readTree(entry.toFile());
      com.fasterxml.jackson.databind.node.ObjectNode old = json.createObjectNode();
      now.fields().forEachRemaining(f -> {
        if (f.getKey().equals("schema_version")) {
          return;
        }
        StringBuilder camel = new StringBuilder();
        for (String part : f.getKey().split("_")) {
          camel.append(camel.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        old.set(camel.toString(), f.getValue().isNull() ? json.getNodeFactory().textNode("NaN") : f.getValue());
      });
      old.put("group", -1).put("rhoMean", "NaN").put("rhoMax", "NaN").put("correctedFraction", "NaN");
      Files.write(entry, json.writeValueAsBytes(old));
      Files.writeString(entry.resolveSibling("." + entry.getFileName() + ".crc"), "an old checksum");
    }
    Files.writeString(run.resolve("metrics.csv"), "round,policy_version,group\n0,0,-1\n1,1,-1\n");
    Files.writeString(run.resolve(".metrics.csv.crc"), "an old checksum");

    TrainResult resumed = train(config(run, "run.total-steps=384"), StartMode.RESUME);

    assertThat(resumed.rounds().subList(0, 2)).isEqualTo(first.rounds());
    assertThat(resumed.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2);
    List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
    assertThat(csv).hasSize(4);
    assertThat(csv.get(0)).startsWith("round,policy_version,env_steps,").doesNotContain("group");
    assertThat(Files.readString(run.resolve("manifest/round-000002.json"))).contains("\"schema_version\" : 2");
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

  @Test
  void overwriteRefusesAFolderThatIsNotARun() throws IOException {
    Path thesis = Files.createDirectories(tmp.resolve("thesis"));
    Files.writeString(thesis.resolve("notes.txt"), "mine");
    Files.createDirectories(thesis.resolve("sub"));
    Files.writeString(thesis.resolve("sub/thesis.tex"), "\\documentclass{article}");

    assertThatThrownBy(() -> train(config(thesis), StartMode.OVERWRITE))
        .isInstanceOf(RunFolderException.class)
        .hasMessage("cannot overwrite " + thesis + ": it is not a run folder (no manifest/ folder) and holds"
            + " notes.txt, sub; --overwrite replaces run folders only: choose another run.dir");
    assertThat(thesis.resolve("notes.txt")).hasContent("mine");
    assertThat(thesis.resolve("sub/thesis.tex")).hasContent("\\documentclass{article}");
    try (Stream<Path> entries = Files.list(thesis)) {
      assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("notes.txt", "sub");
    }
  }

  @Test
  void overwriteOfARunDeletesOnlyTheRunsOwnEntries() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    Files.writeString(run.resolve("notes.txt"), "mine");
    Files.createDirectories(run.resolve("sub"));
    Files.writeString(run.resolve("sub/thesis.tex"), "tex");

    TrainResult again = train(config(run, "run.total-steps=128"), StartMode.OVERWRITE);

    assertThat(again.rounds()).hasSize(1);
    assertThat(run.resolve("notes.txt")).hasContent("mine");
    assertThat(run.resolve("sub/thesis.tex")).hasContent("tex");
    assertThat(run.resolve("manifest/round-000001.json")).as("the old run's round 1").doesNotExist();
    assertThat(run.resolve("trajectories/round=1")).doesNotExist();
    assertThat(run.resolve("manifest/round-000000.json")).isRegularFile();
  }

  @Test
  void resumeRefusesOverridesThatChangeTheNetworksTheEnvironmentOrTheActors() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=128"), StartMode.FRESH);
    List<String> before = files(run);

    assertThatThrownBy(() -> train(config(run, "run.total-steps=256", "network.hidden=[32]"), StartMode.RESUME))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("network.hidden = [32]: cannot change on resume: the run in " + run
            + " has network.hidden = [64, 64]");
    assertThatThrownBy(() -> train(config(run, "run.total-steps=256", "network.activation=relu"), StartMode.RESUME))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("network.activation = \"relu\": cannot change on resume: the run in " + run
            + " has network.activation = \"tanh\"");
    assertThatThrownBy(() -> train(config(run, "run.total-steps=256", "rollout.actors=32"), StartMode.RESUME))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("rollout.actors = 32: cannot change on resume: the run in " + run
            + " has rollout.actors = 4");
    assertThatThrownBy(() -> train(config(run, "run.total-steps=256", "env.id=Acrobot-v1"), StartMode.RESUME))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.id = \"Acrobot-v1\": cannot change on resume");
    assertThat(files(run)).as("the refused resumes wrote nothing").isEqualTo(before);
  }

  @Test
  void aResumeAppliesANewLearningRateToTheRestoredNetworks() {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=128"), StartMode.FRESH);

    train(config(run, "run.total-steps=256", "learner.actor-learning-rate=0.01"), StartMode.RESUME);

    Checkpoints c = new Checkpoints(TrainerTest.storage(), RunLayout.of(run.toString()));
    assertThat(c.readActor(0).getLearningRate(0)).isEqualTo(0.001);
    assertThat(c.readActor(1).getLearningRate(0)).isEqualTo(0.01);
    assertThat(c.readCritic(1).getLearningRate(0)).isEqualTo(0.001);
  }

  @Test
  void aTruncatedParquetFileOfACommittedRoundIsFoundOnResumeAndByTheReader() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    Path part = run.resolve("trajectories/round=0/part-000000-000002.parquet");
    byte[] bytes = Files.readAllBytes(part);
    Files.write(part, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    List<String> before = files(run);

    assertThatThrownBy(() -> train(config(run, "run.total-steps=384"), StartMode.RESUME))
        .isInstanceOf(RunFolderException.class)
        .hasMessage("committed round 0 of " + run + " is damaged: trajectories/round=0/part-000000-000002.parquet"
            + " has " + bytes.length / 2 + " bytes, its manifest entry recorded " + bytes.length + " (truncated);"
            + " the file was changed after the round was committed");
    assertThat(files(run)).as("the refused resume wrote nothing").isEqualTo(before);
    assertThatThrownBy(() -> new RunReader(SparkTestSession.get(), run.toString()).trajectories())
        .isInstanceOf(RunFolderException.class)
        .hasMessageContaining("committed round 0 of " + run + " is damaged: "
            + "trajectories/round=0/part-000000-000002.parquet has " + bytes.length / 2 + " bytes");
  }

  @Test
  void aChangedCheckpointOrSnapshotFileIsFoundOnResumeByItsChecksum() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    for (String file : List.of("checkpoints/round=1/actor.zip", "actors/round=1/snapshots.bin")) {
      Path path = run.resolve(file);
      byte[] good = Files.readAllBytes(path);
      byte[] bad = good.clone();
      bad[bad.length / 2] ^= 1; // same size, one bit flipped
      Files.write(path, bad);

      assertThatThrownBy(() -> train(config(run, "run.total-steps=384"), StartMode.RESUME))
          .as(file)
          .isInstanceOf(RunFolderException.class)
          .hasMessageStartingWith("committed round 1 of " + run + " is damaged: " + file + " has CRC32C ");
      Files.write(path, good);
    }
    assertThat(train(config(run, "run.total-steps=384"), StartMode.RESUME).rounds()).hasSize(3);
  }

  /**
   * Every file under {@code dir} with its size and modification time, but the run's lock file
   * (which every start rewrites with its holder).
   */
  static List<String> files(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).filter(p -> !p.equals(dir.resolve("lock"))).sorted().map(p -> {
        try {
          return dir.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList();
    }
  }
}
