package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.storage.FileDigest;
import io.sparkac.trajectory.RowBatch;
import java.io.Serializable;

/**
 * What one rollout task returns to the driver (its rows went to Parquet): the actors'
 * end-of-round snapshots and the episodes that finished during the round, and, when the driver
 * asked for them, the rows it wrote, packed ({@code chunk}; null otherwise), so that the
 * driver's learner needs no second job to read the round back. {@code computeNanos} is the
 * stepping loop (environments, inference, sampling, filling the row buffers); {@code writeNanos}
 * the Parquet write; {@code fileDigest} the size and CRC32C of the Parquet file it wrote.
 */
public record RolloutResult(ActorRange range, String file, long rows, ActorSnapshot[] snapshots,
    double[] episodeReturns, int[] episodeLengths, boolean[] episodeTerminated, String executorId,
    long computeNanos, long writeNanos, RowBatch chunk, FileDigest fileDigest) implements Serializable {}
