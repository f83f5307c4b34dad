package io.sparkac.rollout;

import java.io.Serializable;

/**
 * What one rollout task returns to the driver (its rows went to Parquet): the actors'
 * end-of-round snapshots and the episodes that finished during the round. {@code computeNanos}
 * is the stepping loop (environments, inference, sampling, filling the row buffers);
 * {@code writeNanos} the Parquet write.
 */
public record RolloutResult(ActorRange range, String file, long rows, ActorSnapshot[] snapshots,
    double[] episodeReturns, int[] episodeLengths, boolean[] episodeTerminated, String executorId,
    long computeNanos, long writeNanos) implements Serializable {}
