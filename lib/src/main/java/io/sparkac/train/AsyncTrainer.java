package io.sparkac.train;

import io.sparkac.config.ConfigException;
import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.EnvironmentChecker;
import io.sparkac.learner.Learner;
import io.sparkac.learner.LearnerStats;
import io.sparkac.learner.OffPolicyCorrection;
import io.sparkac.learner.RewardScaler;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import io.sparkac.rollout.ActorRange;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.PendingRollout;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.storage.FastLocalFileSystem;
import io.sparkac.storage.Storage;
import io.sparkac.trajectory.RoundChunk;
import io.sparkac.trajectory.RoundData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of asynchronous parallel advantage actor-critic ({@code parallel.mode = async}).
 * The actors are split into {@code parallel.groups} groups; each group's rollout is its own Spark
 * job, submitted asynchronously ({@code collectAsync}) into its own FAIR scheduler pool so that
 * the groups' jobs share the executors. {@link #run()} reads top to bottom as one update: wait for
 * a group's job, commit its partition as the update's trajectory folder, take its rows from the
 * job's results, compute targets and advantages and fit the critic then the actor (with the
 * optional off-policy correction),
 * resubmit the group with the newest weights, evaluate, checkpoint, commit, report. Meanwhile the
 * other groups keep sampling with the policy they were given: their samples will be stale by the
 * updates applied in between.
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
public final class AsyncTrainer {
  private static final Logger log = LoggerFactory.getLogger(AsyncTrainer.class);
  /** The FAIR scheduler pool of group g: this prefix and g. */
  static final String POOL_PREFIX = "sparkac-group-";

  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final StartMode mode;
  private final RunLayout layout;
  private final Storage storage;
  private final Checkpoints checkpoints;
  private final Manifest manifest;

  /** The weights and observation statistics of one policy version. */
  private record Policy(MlpWeights actor, MlpWeights critic, ObservationNormalizer normalizer) {}

  public AsyncTrainer(SparkSession spark, TrainConfig config, StartMode mode) {
    if (!config.parallel().async()) {
      throw new IllegalArgumentException("AsyncTrainer needs parallel.mode = async, got: "
          + config.parallel().mode());
    }
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    FastLocalFileSystem.install(jsc.hadoopConfiguration());
    this.config = config;
    this.mode = mode;
    this.layout = RunLayout.of(config.run().dir());
    this.storage = new Storage(jsc.hadoopConfiguration());
    this.checkpoints = new Checkpoints(storage, layout);
    this.manifest = new Manifest(storage, layout);
  }

  public RunLayout layout() {
    return layout;
  }

  public TrainResult run() {
    Trainer.checkRunFolder(storage, layout, mode); // before the lock creates the folder
    try (RunLock lock = RunLock.acquire(storage, layout)) {
      return train();
    }
  }

