package io.sparkac.train;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.EnvironmentChecker;
import io.sparkac.learner.RewardScaler;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.learner.Learner;
import io.sparkac.learner.LearnerStats;
import io.sparkac.learner.SparkLearner;
import io.sparkac.learner.StreamingLearner;
import io.sparkac.nn.Networks;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.EvalTask;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.storage.FastLocalFileSystem;
import io.sparkac.storage.Storage;
import io.sparkac.trajectory.RoundChunk;
import io.sparkac.trajectory.RoundData;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of synchronized parallel advantage actor-critic (A2C). {@link #run()} reads
 * top to bottom as one round: broadcast the weights, roll out on the executors (which write the
 * round's Parquet and return its rows), compute targets and advantages and fit the critic then
 * the actor, evaluate, checkpoint, commit, report. Driver only.
 */
public final class Trainer {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);

  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final StartMode mode;
  private final RunLayout layout;
  private final Storage storage;
  private final Checkpoints checkpoints;
  private final Manifest manifest;
  private long maxSamplesOnDriver;

  public Trainer(SparkSession spark, TrainConfig config, StartMode mode) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    FastLocalFileSystem.install(jsc.hadoopConfiguration());
    this.config = config;
    this.mode = mode;
    this.layout = RunLayout.of(config.run().dir());
    this.storage = new Storage(jsc.hadoopConfiguration());
    this.checkpoints = new Checkpoints(storage, layout);
    this.manifest = new Manifest(storage, layout);
    Nd4jThreads.pinToOne();
    String threads = Nd4jThreads.warning();
    if (threads != null) {
      log.warn(threads);
    }
  }

  public RunLayout layout() {
    return layout;
  }

  /**
   * The most samples of a round the driver's learner has held at once during {@link #run()}: a
   * collected round's rows, or a streamed round's largest block (learner.mode = spark: 0). At
   * most {@code learner.driver-max-samples}.
   */
  public long maxSamplesOnDriver() {
    return maxSamplesOnDriver;
  }

  public TrainResult run() {
    if (config.parallel().async()) {
      return new AsyncTrainer(spark, config, mode).run(); // parallel.mode = async: one update per group
    }
    long wallStart = System.nanoTime();
    Environment probe = Environments.create(config.env());
    if (config.env().custom()) {
      // A user's environment is checked (spaces, shapes, determinism, finite values) before any round.
      EnvironmentChecker.check(probe);
    }
    checkLearnerSupports(config, probe.actionSpace());
    int obsSize = probe.observationSpace().flatSize();

    // ---- start: a fresh run, or resume from the last committed round ----
    List<RoundRecord> history = new ArrayList<>();
    MultiLayerNetwork actorNet;
    MultiLayerNetwork criticNet;
    ActorSnapshot[] actors = null;
    ObservationNormalizer normalizer = config.normalize().observations()
        ? ObservationNormalizer.initial(obsSize, config.normalize().clip()) : null;
    RewardScaler rewardScaler = null;
    int firstRound = 0;
    long envSteps = 0;
    long episodes = 0;
    double wallBefore = 0;
    int committed = prepareRunFolder(storage, layout, manifest, mode);
    if (committed >= 0) {
      RunState state = checkpoints.readState(committed);
      actorNet = checkpoints.readActor(committed);
      criticNet = checkpoints.readCritic(committed);
      actors = checkpoints.readSnapshots(committed);
      Checkpoints.Normalization saved = checkpoints.readNormalization(committed);
      normalizer = saved.observations();
      rewardScaler = saved.rewards();
      history.addAll(manifest.readAll());
      // metrics.csv is derived from the manifest: a run killed between a commit and this
      // rewrite left it one round short.
      manifest.writeMetricsCsv(history);
      firstRound = committed + 1;
      envSteps = state.envSteps();
      episodes = state.episodes();
      wallBefore = state.wallSeconds();
      log.info("resuming {} after committed round {} ({} env steps)", layout.root(), committed, envSteps);
    } else {
      actorNet = Networks.actor(obsSize, probe.actionSpace(), config);
      criticNet = Networks.critic(obsSize, config);
    }
    Learner learner = new Learner(config, actorNet, criticNet);
    if (rewardScaler != null) {
      learner.setRewardScaler(rewardScaler);
    }
    SparkLearner sparkLearner = config.learner().mode() == TrainConfig.LearnerMode.SPARK
        ? new SparkLearner(spark, config, actorNet, criticNet) : null;
    // learner.mode = driver: a round of at most learner.driver-max-samples comes back with the
    // rollout job's results; a larger one is streamed, never collected.
    StreamingLearner streaming = config.streamsRounds() ? new StreamingLearner(spark, config, learner) : null;
    boolean collect = sparkLearner == null && streaming == null;
    Rollout rollout = new Rollout(jsc, config);
    int rounds = config.rounds();
    boolean solved = false;

    for (int round = firstRound; round < rounds && !solved; round++) {
      long t0 = System.nanoTime();

      // ---- broadcast weights and snapshots; roll out on the executors, which write Parquet ----
      PolicySnapshot policy = new PolicySnapshot(round, round, learner.actorWeights(), learner.criticWeights(),
          normalizer, actors);
      String roundDir = layout.trajectoryRound(round).toString();
      storage.delete(layout.trajectoryRound(round)); // leftovers of an uncommitted attempt
      List<RolloutResult> parts = onExecutors(() -> rollout.run(policy, roundDir, collect));
      long tRollout = System.nanoTime();
      actors = collectSnapshots(parts);
      checkpoints.writeSnapshots(round, actors);
      long t1 = System.nanoTime();

      // ---- the round's rows, as the rollout tasks returned them; compute targets and advantages,
      //      fit the critic, then the actor ----
      // (a streamed round: targets on the executors from the round's Parquet, fits on the driver
      // from blocks; learner.mode = spark: all of it on the executors)
      LearnerStats stats;
      long tRead;
      if (collect) {
        RoundData data = RoundChunk.merge(parts.stream().map(RolloutResult::chunk).toList());
        tRead = System.nanoTime();
        maxSamplesOnDriver = Math.max(maxSamplesOnDriver, data.rows());
        stats = learner.update(data, round, normalizer);
        if (normalizer != null) {
          // The next round samples with statistics that include this round's observations.
          normalizer = normalizer.update(data.obs(), data.rows());
        }
      } else if (streaming != null) {
        tRead = System.nanoTime();
        StreamingLearner.Update update = streaming.update(roundDir, round, normalizer);
        stats = update.stats();
        normalizer = update.normalizer(); // with this round's observations merged in, as above
        maxSamplesOnDriver = Math.max(maxSamplesOnDriver, streaming.maxSamplesHeld());
      } else {
        tRead = System.nanoTime();
        stats = sparkLearner.update(roundDir, round);
      }
      long t2 = System.nanoTime();

      // ---- evaluate the updated policy, greedily, at the interval and at the end ----
      boolean lastRound = round == rounds - 1;
      int every = config.eval().intervalRounds();
      boolean evaluate = lastRound || (every > 0 && (round + 1) % every == 0);
      double[] eval = {Double.NaN, Double.NaN, Double.NaN};
      if (evaluate) {
        int r = round;
        ObservationNormalizer evalStats = normalizer;
        eval = summarize(onExecutors(() -> rollout.evaluate(learner.actorWeights(), evalStats,
            config.eval().episodes(), true, "round " + r + ": evaluate")));
        solved = config.eval().hasTarget() && eval[0] >= config.eval().targetReturn();
      }

      // ---- checkpoint, then commit the round (the last write), then report ----
      long tEval = System.nanoTime();
      envSteps += stats.samples();
      Episodes ep = Episodes.of(parts);
      episodes += ep.count();
      double wall = wallBefore + (System.nanoTime() - wallStart) / 1e9;
      checkpoints.write(round, learner.actor(), learner.critic(),
          new RunState(round, round + 1, envSteps, episodes, config.run().seed(), wall, ConfigLoader.render(config)),
          new Checkpoints.Normalization(normalizer, learner.rewardScaler()));
      long tCheckpoint = System.nanoTime();
      long compute = parts.stream().mapToLong(RolloutResult::computeNanos).max().orElse(0);
      long write = parts.stream().mapToLong(RolloutResult::writeNanos).max().orElse(0);
      long total = tCheckpoint - t0;
      RoundRecord record = new RoundRecord(round, round, envSteps, episodes, ep.count(), ep.meanReturn(),
          ep.minReturn(), ep.maxReturn(), ep.meanLength(), stats.valueLoss(), stats.policyLoss(), stats.entropy(),
          stats.explainedVariance(), stats.criticGradNorm(), stats.actorGradNorm(), eval[0], eval[1], eval[2],
          (tRollout - t0) / 1e9, compute / 1e9, write / 1e9, (tRead - t1) / 1e9, (t2 - tRead) / 1e9,
          (tEval - t2) / 1e9, (tCheckpoint - tEval + t1 - tRollout) / 1e9,
          (total - compute - (t2 - tRead) - (tEval - t2)) / 1e9, total / 1e9, wall);
      manifest.commit(record);
      history.add(record);
      manifest.writeMetricsCsv(history);
      log.info(progressLine(record, rounds));
      if (log.isDebugEnabled()) {
        log.debug(String.format("round %d phases: rollout job %.3f, snapshots %.3f, read %.3f, learn %.3f, eval %.3f, "
            + "checkpoint %.3f, commit %.3f; rollout tasks %s", round, (tRollout - t0) / 1e9, (t1 - tRollout) / 1e9,
            (tRead - t1) / 1e9, (t2 - tRead) / 1e9, (tEval - t2) / 1e9, (tCheckpoint - tEval) / 1e9,
            (System.nanoTime() - tCheckpoint) / 1e9,
            parts.stream().map(p -> String.format("%.3f+%.3f", p.computeNanos() / 1e9, p.writeNanos() / 1e9)).toList()));
      }
    }
    return new TrainResult(List.copyOf(history), solved);
  }

  /**
   * Fails with a configuration error when the learner cannot train this action space:
   * {@code learner.mode = spark} fits discrete (categorical) policies only. Jobs call it before any
   * Spark work.
   */
  public static void checkLearnerSupports(TrainConfig config, io.sparkac.env.Space actionSpace) {
    if (config.learner().mode() == TrainConfig.LearnerMode.SPARK && !(actionSpace instanceof io.sparkac.env.Space.Discrete)) {
      throw new io.sparkac.config.ConfigException("learner.mode", "spark",
          "fits discrete action spaces only, and " + (config.env().custom() ? config.env().className() : config.env().id())
              + " has a continuous one (" + actionSpace + "); use learner.mode = driver");
    }
  }

  /**
   * Checks the run folder against the start mode; returns the round to resume after, or -1. Also
   * removes what an interrupted round left behind past the last commit. A new run creates its
   * (empty) manifest folder first, so that a run killed before its first commit is still
   * recognisable as a run and {@code --resume} restarts it from round 0.
   */
  static int prepareRunFolder(Storage storage, RunLayout layout, Manifest manifest, StartMode mode) {
    checkRunFolder(storage, layout, mode);
    switch (mode) {
      case FRESH -> {
        storage.mkdirs(layout.manifest());
        return -1;
      }
      case OVERWRITE -> {
        storage.delete(layout.root());
        storage.mkdirs(layout.manifest());
        return -1;
      }
      default -> {
        storage.mkdirs(layout.manifest());
        int last = manifest.lastCommitted();
        removeUncommitted(storage, layout, last);
        return last;
      }
    }
  }

  /**
   * Refuses a run folder that does not fit the start mode, naming the folder and the flag to
   * pass: a new run into a folder that is not empty (an existing run folder is never overwritten
   * silently), or a resume of a folder that is not a run. Jobs call it before any Spark work;
   * {@link #run()} calls it again.
   *
   * @throws RunFolderException when the folder does not fit
   */
  public static void checkRunFolder(Storage storage, RunLayout layout, StartMode mode) {
    boolean exists = storage.nonEmptyDir(layout.root());
    if (mode == StartMode.FRESH && exists) {
      throw new RunFolderException("run folder " + layout.root() + " already exists and is not empty; "
          + "pass --resume to continue it or --overwrite to replace it");
    }
    if (mode == StartMode.RESUME && exists && !storage.exists(layout.manifest())) {
      throw new RunFolderException("cannot resume " + layout.root() + ": it is not a run folder "
          + "(no manifest/ folder); pass --overwrite to replace it with a new run");
    }
  }

  private static void removeUncommitted(Storage storage, RunLayout layout, int lastCommitted) {
    for (org.apache.hadoop.fs.Path dir : List.of(layout.trajectories(), layout.checkpoints(),
        layout.actorsRound(0).getParent())) {
      for (FileStatus s : storage.list(dir)) {
        String name = s.getPath().getName();
        if (name.startsWith("_")) {
          storage.delete(s.getPath());
        } else if (name.startsWith("round=")) {
          int r = Integer.parseInt(name.substring("round=".length()));
          if (r > lastCommitted) {
            storage.delete(s.getPath());
          }
        }
      }
    }
  }

  /**
   * Runs a Spark job. A non-finite value found in a task (an observation or a reward) reaches the
   * caller as a {@link NonFiniteValueException} with the task's message ("round 3: reward of
   * actor 5 is NaN"), not inside Spark's "Job aborted due to stage failure" text; Spark's
   * exception is its cause.
   */
  private static <T> T onExecutors(Supplier<T> job) {
    try {
      return job.get();
    } catch (Exception e) { // SparkException is checked in Java but not declared by Scala's collect()
      for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (c instanceof NonFiniteValueException nf) {
          throw new NonFiniteValueException(nf.getMessage(), e);
        }
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
  }

  private ActorSnapshot[] collectSnapshots(List<RolloutResult> parts) {
    ActorSnapshot[] all = new ActorSnapshot[config.rollout().actors()];
    for (RolloutResult r : parts) {
      for (ActorSnapshot s : r.snapshots()) {
        all[s.actorId()] = s;
      }
    }
    return all;
  }

  /** {mean return, std of the return, mean length} of evaluation episodes. */
  static double[] summarize(List<EvalTask.Episode> episodes) {
    double mean = episodes.stream().mapToDouble(EvalTask.Episode::episodeReturn).average().orElse(Double.NaN);
    double var = episodes.stream().mapToDouble(e -> (e.episodeReturn() - mean) * (e.episodeReturn() - mean))
        .average().orElse(Double.NaN);
    double len = episodes.stream().mapToInt(EvalTask.Episode::length).average().orElse(Double.NaN);
    return new double[] {mean, Math.sqrt(var), len};
  }

  static String progressLine(RoundRecord r, int rounds) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("round %d/%d | steps %,d | return %s (%d ep) | len %s | v_loss %.3g | entropy %.3f | ev %.2f",
        r.round(), rounds, r.envSteps(), fmt(r.episodeReturnMean()), r.episodesInRound(), fmt(r.episodeLengthMean()),
        r.valueLoss(), r.entropy(), r.explainedVariance()));
    if (r.evaluated()) {
      sb.append(String.format(" | eval %.1f +- %.1f", r.evalReturnMean(), r.evalReturnStd()));
    }
    sb.append(String.format(" | %.2fs (rollout %.2f, learn %.2f, overhead %.2f) | wall %.1fs", r.roundSeconds(),
        r.rolloutSeconds(), r.learnSeconds(), r.overheadSeconds(), r.wallSeconds()));
    return sb.toString();
  }

  /** A mean for the progress line: one decimal, "-" when there was nothing to average. */
  static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.1f", v);
  }

  /** Training episodes that ended in a round. */
  record Episodes(int count, double meanReturn, double minReturn, double maxReturn, double meanLength) {
    static Episodes of(List<RolloutResult> parts) {
      int n = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double len = 0;
      for (RolloutResult p : parts) {
        for (int i = 0; i < p.episodeReturns().length; i++) {
          double r = p.episodeReturns()[i];
          n++;
          sum += r;
          min = Math.min(min, r);
          max = Math.max(max, r);
          len += p.episodeLengths()[i];
        }
      }
      return n == 0 ? new Episodes(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN)
          : new Episodes(n, sum / n, min, max, len / n);
    }
  }
}
