package io.sparkac.rollout;

import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.broadcast.Broadcast;

/**
 * A group's rollout job that runs while the driver does other work (asynchronous mode), with the
 * broadcast of the policy it samples with, which lives until the job is done. Driver only.
 */
public final class PendingRollout {
  private final JavaFutureAction<List<RolloutResult>> job;
  private final Broadcast<PolicySnapshot> policy;

  PendingRollout(JavaFutureAction<List<RolloutResult>> job, Broadcast<PolicySnapshot> policy) {
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
    } catch (ExecutionException e) {
      throw new IllegalStateException("rollout job failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      if (job.isDone()) {
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
    } catch (ExecutionException | java.util.concurrent.CancellationException e) {
      // the outcome is reported by await() on the driver's thread
    }
  }

  public boolean isDone() {
    return job.isDone();
  }

  /** Asks Spark to cancel the job (its running tasks may still finish). */
  public void cancel() {
    job.cancel(true);
  }
}
