package io.sparkac.train;

import io.sparkac.rollout.PendingRollout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The groups' rollout jobs in flight (asynchronous mode) and the order in which they finish: one
 * waiting thread per job reports its group when the job is done, so the driver takes groups in
 * completion order, or, when it replays a run, waits for the group the recorded order names and
 * keeps the others for later. Driver only; the waiting threads only wait.
 */
final class InFlightGroups implements AutoCloseable {
  /** A job in flight: its group, the policy version it samples with and its folder. */
  record Job(int group, int version, String dir, long steps, PendingRollout rollout) {}

  private final Job[] jobs;
  private final LinkedBlockingQueue<Integer> finished = new LinkedBlockingQueue<>();
  /** Finished groups not taken yet, in the order they finished. */
  private final List<Integer> arrived = new ArrayList<>();
  private final ExecutorService waiters;

  InFlightGroups(int groups) {
    this.jobs = new Job[groups];
    this.waiters = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "sparkac-group-waiter");
      t.setDaemon(true);
      return t;
    });
  }

  void add(Job job) {
    if (jobs[job.group()] != null) {
      throw new IllegalStateException("group " + job.group() + " already has a rollout in flight");
    }
    jobs[job.group()] = job;
    waiters.execute(() -> {
      try {
        job.rollout().waitUntilDone();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        finished.add(job.group());
      }
    });
  }

  boolean running(int group) {
    return jobs[group] != null;
  }

  /** Env steps that the jobs in flight will bring. */
  long steps() {
    long s = 0;
    for (Job j : jobs) {
      s += j == null ? 0 : j.steps();
    }
    return s;
  }

  /**
   * Waits for the next group to learn from: the first to finish when {@code wanted} is negative,
   * else group {@code wanted} (replay), and takes it out of flight.
   */
  Job next(int wanted) throws InterruptedException {
    if (wanted >= 0 && !running(wanted)) {
      throw new IllegalStateException("the replayed order wants group " + wanted + " next, but it has no rollout "
          + "in flight: the replayed run had a different run.total-steps or configuration");
    }
    while (true) {
      if (wanted < 0 && !arrived.isEmpty()) {
        return take(arrived.remove(0));
      }
      if (wanted >= 0 && arrived.remove(Integer.valueOf(wanted))) {
        return take(wanted);
      }
      arrived.add(finished.take());
    }
  }

  private Job take(int group) {
    Job j = jobs[group];
    jobs[group] = null;
    return j;
  }

  /**
   * Waits for every job still in flight and returns them (their samples are not learned from);
   * a failed one still fails the run.
   */
  List<Job> drain() throws InterruptedException {
    List<Job> out = new ArrayList<>();
    for (int g = 0; g < jobs.length; g++) {
      if (jobs[g] != null) {
        Job j = take(g);
        j.rollout().await();
        out.add(j);
      }
    }
    return out;
  }

  /** Cancels what is in flight (after a failure) and stops the waiting threads. */
  void cancelAll() {
    for (int g = 0; g < jobs.length; g++) {
      if (jobs[g] != null) {
        take(g).rollout().cancel();
      }
    }
  }

  @Override
  public void close() {
    waiters.shutdownNow();
  }
}
