package io.sparkac.rollout;

import java.util.List;
import org.apache.spark.FutureAction;
import org.apache.spark.SparkException;
import org.apache.spark.broadcast.Broadcast;

/**
 * A group's rollout job that runs while the driver does other work (asynchronous mode), with the
 * broadcast of the policy it samples with, which lives until the job is done. Driver only.
 */
public final class PendingRollout {
  private final FutureAction<List<RolloutResult>> job;
  private final Broadcast<PolicySnapshot> policy;

  PendingRollout(FutureAction<List<RolloutResult>> job, Broadcast<PolicySnapshot> policy) {
    this.job = job;
    this.policy = policy;
  }

  /**
   * Waits for the job and returns its results sorted by actor range; a failed job throws (the
   * run stops: no update from a partial group).
   */
  public List<RolloutResult> await() throws InterruptedException {
    try {
      return Rollout.sorted(job.get());
    } catch (SparkException e) {
      // FutureAction.get wraps the job's failure ("Exception thrown in awaitResult")
      Throwable failure = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("rollout job failed: " + failure.getMessage(), failure);
    } finally {
      if (job.isCompleted()) {
        policy.destroy();
      }
    }
  }

  /**
   * Blocks until the job has finished, successfully or not; {@link #await()} then reports how.
   * For a thread that only waits for the completion order.
   */
  public void waitUntilDone() throws InterruptedException {
    try {
      job.get();
    } catch (SparkException e) {
      // failed or cancelled: the outcome is reported by await() on the driver's thread
    }
  }

  public boolean isDone() {
    return job.isCompleted();
  }

  /** Asks Spark to cancel the job (its running tasks may still finish). */
  public void cancel() {
    job.cancel();
  }
}
