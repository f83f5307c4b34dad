package io.sparkac.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkac.learner.RewardScaler;
import io.sparkac.nn.NetworkZip;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.storage.FileDigest;
import io.sparkac.storage.Storage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Checkpoints, actor snapshots and manifest entries, all through the Hadoop FileSystem API and
 * all written atomically (temporary name, then rename). Driver only.
 */
public final class Checkpoints {
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final int SNAPSHOT_FORMAT = 1;
  static final String ACTOR = "actor.zip";
  static final String CRITIC = "critic.zip";
  static final String STATE = "state.json";
  static final String NORMALIZATION = "normalization.json";
  static final String SNAPSHOTS = "snapshots.bin";

  private final Storage storage;
  private final RunLayout layout;

  public Checkpoints(Storage storage, RunLayout layout) {
    this.storage = storage;
    this.layout = layout;
  }

  /** The normalisation statistics of a checkpoint; either part null when disabled. */
  public record Normalization(ObservationNormalizer observations, RewardScaler rewards) {}

  /**
   * Writes both networks (with their updater state, so Adam's moments and step count survive),
   * the run state and the normalisation statistics into {@code checkpoints/round=N/}, built under
   * a hidden name and renamed into place whole (its files are written in place in that folder:
   * the folder's rename is the one that makes them visible). Returns the files written, with their sizes and
   * checksums, for the round's manifest entry.
   */
  public List<RunFile> write(int round, MultiLayerNetwork actor, MultiLayerNetwork critic, RunState state,
      Normalization normalization) {
    Path target = layout.checkpoint(round);
    Path tmp = new Path(layout.checkpoints(), "_round=" + round + ".tmp");
    storage.delete(tmp);
    storage.mkdirs(tmp);
    List<RunFile> files = new ArrayList<>(CHECKPOINT_FILES.size());
    files.add(file(round, ACTOR, writeModel(new Path(tmp, ACTOR), actor)));
    files.add(file(round, CRITIC, writeModel(new Path(tmp, CRITIC), critic)));
    files.add(file(round, STATE, storage.writeInHiddenFolder(new Path(tmp, STATE),
        out -> JSON.writeValue(nonClosing(out), state))));
    files.add(file(round, NORMALIZATION, storage.writeInHiddenFolder(new Path(tmp, NORMALIZATION),
        out -> JSON.writeValue(nonClosing(out), normalization))));
    // An uncommitted checkpoint of this round from a run that died may be there: replace it.
    storage.delete(target);
    storage.rename(tmp, target, false);
    return files;
  }

  private RunFile file(int round, String name, FileDigest digest) {
    return RunFile.of(layout.relative(new Path(layout.checkpoint(round), name)), digest);
  }

  private FileDigest writeModel(Path path, MultiLayerNetwork net) {
    return storage.writeInHiddenFolder(path, out -> ModelSerializer.writeModel(net, nonClosing(out), true));
  }

  /** The files of a checkpoint, in {@code checkpoints/round=N/}. */
  static final List<String> CHECKPOINT_FILES = List.of(Checkpoints.ACTOR, Checkpoints.CRITIC, Checkpoints.STATE,
      Checkpoints.NORMALIZATION);

  public MultiLayerNetwork readActor(int round) {
    return readModel(new Path(layout.checkpoint(round), ACTOR));
  }

  public MultiLayerNetwork readCritic(int round) {
    return readModel(new Path(layout.checkpoint(round), CRITIC));
  }

  /**
   * Not ModelSerializer's reader: it Java-deserializes an entry that a crafted zip may carry, and
   * a run folder may come from anyone; {@link NetworkZip} says what it accepts.
   */
  private MultiLayerNetwork readModel(Path path) {
    return storage.read(path, in -> NetworkZip.read(in, path.toString()));
  }

  public Normalization readNormalization(int round) {
    return storage.read(new Path(layout.checkpoint(round), NORMALIZATION),
        in -> JSON.readValue(in, Normalization.class));
  }

  public RunState readState(int round) {
    return storage.read(new Path(layout.checkpoint(round), STATE), in -> JSON.readValue(in, RunState.class));
  }

