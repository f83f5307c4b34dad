package io.sparkac.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.Networks;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * What {@link Checkpoints} does with files in a run folder that it did not write: a checkpoint
 * zip that carries a Java-serialized object, and a snapshot file whose lengths are out of
 * bounds. A run folder may come from anyone (a shared file system, a downloaded run); resume,
 * evaluate and the analysis open these files.
 */
class CheckpointFilesTest {
  @TempDir
  Path tmp;
  private RunLayout layout;
  private Checkpoints checkpoints;

  /** Set by {@link Gadget#readObject}: Java deserialization ran on a checkpoint's bytes. */
  static final AtomicBoolean DESERIALIZED = new AtomicBoolean();

  /**
   * A stand-in for a deserialization gadget: its readObject runs code. It is a preprocessor, so
   * DL4J's ModelSerializer loads the checkpoint without a complaint after running it.
   */
  static final class Gadget implements DataSetPreProcessor {
    private static final long serialVersionUID = 1L;

    @Override
    public void preProcess(DataSet dataSet) {}

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      DESERIALIZED.set(true);
    }
  }

  @BeforeEach
  void setUp() {
    layout = RunLayout.of(tmp.toUri().toString());
    checkpoints = new Checkpoints(new Storage(new Configuration()), layout);
    DESERIALIZED.set(false);
  }

  @Test
  void aCheckpointWithAJavaSerializedPreprocessorIsRefusedWithoutDeserializingIt() throws IOException {
    Path zip = writeActorZip(0, out -> entry(out, "preprocessor.bin", javaSerialized(new Gadget())));

    Throwable thrown = catchThrowable(() -> checkpoints.readActor(0));

    assertThat(DESERIALIZED).as("the gadget's readObject ran").isFalse();
    assertThat(thrown).isNotNull()
        .hasStackTraceContaining(zip.toString())
        .hasStackTraceContaining("preprocessor.bin");
  }

  @Test
  void aCheckpointWithAnEntryThisProjectNeverWritesIsRefused() throws IOException {
    writeActorZip(0, out -> entry(out, "normalizer.bin", new byte[] {1, 2, 3}));

    assertThatThrownBy(() -> checkpoints.readActor(0))
        .hasStackTraceContaining("actor.zip")
        .hasStackTraceContaining("normalizer.bin");
  }

  @Test
  void snapshotsRoundTrip() {
    ActorSnapshot[] written = {
        new ActorSnapshot(0, new double[] {1, 2, 3, 4}, 17, new float[] {1, 2, 3, 4}, 5, 17.0, 17),
        new ActorSnapshot(1, new double[0], 0, new float[] {0.5f}, 0, 0, 0)};
    checkpoints.writeSnapshots(3, written);

    ActorSnapshot[] read = checkpoints.readSnapshots(3);

    assertThat(read).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(read[i].actorId()).isEqualTo(written[i].actorId());
      assertThat(read[i].envState()).containsExactly(written[i].envState());
      assertThat(read[i].obs()).containsExactly(written[i].obs());
      assertThat(read[i].elapsedSteps()).isEqualTo(written[i].elapsedSteps());
      assertThat(read[i].episodeIndex()).isEqualTo(written[i].episodeIndex());
      assertThat(read[i].episodeReturn()).isEqualTo(written[i].episodeReturn());
      assertThat(read[i].episodeLength()).isEqualTo(written[i].episodeLength());
    }
  }

  @Test
  void snapshotLengthsBeyondTheFileAreRefusedBeforeAllocating() throws IOException {
    int huge = Integer.MAX_VALUE;
    // format, actors, then one actor: id, state length, state, elapsed, obs length, obs, episode...
    assertRefused(snapshots(1, huge), "number of actors", "2147483647");
    assertRefused(snapshots(1, 1, 0, huge), "state length", "2147483647");
    assertRefused(snapshots(1, 1, 0, -1), "state length", "-1");
    assertRefused(snapshots(1, 1, 0, 0, 0, huge), "observation length", "2147483647");
    assertRefused(snapshots(1, -3), "number of actors", "-3");
  }

  @Test
  void aSnapshotFileWithBytesAfterItsLastActorIsRefused() throws IOException {
    checkpoints.writeSnapshots(0, new ActorSnapshot[] {new ActorSnapshot(0, new double[] {1}, 0, new float[] {1}, 0, 0, 0)});
    Path file = snapshotFile(0);
    Files.write(file, new byte[] {0, 0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
    Files.deleteIfExists(file.resolveSibling(".snapshots.bin.crc")); // Hadoop's checksum of the local file

    assertThatThrownBy(() -> checkpoints.readSnapshots(0))
        .hasStackTraceContaining("snapshots.bin")
        .hasStackTraceContaining("4 bytes after");
  }

  private void assertRefused(byte[] bytes, String field, String value) throws IOException {
    Path file = snapshotFile(0);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    assertThatThrownBy(() -> checkpoints.readSnapshots(0))
        .isInstanceOf(UncheckedIOException.class)
        .hasStackTraceContaining(file.getFileName().toString())
        .hasStackTraceContaining(field)
        .hasStackTraceContaining(value);
  }

  private Path snapshotFile(int round) {
    return Path.of(new org.apache.hadoop.fs.Path(layout.actorsRound(round), "snapshots.bin").toUri());
  }

  /**
   * A snapshot file of these ints (format first), then 64 zero bytes: enough for one actor's
   * fixed fields, so that the length under test is the first that does not fit.
   */
  private static byte[] snapshots(int... ints) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    for (int v : ints) {
      out.writeInt(v);
    }
    out.write(new byte[64]);
    return bytes.toByteArray();
  }

  /** round=N/actor.zip as DL4J writes it, then whatever {@code extra} appends. */
  private Path writeActorZip(int round, Consumer<ZipOutputStream> extra) throws IOException {
    TrainConfig config = ConfigLoader.parse("", List.of());
    MultiLayerNetwork actor = Networks.actor(4, 2, config);
    ByteArrayOutputStream dl4j = new ByteArrayOutputStream();
    ModelSerializer.writeModel(actor, dl4j, true);
    Path zip = Path.of(new org.apache.hadoop.fs.Path(layout.checkpoint(round), "actor.zip").toUri());
    Files.createDirectories(zip.getParent());
    try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file)) {
      try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(dl4j.toByteArray()))) {
        for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          entry(out, e.getName(), in.readAllBytes());
        }
      }
      extra.accept(out);
    }
    return zip;
  }

  private static void entry(ZipOutputStream out, String name, byte[] bytes) {
    try {
      out.putNextEntry(new ZipEntry(name));
      out.write(bytes);
      out.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] javaSerialized(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
