package io.sparkac.train;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The rounds' durable writes (actor snapshots, checkpoint, then the manifest commit and
 * {@code metrics.csv}) on one driver thread, in the order they were submitted, so that round r's
 * checkpoint and commit run while round r+1 rolls out. The trainer waits for round r's commit
 * before round r+1's learner changes the networks that the checkpoint writes, so at most one
 * round's writes trail the loop, and a crash at any moment leaves the last committed round and
 * at most two uncommitted ones (the one being committed and the one rolling out), which a resume
 * deletes and recomputes identically.
 *
 * <p>After a failure nothing more is written: every later piece of work fails with the first
 * failure, the same exception object, so the caller reports the error that stopped the writes
 * whichever future it waits for. Driver only.
 */
final class DurableWrites implements AutoCloseable {
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "sparkac-durable-writes");
    t.setDaemon(true);
    return t;
  });
  /** The first failure, set and read on the writes' thread only. */
  private Throwable failure;

  /** Queues {@code work} after everything submitted before; it is skipped once a write has failed. */
  Future<?> submit(Runnable work) {
    return thread.submit(() -> {
      if (failure != null) {
        throw rethrowable(failure);
      }
      try {
        work.run();
      } catch (RuntimeException | Error e) {
        failure = e;
        throw e;
      }
    });
  }

  /**
   * Waits for {@code work} (and so for everything submitted before it; null: nothing to wait
   * for) and throws its failure as it was thrown, or the first failure before it.
   */
  static void await(Future<?> work) throws InterruptedException {
    if (work == null) {
      return;
    }
    try {
      work.get();
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    }
  }

  /**
   * Waits for everything submitted: on the way out of a run that failed for another reason
   * ({@code cause}), so that a round whose commit was under way is committed (or not) before the
   * error is reported. A write that failed too is added to {@code cause}'s suppressed exceptions.
   */
  void settle(Throwable cause) {
    try {
      await(submit(() -> {}));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cause.addSuppressed(e);
    } catch (RuntimeException | Error e) {
      if (e != cause) {
        cause.addSuppressed(e);
      }
    }
  }

  /** Stops the thread after the work submitted (the run awaits or settles it first). */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static RuntimeException rethrowable(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t.getMessage(), t);
  }
}