  /** Writes the actors' end-of-round snapshots, in actor-id order; returns the file written. */
  public RunFile writeSnapshots(int round, ActorSnapshot[] snapshots) {
    Path file = new Path(layout.actorsRound(round), SNAPSHOTS);
    return RunFile.of(layout.relative(file), storage.writeAtomically(file, raw -> {
      DataOutputStream out = new DataOutputStream(raw);
      out.writeInt(SNAPSHOT_FORMAT);
      out.writeInt(snapshots.length);
      for (ActorSnapshot s : snapshots) {
        out.writeInt(s.actorId());
        out.writeInt(s.envState().length);
        for (double v : s.envState()) {
          out.writeDouble(v);
        }
        out.writeInt(s.elapsedSteps());
        out.writeInt(s.obs().length);
        for (float v : s.obs()) {
          out.writeFloat(v);
        }
        out.writeLong(s.episodeIndex());
        out.writeDouble(s.episodeReturn());
        out.writeInt(s.episodeLength());
      }
      out.flush();
    }));
  }

  /**
   * Reads what {@link #writeSnapshots} wrote. Every count and length is checked against the bytes
   * the file has left before anything is allocated: the file may be damaged or crafted, and a
   * length of 2^31-1 must be an error that names the file and the field, not an OutOfMemoryError.
   */
  public ActorSnapshot[] readSnapshots(int round) {
    Path file = new Path(layout.actorsRound(round), SNAPSHOTS);
    long size;
    try {
      size = storage.fs(file).getFileStatus(file).getLen();
    } catch (IOException e) {
      throw unchecked("cannot read " + file, e);
    }
    return storage.read(file, raw -> {
      SnapshotInput in = new SnapshotInput(new DataInputStream(raw), size, file);
      int format = in.readInt();
      if (format != SNAPSHOT_FORMAT) {
        throw new IOException(file + ": unknown snapshot format " + format);
      }
      ActorSnapshot[] out = new ActorSnapshot[in.count("number of actors", -1, SNAPSHOT_MIN_BYTES)];
      for (int i = 0; i < out.length; i++) {
        int id = in.readInt();
        double[] state = new double[in.count("state length", i, Double.BYTES)];
        for (int k = 0; k < state.length; k++) {
          state[k] = in.readDouble();
        }
        int elapsed = in.readInt();
        float[] obs = new float[in.count("observation length", i, Float.BYTES)];
        for (int k = 0; k < obs.length; k++) {
          obs[k] = in.readFloat();
        }
        out[i] = new ActorSnapshot(id, state, elapsed, obs, in.readLong(), in.readDouble(), in.readInt());
      }
      if (in.remaining() != 0) {
        throw new IOException(file + ": " + in.remaining() + " bytes after the last of " + out.length + " actors");
      }
      return out;
    });
  }

  /** The fewest bytes an actor takes in snapshots.bin: id, two lengths, elapsed, episode fields. */
  private static final int SNAPSHOT_MIN_BYTES = 4 + 4 + 4 + 4 + 8 + 8 + 4;

  /** snapshots.bin's reader that knows how many bytes the file has left. */
  private static final class SnapshotInput {
    private final DataInputStream in;
    private final Path file;
    private long remaining;

    SnapshotInput(DataInputStream in, long size, Path file) {
      this.in = in;
      this.remaining = size;
      this.file = file;
    }

    long remaining() {
      return remaining;
    }

    /** A count of items of at least {@code itemBytes} each, refused unless the file holds that many. */
    int count(String field, int actor, int itemBytes) throws IOException {
      int n = readInt();
      if (n < 0 || (long) n * itemBytes > remaining) {
        throw new IOException(file + ": " + field + (actor < 0 ? "" : " of actor #" + actor) + " is " + n
            + "; it must be between 0 and " + remaining / itemBytes + " (" + itemBytes + " bytes each, "
            + remaining + " bytes left in the file)");
      }
      return n;
    }

    int readInt() throws IOException {
      take(4);
      return in.readInt();
    }

    long readLong() throws IOException {
      take(8);
      return in.readLong();
    }

    float readFloat() throws IOException {
      take(4);
      return in.readFloat();
    }

    double readDouble() throws IOException {
      take(8);
      return in.readDouble();
    }

    private void take(int bytes) throws IOException {
      if (remaining < bytes) {
        throw new IOException(file + ": ends early");
      }
      remaining -= bytes;
    }
  }

  private static java.io.OutputStream nonClosing(java.io.OutputStream out) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

  static UncheckedIOException unchecked(String what, IOException e) {
    return new UncheckedIOException(what, e);
  }
}
