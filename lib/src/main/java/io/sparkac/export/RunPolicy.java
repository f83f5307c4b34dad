package io.sparkac.export;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.inference.PolicyInfo;
import io.sparkac.inference.TrainedPolicy;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.Environments;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunState;
import io.sparkac.storage.Storage;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * The policy of a committed round of a run folder: the actor and critic of its checkpoint, its
 * observation statistics, and the description ({@link PolicyInfo}) that an export writes as
 * {@code policy.json}. Read through the run package, as the evaluate job reads it: only committed
 * rounds, and the checkpoint's files checked against the sizes and checksums the round committed.
 */
public final class RunPolicy {
  private RunPolicy() {}

  /** Round {@code round} of the run in {@code runDir} (any Hadoop URI); null: its last committed round. */
  public static TrainedPolicy read(String runDir, Integer round) {
    return read(runDir, round, new Configuration());
  }

  public static TrainedPolicy read(String runDir, Integer round, Configuration conf) {
    Storage storage = new Storage(conf);
    RunLayout layout = RunLayout.of(runDir);
    Manifest manifest = new Manifest(storage, layout);
    int r = manifest.committedRound(round, "round");
    RoundRecord record = manifest.read(r);
    manifest.verify(List.of(record), "checkpoints/", true);
    Checkpoints checkpoints = new Checkpoints(storage, layout);
    RunState state = checkpoints.readState(r);
    TrainConfig config = state.configIn(runDir, List.of());
    MlpWeights actor = MlpWeights.of(checkpoints.readActor(r), config.network().activation());
    MlpWeights critic = MlpWeights.of(checkpoints.readCritic(r), config.network().activation());
    ObservationNormalizer normalizer = checkpoints.readNormalization(r).observations();
    Environment env = Environments.create(config.env());
    PolicyInfo info = info(runDir, config, state, record, env, normalizer, actor, critic);
    return TrainedPolicy.of(info, actor, critic);
  }

  static PolicyInfo info(String runDir, TrainConfig config, RunState state, RoundRecord record, Environment env,
      ObservationNormalizer normalizer, MlpWeights actor, MlpWeights critic) {
    Space.Box obs = box(env.observationSpace(), "observation");
    PolicyInfo.Action action;
    if (env.actionSpace() instanceof Space.Discrete d) {
      action = new PolicyInfo.Action(PolicyInfo.Action.DISCRETE, d.n(), 1, null, null);
    } else {
      Space.Box b = box(env.actionSpace(), "action");
      action = new PolicyInfo.Action(PolicyInfo.Action.BOX, 0, b.dims(), PolicyInfo.bounds(b.low()),
          PolicyInfo.bounds(b.high()));
    }
    PolicyInfo.Normalization norm = normalizer == null ? null
        : new PolicyInfo.Normalization(normalizer.mean(), normalizer.var(), ObservationNormalizer.EPSILON,
            normalizer.clip());
    Double evalMean = record.evaluated() ? record.eval().evalReturnMean() : null;
    PolicyInfo.Source source = new PolicyInfo.Source(runDir, config.run().id(), state.round(), config.run().seed(),
        state.policyVersion(), state.envSteps(), evalMean, config.eval().episodes(), state.config());
    PolicyInfo.Network network = new PolicyInfo.Network(actor.sizes(), critic == null ? null : critic.sizes(),
        actor.hidden().name().toLowerCase(java.util.Locale.ROOT));
    String cls = config.env().className().isBlank() ? null : config.env().className();
    return new PolicyInfo(PolicyInfo.FORMAT, new PolicyInfo.Env(env.id(), cls, env.maxEpisodeSteps()),
        new PolicyInfo.Observation(obs.dims(), PolicyInfo.bounds(obs.low()), PolicyInfo.bounds(obs.high())),
        action, source, norm, network, OnnxExport.describe(action, obs.dims(), critic != null));
  }

  private static Space.Box box(Space s, String what) {
    if (s instanceof Space.Box b) {
      return b;
    }
    throw new IllegalArgumentException("the " + what + " space " + s + " is not a Box; an export needs a Box of floats");
  }
}
