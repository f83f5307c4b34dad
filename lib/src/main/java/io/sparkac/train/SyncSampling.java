package io.sparkac.train;

import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;

/**
 * Synchronized sampling (A2C): round u broadcasts the newest policy to every actor and waits for
 * all of them; the tasks write straight into {@code trajectories/round=u/}. With
 * {@code returnRows}, the rollout tasks also return the rows they wrote (the collected learner).
 * Driver only.
 */
record SyncSampling(Rollout rollout, Storage storage, RunLayout layout, int actors, boolean returnRows)
    implements Sampling {

  @Override
  public ActorSnapshot[] initialActors() {
    return new ActorSnapshot[actors];
  }

  @Override
  public Sample next(int u, Policy newest, ActorSnapshot[] snapshots) throws InterruptedException {
    PolicySnapshot policy = new PolicySnapshot(u, u, newest.actor(), newest.critic(), newest.normalizer(),
        snapshots.clone());
    storage.delete(layout.trajectoryRound(u)); // leftovers of an uncommitted attempt
    String dir = layout.trajectoryRound(u).toString();
    return new Sample(Trainer.onExecutors(() -> rollout.run(policy, dir, returnRows)), -1, u);
  }

  @Override
  public void updated(int u, Sample used, Policy newest, ActorSnapshot[] snapshots, long envSteps) {
    // the next round samples with the newest policy when next() is called
  }

  @Override
  public void finish() {}

  @Override
  public void abort() {}

  @Override
  public void close() {}
}
