package io.sparkac.train;

import io.sparkac.config.ConfigException;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import io.sparkac.config.ActorRange;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.PendingRollout;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous sampling ({@code parallel.mode = async}). The actors are split into
 * {@code parallel.groups} groups; each group's rollout is its own Spark job, submitted
 * asynchronously ({@code SparkContext.submitJob}) into its own FAIR scheduler pool so that the groups'
 * jobs share the executors. Each update learns from the first group to finish; the group is then
 * resubmitted with the newest weights, while the other groups keep sampling with the policy they
 * were given: their samples will be stale by the updates applied in between.
 *
 * <p>Versions and seeds: update u turns policy version u into u + 1. A group's job samples with
 * the version current when it was submitted, which every one of its rows records as
 * {@code policy_version}; the job passes that version as the round to {@link
 * io.sparkac.rollout.RolloutTask}, so actor a's action draws derive from (run seed, a,
 * policy_version), read off the row. A group's successive jobs get increasing versions, so no
 * actor ever reuses a stream. With one group this is the synchronized loop, round = version, bit
 * for bit.
 *
 * <p>Determinism: the group an update learns from is whichever job finishes first, so async runs
 * are not bit-reproducible. The manifest records each update's group; replaying that order
 * ({@code parallel.replay-order}: each update waits for the recorded group) fixes every job's
 * version, weights, snapshots and seeds, and so reproduces the run exactly.
 *
 * <p>Resume: from the last committed update U. The groups that were in flight at U are
 * resubmitted with the policy each was sampling with (version v: the checkpoint of update v - 1)
 * from their actors' snapshots, which at U are still the ones those jobs started from, so a
 * resumed replay equals the uninterrupted run. Driver only.
 */
final class AsyncSampling implements Sampling {
  private static final Logger log = LoggerFactory.getLogger(AsyncSampling.class);
  /** The FAIR scheduler pool of group g: this prefix and g. */
  static final String POOL_PREFIX = "sparkac-group-";

  private final TrainConfig config;
  private final Rollout rollout;
  private final Storage storage;
  private final RunLayout layout;
  private final Checkpoints checkpoints;
  private final Environment probe;
  private final List<List<ActorRange>> groups;
  private final int[] replay;
  /** The policy version each group samples with when the run starts (see {@link #startVersions}). */
  private final int[] startVersions;
  private final InFlightGroups inFlight;
  private boolean started;

  /** {@code history}: the committed updates of a resumed run (empty for a new one). */
  AsyncSampling(SparkSession spark, TrainConfig config, Rollout rollout, Storage storage, RunLayout layout,
      Checkpoints checkpoints, Environment probe, List<RoundRecord> history) {
    this.config = config;
    this.rollout = rollout;
    this.storage = storage;
    this.layout = layout;
    this.checkpoints = checkpoints;
    this.probe = probe;
    warnUnlessFair(spark);
    this.groups = rollout.groups(config.parallel().groups());
    this.replay = replayOrder(groups.size());
    this.startVersions = startVersions(history, groups.size());
    this.inFlight = new InFlightGroups(groups.size());
  }

  /**
   * Every actor at the start of its first episode, reset as a rollout task resets a new actor, so
   * that the snapshots of the groups that have not finished yet can be checkpointed.
   */
  @Override
  public ActorSnapshot[] initialActors() {
    int obsSize = probe.observationSpace().flatSize();
    ActorSnapshot[] out = new ActorSnapshot[config.rollout().actors()];
    for (int a = 0; a < out.length; a++) {
      Environment env = Environments.create(config.env());
      float[] obs = new float[obsSize];
      env.reset(Seeds.mix(config.run().seed(), Seeds.EPISODES, a, 0), obs);
      out[a] = new ActorSnapshot(a, env.state(), env.elapsedSteps(), obs, 0, 0.0, 0);
    }
    return out;
  }

  @Override
  public Sample next(int u, Policy newest, ActorSnapshot[] actors) throws InterruptedException {
    if (!started) {
      // ---- submit every group, each with the policy it samples with: on a resume, the one it was
      //      sampling with at the last commit ----
      started = true;
      for (int g = 0; g < groups.size(); g++) {
        submit(g, startVersions[g], startVersions[g] == u ? newest : policyOfVersion(startVersions[g]), actors);
      }
    }
    // ---- wait for a group: the first to finish, or the one the replayed order names ----
    int wanted = replay != null && u < replay.length ? replay[u] : -1;
    if (replay != null && u == replay.length) {
      log.info("update {}: the replayed order ends here; groups are taken as they finish from now on", u);
    }
    InFlightGroups.Job job = inFlight.next(wanted);
    List<RolloutResult> parts = Trainer.onExecutors(job.rollout()::await);
    // ---- commit the group's partition as this update's trajectory folder ----
    Path roundDir = layout.trajectoryRound(u);
    storage.delete(roundDir); // leftovers of an uncommitted attempt
    storage.rename(new Path(job.dir()), roundDir, false);
    return new Sample(parts, job.group(), job.version());
  }

