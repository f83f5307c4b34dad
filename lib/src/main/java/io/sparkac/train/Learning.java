package io.sparkac.train;

import io.sparkac.config.TrainConfig;
import io.sparkac.learner.Learner;
import io.sparkac.learner.LearnerStats;
import io.sparkac.learner.OffPolicyCorrection;
import io.sparkac.learner.SparkLearner;
import io.sparkac.learner.StreamingLearner;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.trajectory.RowBatch;
import org.apache.spark.sql.SparkSession;

/**
 * How an update learns from its samples: compute V(s), V(s'), targets and advantages, fit the
 * critic, then the actor. Three ways, chosen once per run ({@link #of}):
 * <ul>
 *   <li>collected: the rows the rollout tasks returned, merged on the driver ({@code learner.mode =
 *       driver}, a round of at most {@code learner.driver-max-samples}; always in async mode);
 *   <li>streamed: targets on the executors from the round's Parquet, fits on the driver block by
 *       block (a larger round: never collected);
 *   <li>executors: everything on the executors ({@code learner.mode = spark}, dl4j-spark).
 * </ul>
 * Driver only.
 */
interface Learning {

  /**
   * The update's statistics, the observation statistics with the samples merged in (unchanged
   * when observations are not normalised), the off-policy correction's ratios (null: no
   * correction) and the time spent gathering the rows on the driver.
   */
  record Learned(LearnerStats stats, ObservationNormalizer normalizer, OffPolicyCorrection.Stats rho,
      long readNanos) {}

  /** Learns update u from {@code sample}, whose rows are in {@code roundDir}, sampled with {@code normalizer}. */
  Learned learn(Sampling.Sample sample, int u, String roundDir, ObservationNormalizer normalizer);

  /** Whether the rollout tasks must return their rows. */
  default boolean collects() {
    return false;
  }

  /** The most samples of a round the driver has held at once so far (executors: 0). */
  default long maxSamplesOnDriver() {
    return 0;
  }

  static Learning of(SparkSession spark, TrainConfig config, Learner learner) {
    if (config.learner().mode() == TrainConfig.LearnerMode.SPARK) {
      return new OnExecutors(new SparkLearner(spark, config, learner.actor(), learner.critic()));
    }
    if (config.streamsRounds()) {
      return new Streamed(new StreamingLearner(spark, config, learner));
    }
    return new Collected(learner, config.parallel().async() ? OffPolicyCorrection.of(config.parallel()) : null);
  }

  /** The rows the rollout tasks returned, merged in (actor_id, episode_id, t) order on the driver. */
  final class Collected implements Learning {
    private final Learner learner;
    private final OffPolicyCorrection correction;
    private long maxSamples;

    Collected(Learner learner, OffPolicyCorrection correction) {
      this.learner = learner;
      this.correction = correction;
    }

    @Override
    public Learned learn(Sampling.Sample sample, int u, String roundDir, ObservationNormalizer normalizer) {
      long t0 = System.nanoTime();
      RowBatch data = RowBatch.merge(sample.parts().stream().map(RolloutResult::chunk).toList());
      long read = System.nanoTime() - t0;
      maxSamples = Math.max(maxSamples, data.rows());
      LearnerStats stats = learner.update(data, u, normalizer, correction);
      // The next samples are drawn with statistics that include these observations.
      ObservationNormalizer next = normalizer == null ? null : normalizer.update(data.obs(), data.rows());
      return new Learned(stats, next, correction == null ? null : correction.lastStats(), read);
    }

    @Override
    public boolean collects() {
      return true;
    }

    @Override
    public long maxSamplesOnDriver() {
      return maxSamples;
    }
  }

  /** A round larger than {@code learner.driver-max-samples}: streamed from its Parquet, never collected. */
  record Streamed(StreamingLearner streaming) implements Learning {
    @Override
    public Learned learn(Sampling.Sample sample, int u, String roundDir, ObservationNormalizer normalizer) {
      StreamingLearner.Update update = streaming.update(roundDir, u, normalizer);
      return new Learned(update.stats(), update.normalizer(), null, 0);
    }

    @Override
    public long maxSamplesOnDriver() {
      return streaming.maxSamplesHeld();
    }
  }

  /** {@code learner.mode = spark}: targets and fits on the executors (observations are not normalised). */
  record OnExecutors(SparkLearner learner) implements Learning {
    @Override
    public Learned learn(Sampling.Sample sample, int u, String roundDir, ObservationNormalizer normalizer) {
      return new Learned(learner.update(roundDir, u), normalizer, null, 0);
    }
  }
}