  private TrainResult train() {
    long wallStart = System.nanoTime();
    Environment probe = Environments.create(config.env());
    if (config.env().custom()) {
      EnvironmentChecker.check(probe);
    }
    int obsSize = probe.observationSpace().flatSize();
    warnUnlessFair();
    Rollout rollout = new Rollout(jsc, config);
    List<List<ActorRange>> groups = rollout.groups(config.parallel().groups());
    int[] replay = replayOrder(groups.size());

    // ---- start: a fresh run, or resume from the last committed update ----
    List<RoundRecord> history = new ArrayList<>();
    MultiLayerNetwork actorNet;
    MultiLayerNetwork criticNet;
    ActorSnapshot[] actors;
    ObservationNormalizer normalizer = initialNormalizer(obsSize);
    RewardScaler rewardScaler = null;
    int firstUpdate = 0;
    long envSteps = 0;
    long episodes = 0;
    double wallBefore = 0;
    int committed = Trainer.prepareRunFolder(storage, layout, manifest, mode);
    if (committed >= 0) {
      RunState state = checkpoints.readState(committed);
      TrainConfig before = ConfigLoader.parse(state.config(), List.of());
      FixedKeys.check(before, config, layout.root());
      actorNet = checkpoints.readActor(committed);
      criticNet = checkpoints.readCritic(committed);
      Trainer.applyLearningRates(before, config, actorNet, criticNet);
      actors = checkpoints.readSnapshots(committed);
      Checkpoints.Normalization saved = checkpoints.readNormalization(committed);
      normalizer = saved.observations();
      rewardScaler = saved.rewards();
      history.addAll(manifest.readAll());
      firstUpdate = committed + 1;
      envSteps = state.envSteps();
      episodes = state.episodes();
      wallBefore = state.wallSeconds();
      log.info("resuming {} after committed update {} ({} env steps)", layout.root(), committed, envSteps);
    } else {
      actorNet = Networks.actor(obsSize, probe.actionSpace(), config);
      criticNet = Networks.critic(obsSize, config);
      actors = initialSnapshots(obsSize);
    }
    Learner learner = new Learner(config, actorNet, criticNet);
    if (rewardScaler != null) {
      learner.setRewardScaler(rewardScaler);
    }
    OffPolicyCorrection correction = OffPolicyCorrection.of(config.parallel());
    long totalSteps = config.run().totalSteps();
    // Evaluations at the same env steps as the synchronized loop's: every interval-rounds rounds' worth.
    long evalEvery = (long) config.eval().intervalRounds() * config.stepsPerRound();
    boolean solved = false;

    try (InFlightGroups inFlight = new InFlightGroups(groups.size())) {
      try {
        // ---- submit every group, each with the policy it samples with: on a resume, the one it was
        //      sampling with at the last commit ----
        if (envSteps < totalSteps) {
          int[] versions = startVersions(history, groups.size());
          for (int g = 0; g < groups.size(); g++) {
            Policy p = versions[g] == firstUpdate
                ? new Policy(learner.actorWeights(), learner.criticWeights(), normalizer)
                : policyOfVersion(versions[g], obsSize, probe);
            submit(inFlight, rollout, groups.get(g), g, versions[g], p, actors);
          }
        }

        for (int u = firstUpdate; envSteps < totalSteps && !solved; u++) {
          long t0 = System.nanoTime();

          // ---- wait for a group: the first to finish, or the one the replayed order names ----
          int wanted = replay != null && u < replay.length ? replay[u] : -1;
          if (replay != null && u == replay.length) {
            log.info("update {}: the replayed order ends here; groups are taken as they finish from now on", u);
          }
          InFlightGroups.Job job = inFlight.next(wanted);
          List<RolloutResult> parts = job.rollout().await();
          int g = job.group();
          long tWait = System.nanoTime();

          // ---- commit the group's partition as this update's trajectory folder; its actors' snapshots ----
          Path roundDir = layout.trajectoryRound(u);
          storage.delete(roundDir); // leftovers of an uncommitted attempt
          storage.rename(new Path(job.dir()), roundDir, false);
          for (RolloutResult r : parts) {
            for (ActorSnapshot s : r.snapshots()) {
              actors[s.actorId()] = s;
            }
          }
          List<RunFile> files = Trainer.committedParquet(layout, u, parts);
          files.add(checkpoints.writeSnapshots(u, actors));
          long t1 = System.nanoTime();

          // ---- the group's rows, as its tasks returned them; targets and advantages; fit the critic,
          //      then the actor, with the advantages of stale samples corrected ----
          RoundData data = RoundChunk.merge(parts.stream().map(RolloutResult::chunk).toList());
          long tRead = System.nanoTime();
          LearnerStats stats = learner.update(data, u, normalizer, correction);
          OffPolicyCorrection.Stats rho = correction.lastStats();
          if (normalizer != null) {
            normalizer = normalizer.update(data.obs(), data.rows());
          }
          envSteps += data.rows();
          long t2 = System.nanoTime();

          // ---- resubmit the group with the newest policy (version u + 1), unless the jobs in flight
          //      already bring the steps the run still needs ----
          if (envSteps + inFlight.steps() < totalSteps) {
            submit(inFlight, rollout, groups.get(g), g, u + 1,
                new Policy(learner.actorWeights(), learner.criticWeights(), normalizer), actors);
          }

          // ---- evaluate the updated policy, greedily, at the interval and at the end ----
          boolean last = envSteps >= totalSteps;
          boolean evaluate = last || (evalEvery > 0 && (envSteps - data.rows()) / evalEvery != envSteps / evalEvery);
          double[] eval = {Double.NaN, Double.NaN, Double.NaN};
          long tEvalStart = System.nanoTime();
          if (evaluate) {
            eval = Trainer.summarize(rollout.evaluate(learner.actorWeights(), normalizer, config.eval().episodes(),
                true, "update " + u + ": evaluate"));
            solved = config.eval().hasTarget() && eval[0] >= config.eval().targetReturn();
          }
          long tEval = System.nanoTime();

          // ---- checkpoint, then commit the update (the last write), then report ----
          Trainer.Episodes ep = Trainer.Episodes.of(parts);
          episodes += ep.count();
          double wall = wallBefore + (System.nanoTime() - wallStart) / 1e9;
          files.addAll(checkpoints.write(u, learner.actor(), learner.critic(),
              new RunState(u, u + 1, envSteps, episodes, config.run().seed(), wall, ConfigLoader.render(config)),
              new Checkpoints.Normalization(normalizer, learner.rewardScaler())));
          long tCheckpoint = System.nanoTime();
          long compute = parts.stream().mapToLong(RolloutResult::computeNanos).max().orElse(0);
          long write = parts.stream().mapToLong(RolloutResult::writeNanos).max().orElse(0);
          long total = tCheckpoint - t0;
          long evalNanos = tEval - tEvalStart;
          RoundRecord record = new RoundRecord(u, u, envSteps, episodes, ep.count(), ep.meanReturn(),
              ep.minReturn(), ep.maxReturn(), ep.meanLength(), stats.valueLoss(), stats.policyLoss(), stats.entropy(),
              stats.explainedVariance(), stats.criticGradNorm(), stats.actorGradNorm(), eval[0], eval[1], eval[2],
              (tWait - t0) / 1e9, compute / 1e9, write / 1e9, (tRead - t1) / 1e9, (t2 - tRead) / 1e9,
              evalNanos / 1e9, (tCheckpoint - tEval + t1 - tWait) / 1e9,
              (total - (tWait - t0) - (t2 - tRead) - evalNanos) / 1e9, total / 1e9, wall,
              g, job.version(), u - job.version(), rho.rhoMean(), rho.rhoMax(), rho.correctedFraction(), files);
          manifest.commit(record);
          history.add(record);
          manifest.writeMetricsCsv(history);
          log.info(progressLine(record, totalSteps));
          if (log.isDebugEnabled()) {
            log.debug(String.format("update %d phases: wait %.3f, commit partition and snapshots %.3f, read %.3f, "
                + "learn %.3f, resubmit %.3f, eval %.3f, checkpoint %.3f; rollout tasks %s", u, (tWait - t0) / 1e9,
                (t1 - tWait) / 1e9, (tRead - t1) / 1e9, (t2 - tRead) / 1e9, (tEvalStart - t2) / 1e9,
                evalNanos / 1e9, (tCheckpoint - tEval) / 1e9,
                parts.stream().map(p -> String.format("%.3f+%.3f", p.computeNanos() / 1e9, p.writeNanos() / 1e9))
                    .toList()));
          }
        }

        // ---- the run is over: wait for the jobs still in flight; their samples are not used ----
        for (InFlightGroups.Job j : inFlight.drain()) {
          storage.delete(new Path(j.dir()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        inFlight.cancelAll();
        throw new IllegalStateException("training of " + layout.root() + " was interrupted", e);
      } catch (RuntimeException e) {
        // A failed update stops the run; the jobs in flight are cancelled, and what they leave in
        // hidden folders is removed when the run resumes.
        inFlight.cancelAll();
        throw e;
      }
    }
    return new TrainResult(List.copyOf(history), solved);
  }

  /**
   * Submits group g's rollout with policy version {@code version}; it writes into a hidden folder
   * (readers skip {@code _} names) that becomes {@code trajectories/round=u/} when update u
   * learns from it.
   */
  private void submit(InFlightGroups inFlight, Rollout rollout, List<ActorRange> group, int g, int version,
      Policy p, ActorSnapshot[] actors) {
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
      if (r.group() < 0) {
        Arrays.fill(v, r.round() + 1);
      } else {
        v[r.group()] = r.round() + 1;
      }
    }
    return v;
  }

  /** Policy version v, older than the newest: the initial networks, or the checkpoint of update v - 1. */
  private Policy policyOfVersion(int v, int obsSize, Environment probe) {
    TrainConfig.Activation act = config.network().activation();
    if (v == 0) {
      return new Policy(MlpWeights.of(Networks.actor(obsSize, probe.actionSpace(), config), act),
          MlpWeights.of(Networks.critic(obsSize, config), act), initialNormalizer(obsSize));
    }
    return new Policy(MlpWeights.of(checkpoints.readActor(v - 1), act),
        MlpWeights.of(checkpoints.readCritic(v - 1), act), checkpoints.readNormalization(v - 1).observations());
  }

  private ObservationNormalizer initialNormalizer(int obsSize) {
    return config.normalize().observations() ? ObservationNormalizer.initial(obsSize, config.normalize().clip())
        : null;
  }

  /**
   * Every actor at the start of its first episode, reset as a rollout task resets a new actor, so
   * that the snapshots of the groups that have not finished yet can be checkpointed.
   */
  private ActorSnapshot[] initialSnapshots(int obsSize) {
    ActorSnapshot[] out = new ActorSnapshot[config.rollout().actors()];
    for (int a = 0; a < out.length; a++) {
      Environment env = Environments.create(config.env());
      float[] obs = new float[obsSize];
      env.reset(Seeds.mix(config.run().seed(), Seeds.EPISODES, a, 0), obs);
      out[a] = new ActorSnapshot(a, env.state(), env.elapsedSteps(), obs, 0, 0.0, 0);
    }
    return out;
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
      if (r.round() != i || r.group() < 0 || r.group() >= groups) {
        throw new ConfigException("parallel.replay-order", dir, "must be the folder of an async run with "
            + "parallel.groups = " + groups + "; its manifest entry " + r.round() + " (position " + i + ") names "
            + "group " + r.group());
      }
      order[i] = r.group();
    }
    log.info("replaying the completion order of {} ({} updates)", dir, order.length);
    return order;
  }

  private void warnUnlessFair() {
    String schedulingMode = spark.sparkContext().getSchedulingMode().toString();
    if (!"FAIR".equals(schedulingMode)) {
      log.warn("parallel.mode = async with spark.scheduler.mode = {}: the groups' jobs are scheduled first come, "
          + "first served, so a group's tasks can wait behind another's; set --conf spark.scheduler.mode=FAIR "
          + "(jobs/sparkac does) for the groups to share the executors", schedulingMode);
    }
  }

  static String progressLine(RoundRecord r, long totalSteps) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("update %d | group %d, version %d (stale %d) | steps %,d/%,d | return %s (%d ep) | "
            + "len %s | v_loss %.3g | entropy %.3f | ev %.2f | rho %.3f (max %.2f, %.0f%% corrected)", r.round(),
        r.group(), r.sampleVersion(), r.staleness(), r.envSteps(), totalSteps, Trainer.fmt(r.episodeReturnMean()),
        r.episodesInRound(), Trainer.fmt(r.episodeLengthMean()), r.valueLoss(), r.entropy(), r.explainedVariance(),
        r.rhoMean(), r.rhoMax(), 100 * r.correctedFraction()));
    if (r.evaluated()) {
      sb.append(String.format(" | eval %.1f +- %.1f", r.evalReturnMean(), r.evalReturnStd()));
    }
    sb.append(String.format(" | %.2fs (wait %.2f, learn %.2f, overhead %.2f) | wall %.1fs", r.roundSeconds(),
        r.rolloutSeconds(), r.learnSeconds(), r.overheadSeconds(), r.wallSeconds()));
    return sb.toString();
  }

}
