package io.sparkac.analysis;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.nn.MlpWeights;
import io.sparkac.rollout.Environments;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import java.util.List;

/**
 * The policy of a committed round's checkpoint: its actor and its observation statistics, the
 * pair the train job sampled the next round with and evaluated the round with.
 *
 * @param runDir the run folder
 * @param round a committed round, or null for the last one
 */
public record CheckpointPolicy(String runDir, Integer round) implements PolicySource {

  /** The environment of a run's configuration: its id, or its class for a custom one. */
  static String envName(TrainConfig config) {
    return config.env().name();
  }

  @Override
  public TargetPolicy load(Storage storage) {
    RunLayout layout = RunLayout.of(runDir);
    Manifest manifest = new Manifest(storage, layout);
    int r = manifest.committedRound(round, "--policy-round");
    // The checkpoint's files as the round committed them (a changed file is named, with its round).
    manifest.verify(List.of(manifest.read(r)), "checkpoints/", true);
    Checkpoints checkpoints = new Checkpoints(storage, layout);
    TrainConfig config = checkpoints.readState(r).configIn(runDir, List.of());
    Environment probe = Environments.create(config.env());
    int dims = probe.actionSpace() instanceof Space.Box b ? b.dims() : 0;
    MlpWeights actor = MlpWeights.of(checkpoints.readActor(r), config.network().activation());
    return new TargetPolicy("checkpoint round " + r + " of " + runDir, actor,
        checkpoints.readNormalization(r).observations(), dims, envName(config));
  }
}
