package io.sparkac.train;

import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.RolloutResult;
import java.util.List;

/**
 * Where an update's samples come from: the one thing the parallel modes do differently.
 * Synchronized ({@link SyncSampling}): every update rolls out all actors with the newest policy
 * and waits for them. Asynchronous ({@link AsyncSampling}): groups of actors sample concurrently,
 * and each update learns from whichever group finishes next. Either way the update's rows are in
 * {@code trajectories/round=u/} when {@link #next} returns. Driver only.
 */
interface Sampling extends AutoCloseable {

  /** The weights and observation statistics of one policy version. */
  record Policy(MlpWeights actor, MlpWeights critic, ObservationNormalizer normalizer) {}

  /**
   * What update u learns from: the rollout tasks' results (sorted by actor range), the group of
   * actors that sampled them (-1: all actors) and the policy version they were sampled with.
   */
  record Sample(List<RolloutResult> parts, int group, int version) {
    long computeNanos() {
      return parts.stream().mapToLong(RolloutResult::computeNanos).max().orElse(0);
    }

    long writeNanos() {
      return parts.stream().mapToLong(RolloutResult::writeNanos).max().orElse(0);
    }
  }

  /** The actors' snapshots a new run starts from (null entries: the rollout tasks reset them). */
  ActorSnapshot[] initialActors();

  /**
   * Samples for update u: with {@code newest}, the policy the update starts from, and the actors'
   * snapshots as the previous update left them. Blocks until the samples are there.
   */
  Sample next(int u, Policy newest, ActorSnapshot[] actors) throws InterruptedException;

  /**
   * Update u has learned from {@code used}: the sampling it frees may go on with {@code newest},
   * the policy after the update, while the run still needs steps beyond {@code envSteps}.
   */
  void updated(int u, Sample used, Policy newest, ActorSnapshot[] actors, long envSteps);

  /** The run is over: waits for what is still sampling and discards it. */
  void finish() throws InterruptedException;

  /** The run failed: cancels what is still sampling. */
  void abort();

  @Override
  void close();
}