  /**
   * Resubmits the group the update learned from with the newest policy (version u + 1), unless
   * the jobs in flight already bring the steps the run still needs.
   */
  @Override
  public void updated(int u, Sample used, Policy newest, ActorSnapshot[] actors, long envSteps) {
    if (envSteps + inFlight.steps() < config.run().totalSteps()) {
      submit(used.group(), u + 1, newest, actors);
    }
  }

  @Override
  public void finish() throws InterruptedException {
    for (InFlightGroups.Job j : inFlight.drain()) {
      storage.delete(new Path(j.dir()));
    }
  }

  /**
   * A failed update stops the run; the jobs in flight are cancelled, and what they leave in
   * hidden folders is removed when the run resumes.
   */
  @Override
  public void abort() {
    inFlight.cancelAll();
  }

  @Override
  public void close() {
    inFlight.close();
  }

  /**
   * Submits group g's rollout with policy version {@code version}; it writes into a hidden folder
   * (readers skip {@code _} names) that becomes {@code trajectories/round=u/} when update u
   * learns from it.
   */
  private void submit(int g, int version, Policy p, ActorSnapshot[] actors) {
    List<ActorRange> group = groups.get(g);
    Path dir = new Path(layout.trajectories(), "_group=" + g + "-version=" + version);
    storage.delete(dir);
    // round = version: RolloutTask seeds actor a's draws with (run seed, a, round). The snapshots are
    // copied because the driver replaces other groups' entries while this job runs (in local mode a
    // task can see the driver's broadcast object itself).
    PolicySnapshot policy = new PolicySnapshot(version, version, p.actor(), p.critic(), p.normalizer(),
        actors.clone());
    // The tasks return their rows: an update's samples are always collected (TrainConfig checks
    // that a group's fit within learner.driver-max-samples).
    PendingRollout job = rollout.submit(policy, group, dir.toString(), POOL_PREFIX + g,
        "group " + g + ": rollout with policy version " + version, true);
    long steps = (long) group.stream().mapToInt(ActorRange::size).sum() * config.rollout().stepsPerActor();
    inFlight.add(new InFlightGroups.Job(g, version, dir.toString(), steps, job));
  }

  /**
   * The policy version each group's job samples with when the run starts: one more than the last
   * update that learned from the group (a synchronized round learned from every group), else 0.
   */
  static int[] startVersions(List<RoundRecord> history, int groups) {
    int[] v = new int[groups];
    for (RoundRecord r : history) {
      if (r.source().group() < 0) {
        Arrays.fill(v, r.round() + 1);
      } else {
        v[r.source().group()] = r.round() + 1;
      }
    }
    return v;
  }

  /** Policy version v, older than the newest: the initial networks, or the checkpoint of update v - 1. */
  private Policy policyOfVersion(int v) {
    TrainConfig.Activation act = config.network().activation();
    int obsSize = probe.observationSpace().flatSize();
    if (v == 0) {
      return new Policy(MlpWeights.of(Networks.actor(obsSize, probe.actionSpace(), config), act),
          MlpWeights.of(Networks.critic(obsSize, config), act), Trainer.initialNormalizer(config, obsSize));
    }
    ObservationNormalizer normalizer = checkpoints.readNormalization(v - 1).observations();
    return new Policy(MlpWeights.of(checkpoints.readActor(v - 1), act),
        MlpWeights.of(checkpoints.readCritic(v - 1), act), normalizer);
  }

  /** The recorded completion order to replay (the group of each update), or null. */
  private int[] replayOrder(int groups) {
    if (!config.parallel().replays()) {
      return null;
    }
    String dir = config.parallel().replayOrder();
    List<RoundRecord> records = new Manifest(storage, RunLayout.of(dir)).readAll();
    if (records.isEmpty()) {
      throw new ConfigException("parallel.replay-order", dir, "must be the folder of an async run with committed "
          + "updates; its manifest has none");
    }
    int[] order = new int[records.size()];
    for (int i = 0; i < order.length; i++) {
      RoundRecord r = records.get(i);
      int g = r.source().group();
      if (r.round() != i || g < 0 || g >= groups) {
        throw new ConfigException("parallel.replay-order", dir, "must be the folder of an async run with "
            + "parallel.groups = " + groups + "; its manifest entry " + r.round() + " (position " + i + ") names "
            + "group " + g);
      }
      order[i] = g;
    }
    log.info("replaying the completion order of {} ({} updates)", dir, order.length);
    return order;
  }

  private static void warnUnlessFair(SparkSession spark) {
    String schedulingMode = spark.sparkContext().getSchedulingMode().toString();
    if (!"FAIR".equals(schedulingMode)) {
      log.warn("parallel.mode = async with spark.scheduler.mode = {}: the groups' jobs are scheduled first come, "
          + "first served, so a group's tasks can wait behind another's; set --conf spark.scheduler.mode=FAIR "
          + "(jobs/sparkac does) for the groups to share the executors", schedulingMode);
    }
  }
}
