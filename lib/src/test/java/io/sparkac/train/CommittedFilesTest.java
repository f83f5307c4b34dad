package io.sparkac.train;

import static io.sparkac.train.TrainerTest.config;
import static io.sparkac.train.TrainerTest.train;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunFile;
import io.sparkac.run.RunFolderException;
import io.sparkac.run.RunReader;
import io.sparkac.run.StartMode;
import io.sparkac.storage.FileDigest;
import io.sparkac.testing.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files a round commits are recorded in its manifest entry with their sizes and checksums,
 * and checked by the readers; entries written before that still read. (What a resume finds is in
 * RunFolderTest.)
 */
class CommittedFilesTest {
  /** Reads and rewrites manifest entries as JSON trees. */
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void eachCommittedFileIsRecordedWithItsSizeAndChecksumInBothModes() throws IOException {
    for (String mode : new String[] {"sync", "async"}) {
      Path run = tmp.resolve(mode);
      train(config(run, "run.total-steps=128", "parallel.mode=" + mode, "parallel.groups=1"), StartMode.FRESH);

      RoundRecord r = new RunReader(SparkTestSession.get(), run.toString()).records().get(0);

      assertThat(r.files()).extracting(RunFile::path).as(mode).containsExactlyInAnyOrder(
          "trajectories/round=0/part-000000-000002.parquet", "trajectories/round=0/part-000002-000004.parquet",
          "actors/round=0/snapshots.bin", "checkpoints/round=0/actor.zip", "checkpoints/round=0/critic.zip",
          "checkpoints/round=0/state.json", "checkpoints/round=0/normalization.json");
      for (RunFile f : r.files()) {
        byte[] bytes = Files.readAllBytes(run.resolve(f.path()));
        assertThat(f.digest()).as("%s: %s", mode, f.path()).isEqualTo(FileDigest.of(bytes));
      }
    }
  }

  @Test
  void theReaderChecksSizesAlwaysAndChecksumsOnRequest() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    RunReader reader = new RunReader(SparkTestSession.get(), run.toString());
    reader.verify(true);
    Path part = run.resolve("trajectories/round=1/part-000002-000004.parquet");
    byte[] bytes = Files.readAllBytes(part);
    bytes[bytes.length / 2] ^= 1; // same size, one bit flipped: only the checksum tells
    Files.write(part, bytes);

    reader.verify(false);
    assertThatThrownBy(() -> reader.verify(true))
        .isInstanceOf(RunFolderException.class)
        .hasMessageStartingWith("committed round 1 of " + run + " is damaged: "
            + "trajectories/round=1/part-000002-000004.parquet has CRC32C ");
  }

  @Test
  void manifestEntriesWrittenBeforeFilesWereRecordedStillRead() throws IOException {
    Path run = tmp.resolve("run");
    train(config(run, "run.total-steps=256"), StartMode.FRESH);
    for (int r = 0; r < 2; r++) {
      Path entry = run.resolve(String.format("manifest/round-%06d.json", r));
      com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode)
          JSON.readTree(entry.toFile());
      assertThat(json.has("files")).isTrue();
      json.remove("files");
      Files.write(entry, JSON.writeValueAsBytes(json));
      Files.deleteIfExists(entry.resolveSibling("." + entry.getFileName() + ".crc"));
    }

    assertThat(new RunReader(SparkTestSession.get(), run.toString()).records()).extracting(RoundRecord::files)
        .containsOnlyNulls();
    assertThat(new RunReader(SparkTestSession.get(), run.toString()).trajectories().count()).isEqualTo(256);
    assertThat(train(config(run, "run.total-steps=384"), StartMode.RESUME).rounds()).hasSize(3);
  }
}
