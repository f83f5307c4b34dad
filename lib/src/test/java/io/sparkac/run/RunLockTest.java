package io.sparkac.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.storage.Storage;
import io.sparkac.testing.ChildJvm;
import io.sparkac.testing.SmallRuns;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per run folder: a second one is refused with the holder named; a killed holder leaves no stuck lock. */
class RunLockTest {
  @TempDir
  Path tmp;
  final Storage storage = new Storage(new Configuration());

  @Test
  void aSecondWriterIsRefusedWithTheHolderNamedAndAKilledHolderLeavesNoStuckLock() throws Exception {
    Path run = tmp.resolve("run");
    RunLayout layout = RunLayout.of(run.toString());
    Path log = tmp.resolve("holder.log");
    Process holder = new ProcessBuilder(ChildJvm.command(HoldRunLock.class.getName(), List.of(),
        List.of(run.toString()))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.currentTimeMillis() + 60_000;
      while (!Files.readString(log).contains("locked")) {
        assertThat(holder.isAlive()).as("the holder runs; its output:%n%s", Files.readString(log)).isTrue();
        assertThat(System.currentTimeMillis()).as("the holder locks within 60 s").isLessThan(deadline);
        Thread.sleep(20);
      }
      String named = "host=" + RunLock.Holder.hostName() + " pid=" + holder.pid() + " started=";

      assertThatThrownBy(() -> RunLock.acquire(storage, layout))
          .isInstanceOf(RunFolderException.class)
          .hasMessageStartingWith("run folder " + run + " is being written by another process (" + named)
          .hasMessageEndingWith("); one run folder takes one train process at a time");
      assertThatThrownBy(() -> new Trainer(SparkTestSession.get(), SmallRuns.config(run), StartMode.OVERWRITE).run())
          .isInstanceOf(RunFolderException.class)
          .hasMessageContaining("is being written by another process (" + named);
      assertThat(run.resolve("manifest")).doesNotExist();
    } finally {
      holder.destroyForcibly(); // SIGKILL: the kernel releases its lock
      holder.waitFor();
    }

    try (RunLock lock = RunLock.acquire(storage, layout)) {
      assertThat(run.resolve(RunLock.FILE)).content()
          .startsWith("host=" + RunLock.Holder.hostName() + " pid=" + ProcessHandle.current().pid() + " ");
    }
  }

  @Test
  void aSecondRunInThisProcessIsRefusedAndALockIsReleasedAtItsEnd() {
    RunLayout layout = RunLayout.of(tmp.resolve("run").toString());
    try (RunLock first = RunLock.acquire(storage, layout)) {
      assertThatThrownBy(() -> RunLock.acquire(storage, layout))
          .isInstanceOf(RunFolderException.class)
          .hasMessageContaining("is being written by another run in this process (host=");
      assertThatThrownBy(() -> RunLock.checkFree(storage, layout)).isInstanceOf(RunFolderException.class);
    }
    RunLock.checkFree(storage, layout);
    RunLock.acquire(storage, layout).close();
  }

  @Test
  void checkingTheLockOfAFolderThatDoesNotExistCreatesNothing() {
    RunLock.checkFree(storage, RunLayout.of(tmp.resolve("none").toString()));
    assertThat(tmp.resolve("none")).doesNotExist();
  }

  /** File systems without OS locks: the lock is a file; one left by a dead process of this host is stale. */
  @Test
  void aLockFileIsReplacedWhenItsProcessOnThisHostIsGoneAndNamedOtherwise() throws Exception {
    RunLayout layout = RunLayout.of(tmp.resolve("run").toString());
    org.apache.hadoop.fs.Path path = RunLock.lockFile(layout);
    FileSystem fs = storage.fs(path);
    Path file = tmp.resolve("run").resolve(RunLock.FILE);

    RunLock first = RunLock.acquireFile(layout, path, fs);
    assertThatThrownBy(() -> RunLock.acquireFile(layout, path, fs))
        .hasMessageContaining("is being written by another run in this process (host=");
    first.close();
    assertThat(file).doesNotExist();

    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Files.writeString(file, "host=" + RunLock.Holder.hostName() + " pid=" + gone.pid() + " started=?\n");
    try (RunLock lock = RunLock.acquireFile(layout, path, fs)) {
      assertThat(file).content().contains("pid=" + ProcessHandle.current().pid());
    }

    Files.writeString(file, "host=elsewhere.example pid=42 started=2026-01-01T00:00:00Z\n");
    assertThatThrownBy(() -> RunLock.acquireFile(layout, path, fs))
        .isInstanceOf(RunFolderException.class)
        .hasMessage("run folder " + layout.root() + " is being written by another process (host=elsewhere.example"
            + " pid=42 started=2026-01-01T00:00:00Z); if that process is no longer running, delete " + path
            + "; one run folder takes one train process at a time");
  }
}
