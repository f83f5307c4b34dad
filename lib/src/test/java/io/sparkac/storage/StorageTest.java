package io.sparkac.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing files: atomically beside their target, or in place inside a hidden folder renamed whole. */
class StorageTest {
  @TempDir
  Path tmp;

  final Storage storage = new Storage(new Configuration());

  org.apache.hadoop.fs.Path path(String relative) {
    return new org.apache.hadoop.fs.Path(tmp.resolve(relative).toUri());
  }

  @Test
  void aFileInAHiddenFolderIsWrittenInPlaceWithItsDigest() throws Exception {
    byte[] bytes = "weights".getBytes(StandardCharsets.UTF_8);
    storage.mkdirs(path("_round=3.tmp"));

    FileDigest digest = storage.writeInHiddenFolder(path("_round=3.tmp/actor.zip"), out -> out.write(bytes));

    assertThat(digest).isEqualTo(FileDigest.of(bytes));
    assertThat(Files.readAllBytes(tmp.resolve("_round=3.tmp/actor.zip"))).isEqualTo(bytes);
    // no temporary name of its own: the folder's rename is what makes it visible
    try (var files = Files.list(tmp.resolve("_round=3.tmp"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith("."))).containsExactly(
          "actor.zip");
    }
  }

  @Test
  void aFileOutsideAHiddenFolderIsRefused() {
    storage.mkdirs(path("round=3"));
    assertThatThrownBy(() -> storage.writeInHiddenFolder(path("round=3/actor.zip"), out -> out.write(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("round=3/actor.zip")
        .hasMessageContaining("hidden temporary folder");
    assertThat(tmp.resolve("round=3/actor.zip")).doesNotExist();
  }

  @Test
  void anAtomicWriteLeavesOnlyTheTargetWithItsDigest() throws Exception {
    byte[] bytes = "state".getBytes(StandardCharsets.UTF_8);
    FileDigest digest = storage.writeAtomically(path("run/state.json"), out -> out.write(bytes));

    assertThat(digest).isEqualTo(FileDigest.of(bytes));
    try (var files = Files.list(tmp.resolve("run"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith("."))).containsExactly(
          "state.json");
    }
  }
}
