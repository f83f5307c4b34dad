package io.sparkac.rollout;

import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/** Driver side of sampling: submits the rollout and evaluation jobs. Driver only. */
public final class Rollout {
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final Broadcast<SerializableConfiguration> hadoopConf;
  private final List<ActorRange> ranges;

  public Rollout(JavaSparkContext jsc, TrainConfig config) {
    this.jsc = jsc;
    this.config = config;
    this.hadoopConf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    this.ranges = ActorRange.split(config.rollout().actors(), config.rollout().partitions());
  }

  /** Runs one round's rollout; its rows land in {@code roundDir}. Results sorted by actor range. */
  public List<RolloutResult> run(PolicySnapshot policy, String roundDir) {
    Broadcast<PolicySnapshot> b = jsc.broadcast(policy);
    try {
      jsc.setJobDescription("round " + policy.round() + ": rollout");
      List<RolloutResult> results = jsc.parallelize(ranges, ranges.size())
          .mapPartitions(new RolloutTask(config, b, hadoopConf, roundDir))
          .collect();
      return results.stream().sorted(Comparator.comparingInt(r -> r.range().from())).toList();
    } finally {
      jsc.clearJobGroup();
      b.destroy();
    }
  }

  /** Runs {@code episodes} evaluation episodes with the given policy; sorted by episode index. */
  public List<EvalTask.Episode> evaluate(MlpWeights actor, ObservationNormalizer normalizer, int episodes,
      boolean greedy, String description) {
    return evaluate(actor, normalizer, episodes, greedy, description, null);
  }

  /**
   * Runs {@code episodes} evaluation episodes with the given policy and, when {@code output} is
   * not null, writes their steps as a trajectory table to {@code output.dir()} (which the caller
   * empties first). The episodes, sorted by index, are the same with or without output.
   */
  public List<EvalTask.Episode> evaluate(MlpWeights actor, ObservationNormalizer normalizer, int episodes,
      boolean greedy, String description, EvalOutput output) {
    int parts = Math.min(episodes, config.rollout().partitions());
    jsc.setJobDescription(description);
    try {
      return jsc.parallelize(ActorRange.split(episodes, parts), parts)
          .mapPartitions(new EvalTask(config, actor, normalizer, greedy, output, output == null ? null : hadoopConf))
          .collect().stream().sorted(Comparator.comparingInt(EvalTask.Episode::index)).toList();
    } finally {
      jsc.clearJobGroup();
    }
  }
}
