package io.sparkac.jobs;

import io.sparkac.storage.Storage;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** A run folder as the library reads it (manifest, checkpoints), from the test's JVM. */
final class RunFiles {
  final Path dir;
  final Manifest manifest;
  final Checkpoints checkpoints;

  RunFiles(Path dir) {
    this.dir = dir;
    Storage storage = new Storage(new Configuration());
    RunLayout layout = RunLayout.of(dir.toString());
    this.manifest = new Manifest(storage, layout);
    this.checkpoints = new Checkpoints(storage, layout);
  }

  /**
   * The bits of round {@code round}'s checkpoint: actor and critic parameters and the optimizer
   * state of each (Adam's moments), as loaded by the library, and the normalization statistics
   * (as saved: Jackson writes the shortest decimal that reads back to the same double).
   */
  List<Object> checkpointBits(int round) throws IOException {
    MultiLayerNetwork actor = checkpoints.readActor(round);
    MultiLayerNetwork critic = checkpoints.readCritic(round);
    checkpoints.readNormalization(round); // loads
    return List.of(actor.params().dup().data().asFloat(), critic.params().dup().data().asFloat(),
        actor.getUpdater().getStateViewArray().dup().data().asFloat(),
        critic.getUpdater().getStateViewArray().dup().data().asFloat(),
        Files.readAllBytes(dir.resolve("checkpoints/round=" + round + "/normalization.json")));
  }

  /** What a round learned and measured, without its timings (which differ between runs). */
  static List<Object> learned(RoundRecord r) {
    return List.of(r.round(), r.policyVersion(), r.totals().envSteps(), r.totals().episodes(), r.episodes().episodesInRound(),
        r.episodes().episodeReturnMean(), r.episodes().episodeReturnMin(), r.episodes().episodeReturnMax(), r.episodes().episodeLengthMean(), r.losses().valueLoss(),
        r.losses().policyLoss(), r.losses().entropy(), r.losses().explainedVariance(), r.losses().criticGradNorm(), r.losses().actorGradNorm(),
        r.eval().evalReturnMean(), r.eval().evalReturnStd(), r.eval().evalLengthMean());
  }
}
