package io.sparkac.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkac.learner.RewardScaler;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.storage.Storage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
   * a hidden name and renamed into place whole.
   */
  public void write(int round, MultiLayerNetwork actor, MultiLayerNetwork critic, RunState state,
      Normalization normalization) {
    Path target = layout.checkpoint(round);
    Path tmp = new Path(layout.checkpoints(), "_round=" + round + ".tmp");
    storage.delete(tmp);
    storage.mkdirs(tmp);
    writeModel(new Path(tmp, "actor.zip"), actor);
    writeModel(new Path(tmp, "critic.zip"), critic);
    storage.writeAtomically(new Path(tmp, "state.json"), out -> JSON.writeValue(nonClosing(out), state));
    storage.writeAtomically(new Path(tmp, "normalization.json"),
        out -> JSON.writeValue(nonClosing(out), normalization));
    // An uncommitted checkpoint of this round from a run that died may be there: replace it.
    storage.delete(target);
    storage.rename(tmp, target, false);
  }

  private void writeModel(Path path, MultiLayerNetwork net) {
    storage.writeAtomically(path, out -> ModelSerializer.writeModel(net, nonClosing(out), true));
  }

  public MultiLayerNetwork readActor(int round) {
    return readModel(new Path(layout.checkpoint(round), "actor.zip"));
  }

  public MultiLayerNetwork readCritic(int round) {
    return readModel(new Path(layout.checkpoint(round), "critic.zip"));
  }

  private MultiLayerNetwork readModel(Path path) {
    return storage.read(path, in -> ModelSerializer.restoreMultiLayerNetwork(in, true));
  }

  public Normalization readNormalization(int round) {
    return storage.read(new Path(layout.checkpoint(round), "normalization.json"),
        in -> JSON.readValue(in, Normalization.class));
  }

  public RunState readState(int round) {
    return storage.read(new Path(layout.checkpoint(round), "state.json"), in -> JSON.readValue(in, RunState.class));
  }

  /** Writes the actors' end-of-round snapshots, in actor-id order. */
  public void writeSnapshots(int round, ActorSnapshot[] snapshots) {
    storage.writeAtomically(new Path(layout.actorsRound(round), "snapshots.bin"), raw -> {
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
    });
  }

  public ActorSnapshot[] readSnapshots(int round) {
    Path file = new Path(layout.actorsRound(round), "snapshots.bin");
    return storage.read(file, raw -> {
      DataInputStream in = new DataInputStream(raw);
      int format = in.readInt();
      if (format != SNAPSHOT_FORMAT) {
        throw new IOException(file + ": unknown snapshot format " + format);
      }
      ActorSnapshot[] out = new ActorSnapshot[in.readInt()];
      for (int i = 0; i < out.length; i++) {
        int id = in.readInt();
        double[] state = new double[in.readInt()];
        for (int k = 0; k < state.length; k++) {
          state[k] = in.readDouble();
        }
        int elapsed = in.readInt();
        float[] obs = new float[in.readInt()];
        for (int k = 0; k < obs.length; k++) {
          obs[k] = in.readFloat();
        }
        out[i] = new ActorSnapshot(id, state, elapsed, obs, in.readLong(), in.readDouble(), in.readInt());
      }
      return out;
    });
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
