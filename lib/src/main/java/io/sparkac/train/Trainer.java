package io.sparkac.train;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.EnvironmentChecker;
import io.sparkac.error.Causes;
import io.sparkac.learner.Learner;
import io.sparkac.learner.RewardScaler;
import io.sparkac.nn.Networks;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.rollout.ActorSnapshot;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.FixedKeys;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunFile;
import io.sparkac.run.RunFolder;
import io.sparkac.run.RunLayout;
import io.sparkac.run.RunLock;
import io.sparkac.run.RunState;
import io.sparkac.run.StartMode;
import io.sparkac.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of parallel advantage actor-critic, synchronized (A2C) or asynchronous.
 * {@link #run()} reads top to bottom as one round: roll out on the executors with the newest
 * weights (which write the round's Parquet and return its rows), compute targets and advantages
 * and fit the critic then the actor, evaluate, checkpoint, commit, report. What the parallel
 * modes do differently is which samples an update learns from, and when: the {@link Sampling}
 * strategy. How it learns is the {@link Learning} strategy. Driver only.
 */
public final class Trainer {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);
  /** Rounds at the start of a process that {@link #profileSummary()} leaves out: the JIT is still compiling. */
  public static final int COLD_ROUNDS = RoundProfile.COLD_ROUNDS;

  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final StartMode mode;
  private final RunLayout layout;
  private final Storage storage;
  private final Checkpoints checkpoints;
  private final Manifest manifest;
  private Learning learning;
  private boolean profile;
  private String profileSummary;

  public Trainer(SparkSession spark, TrainConfig config, StartMode mode) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
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

  /**
   * With {@code on}, each round logs its phases at INFO ({@code profile round N | rollout ...}, see
   * {@link RoundProfile}) and the run ends with their medians over the warm rounds; without, the
   * round's line goes to DEBUG and there is no summary. {@code train --profile} sets it.
   */
  public Trainer profile(boolean on) {
    this.profile = on;
    return this;
  }

  /**
   * After {@link #run()}: the medians of the warm rounds' phases, as {@code train --profile} ends
   * with them ({@link RoundProfile#summary()}); null when no round ran.
   */
  public String profileSummary() {
    return profileSummary;
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
    return learning == null ? 0 : learning.maxSamplesOnDriver();
  }

  public TrainResult run() {
    long wallStart = System.nanoTime();
    Environment probe = Environments.create(config.env());
    if (config.env().custom()) {
      // A user's environment is checked (spaces, shapes, determinism, finite values) before any
      // round, and before anything is written.
      EnvironmentChecker.check(probe);
    }
    checkLearnerSupports(config, probe.actionSpace());
    RunFolder.check(storage, layout, mode); // before the lock creates the folder
    try (RunLock lock = RunLock.acquire(storage, layout)) {
      return train(probe, wallStart);
    }
  }

  private TrainResult train(Environment probe, long wallStart) {
    Start start = Start.of(config, storage, layout, checkpoints, manifest, mode, probe);
    Learner learner = new Learner(config, start.actor(), start.critic());
    if (start.rewardScaler() != null) {
      learner.setRewardScaler(start.rewardScaler());
    }
    learning = Learning.of(spark, config, learner);
    Rollout rollout = new Rollout(jsc, config);
    List<RoundRecord> history = new ArrayList<>(start.history());
    ObservationNormalizer normalizer = start.normalizer();
    long envSteps = start.envSteps();
    long episodes = start.episodes();
    long totalSteps = config.run().totalSteps();
    // Evaluations every interval-rounds rounds' worth of steps (an async update is a group's worth).
    long evalEvery = (long) config.eval().intervalRounds() * config.stepsPerRound();
    boolean solved = false;
    RoundProfile profiled = new RoundProfile();
    String renderedConfig = ConfigLoader.render(config); // saved with every checkpoint: the same for the whole run
    long paceStart = System.nanoTime();
    long paceSteps = envSteps;

    try (Sampling sampling = config.parallel().async()
        ? new AsyncSampling(spark, config, rollout, storage, layout, checkpoints, probe, history)
        : new SyncSampling(rollout, storage, layout, config.rollout().actors(), learning.collects());
        DurableWrites durable = new DurableWrites()) {
      ActorSnapshot[] actors = start.actors() != null ? start.actors() : sampling.initialActors();
      // The weights as plain arrays, taken off the networks once per update: sampled with, evaluated.
      Sampling.Policy newest = policy(learner, normalizer);
      // The previous round's checkpoint and commit, running on the durable writes' thread.
      Future<?> committing = null;
      try {
        for (int u = start.firstRound(); envSteps < totalSteps && !solved; u++) {
          PhaseClock clock = new PhaseClock();

          // ---- roll out with the newest weights on the executors, which write the round's Parquet
          //      (the previous round's checkpoint and commit are written meanwhile) ----
          Sampling.Sample sample = sampling.next(u, newest, actors);
          long rolloutNanos = clock.lap();
          for (RolloutResult r : sample.parts()) {
            for (ActorSnapshot s : r.snapshots()) {
              actors[s.actorId()] = s;
            }
          }
          List<RunFile> files = committedParquet(layout, u, sample.parts());
          int round = u;
          ActorSnapshot[] ended = actors.clone();
          long[] background = new long[2]; // snapshots, checkpoint: written on the durable writes' thread
          durable.submit(() -> {
            long t0 = System.nanoTime();
            files.add(checkpoints.writeSnapshots(round, ended));
            background[0] = System.nanoTime() - t0;
          });
          // The learner changes the networks that the previous round's checkpoint writes.
          DurableWrites.await(committing);
          long waitNanos = clock.lap();

          // ---- targets and advantages; fit the critic, then the actor ----
          Learning.Learned learned = learning.learn(sample, u, layout.trajectoryRound(u).toString(), normalizer);
          normalizer = learned.normalizer();
          envSteps += learned.stats().samples();
          long learnNanos = clock.lap();
          newest = policy(learner, normalizer);
          sampling.updated(u, sample, newest, actors, envSteps);

          // ---- evaluate the updated policy, greedily, at the interval and at the end ----
          RoundRecord.Eval eval = RoundRecord.Eval.NONE;
          boolean last = envSteps >= totalSteps;
          long before = envSteps - learned.stats().samples();
          if (last || (evalEvery > 0 && before / evalEvery != envSteps / evalEvery)) {
            Sampling.Policy evaluated = newest;
            String what = (sample.group() < 0 ? "round " : "update ") + u + ": evaluate";
            eval = RoundRecord.Eval.of(onExecutors(() -> rollout.evaluate(evaluated.actor(), evaluated.normalizer(),
                config.eval().episodes(), true, what)));
            solved = config.eval().hasTarget() && eval.evalReturnMean() >= config.eval().targetReturn();
          }
          long evalNanos = clock.lap();

          // ---- checkpoint, then commit the round (the last write), then report: on the durable
          //      writes' thread, while the next round rolls out ----
          RoundRecord.Episodes endedEpisodes = RoundRecord.Episodes.of(sample.parts());
          episodes += endedEpisodes.episodesInRound();
          double wall = start.wallSeconds() + (System.nanoTime() - wallStart) / 1e9;
          RunState state = new RunState(u, u + 1, envSteps, episodes, config.run().seed(), wall, renderedConfig);
          Checkpoints.Normalization statistics = new Checkpoints.Normalization(normalizer, learner.rewardScaler());
          RoundRecord.Totals totals = new RoundRecord.Totals(envSteps, episodes);
          RoundRecord.Source source = source(sample, u, learned);
          long handOffNanos = waitNanos + clock.lap();
          long totalNanos = clock.total(); // the round's time on the critical path: the next one starts now
          long samples = learned.stats().samples();
          long stepsNow = envSteps;
          RoundRecord.Eval evalDone = eval;
          committing = durable.submit(() -> {
            long t0 = System.nanoTime();
            files.addAll(checkpoints.write(round, learner.actor(), learner.critic(), state, statistics));
            background[1] = System.nanoTime() - t0;
            RoundRecord record = new RoundRecord(round, round, totals, endedEpisodes,
                RoundRecord.Losses.of(learned.stats()), evalDone,
                RoundRecord.Phases.of(rolloutNanos, sample.computeNanos(), sample.writeNanos(), learned.readNanos(),
                    learnNanos - learned.readNanos(), evalNanos, background[0] + background[1], totalNanos, wall),
                source, files);
            long t1 = System.nanoTime();
            manifest.commit(record);
            history.add(record);
            long t2 = System.nanoTime();
            manifest.appendMetrics(record, history);
            long t3 = System.nanoTime();
            RoundProfile.Round phases = new RoundProfile.Round(round, new long[] {rolloutNanos, sample.computeNanos(),
                sample.writeNanos(), learnNanos, learned.readNanos(), evalNanos, handOffNanos, background[0],
                background[1], t2 - t1, t3 - t2}, totalNanos, samples);
            profiled.add(phases);
            log.info(progressLine(record, config,
                Pace.of(stepsNow - paceSteps, System.nanoTime() - paceStart, totalSteps - stepsNow)));
            if (profile) {
              log.info(RoundProfile.line(phases));
            } else if (log.isDebugEnabled()) {
              log.debug(RoundProfile.line(phases));
            }
          });
        }
        DurableWrites.await(committing);
        profileSummary = profiled.summary();
        if (profile && profileSummary != null) {
          log.info(profileSummary);
        }
        // ---- the run is over: what is still sampling is not learned from ----
        sampling.finish();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        sampling.abort();
        durable.settle(e);
        throw new IllegalStateException("training of " + layout.root() + " was interrupted", e);
      } catch (RuntimeException | Error e) {
        sampling.abort();
        durable.settle(e);
        throw e;
      }
    }
    return new TrainResult(List.copyOf(history), solved);
  }

  private Sampling.Policy policy(Learner learner, ObservationNormalizer normalizer) {
    return new Sampling.Policy(learner.actorWeights(), learner.criticWeights(), normalizer);
  }

  private static RoundRecord.Source source(Sampling.Sample sample, int u, Learning.Learned learned) {
    if (sample.group() < 0) {
      return RoundRecord.Source.synchronous(u);
    }
    return new RoundRecord.Source(sample.group(), sample.version(), u - sample.version(), learned.rho().rhoMean(),
        learned.rho().rhoMax(), learned.rho().correctedFraction());
  }

  /**
   * Where a run starts: a new run's networks, or the last committed round's checkpoint, snapshots,
   * statistics, history and counters. {@code actors} is null for a new run (the sampling strategy
   * knows how its actors start). A resume keeps the run's fixed keys ({@link FixedKeys}) and sets
   * changed learning rates on the restored networks.
   */
  record Start(int firstRound, MultiLayerNetwork actor, MultiLayerNetwork critic, ActorSnapshot[] actors,
      ObservationNormalizer normalizer, RewardScaler rewardScaler, List<RoundRecord> history, long envSteps,
      long episodes, double wallSeconds) {

    static Start of(TrainConfig config, Storage storage, RunLayout layout, Checkpoints checkpoints,
        Manifest manifest, StartMode mode, Environment probe) {
      int obsSize = probe.observationSpace().flatSize();
      List<RoundRecord> history = RunFolder.prepare(storage, layout, manifest, mode);
      if (history.isEmpty()) {
        return new Start(0, Networks.actor(obsSize, probe.actionSpace(), config), Networks.critic(obsSize, config),
            null, initialNormalizer(config, obsSize), null, List.of(), 0, 0, 0);
      }
      int committed = history.get(history.size() - 1).round();
      RunState state = checkpoints.readState(committed);
      TrainConfig before = ConfigLoader.parse(state.config(), List.of());
      FixedKeys.check(before, config, layout.root());
      MultiLayerNetwork actor = checkpoints.readActor(committed);
      MultiLayerNetwork critic = checkpoints.readCritic(committed);
      applyLearningRates(before, config, actor, critic);
      Checkpoints.Normalization saved = checkpoints.readNormalization(committed);
      // metrics.csv is derived from the manifest, and rewritten from it once here: a run killed
      // between a commit and its append left it a round short, or its last line torn.
      manifest.writeMetricsCsv(history);
      log.info("resuming {} after committed round {} ({} env steps)", layout.root(), committed, state.envSteps());
      return new Start(committed + 1, actor, critic, checkpoints.readSnapshots(committed), saved.observations(),
          saved.rewards(), history, state.envSteps(), state.episodes(), state.wallSeconds());
    }
  }

  /**
   * The Parquet files the rollout tasks wrote into round {@code round}'s folder, with the sizes and
   * checksums the tasks computed as they wrote them.
   */
  static List<RunFile> committedParquet(RunLayout layout, int round, List<RolloutResult> parts) {
    List<RunFile> files = new ArrayList<>(parts.size() + 5);
    for (RolloutResult p : parts) {
      String name = new org.apache.hadoop.fs.Path(p.file()).getName();
      files.add(RunFile.of(layout.relative(new org.apache.hadoop.fs.Path(layout.trajectoryRound(round), name)),
          p.fileDigest()));
    }
    return files;
  }

  /**
   * The restored networks keep the learning rates they were saved with: a resume that changes
   * {@code learner.actor-learning-rate} or {@code learner.critic-learning-rate} sets the new rate
   * on them (their optimizer state stays). Unchanged rates are left alone.
   */
  static void applyLearningRates(TrainConfig before, TrainConfig now, MultiLayerNetwork actor,
      MultiLayerNetwork critic) {
    if (before.learner().actorLearningRate() != now.learner().actorLearningRate()) {
      actor.setLearningRate(now.learner().actorLearningRate());
    }
    if (before.learner().criticLearningRate() != now.learner().criticLearningRate()) {
      critic.setLearningRate(now.learner().criticLearningRate());
    }
  }

  static ObservationNormalizer initialNormalizer(TrainConfig config, int obsSize) {
    return config.normalize().observations() ? ObservationNormalizer.initial(obsSize, config.normalize().clip())
        : null;
  }

  /**
   * Fails with a configuration error when the learner cannot train this action space:
   * {@code learner.mode = spark} fits discrete (categorical) policies only. Jobs call it before any
   * Spark work.
   */
  public static void checkLearnerSupports(TrainConfig config, io.sparkac.env.Space actionSpace) {
    if (config.learner().mode() == TrainConfig.LearnerMode.SPARK && !(actionSpace instanceof io.sparkac.env.Space.Discrete)) {
      throw new io.sparkac.config.ConfigException("learner.mode", "spark",
          "fits discrete action spaces only, and " + config.env().name()
              + " has a continuous one (" + actionSpace + "); use learner.mode = driver");
    }
  }

  /** Spark work that may throw what Scala does not declare. */
  @FunctionalInterface
  interface SparkWork<T> {
    T get() throws Exception;
  }

  /**
   * Runs a Spark job. A non-finite value found in a task (an observation or a reward) reaches the
   * caller as a {@link NonFiniteValueException} with the task's message ("round 3: reward of
   * actor 5 is NaN"), not inside Spark's "Job aborted due to stage failure" text; Spark's
   * exception is its cause.
   */
  static <T> T onExecutors(SparkWork<T> job) throws InterruptedException {
    try {
      return job.get();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // SparkException is checked in Java but not declared by Scala's collect()
      NonFiniteValueException nf = Causes.find(e, NonFiniteValueException.class);
      if (nf != null) {
        throw new NonFiniteValueException(nf.getMessage(), e);
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * The run's pace in this process: env steps per second since its first round started (a resumed
   * run counts from its resume), and the seconds left to {@code run.total-steps} at that pace
   * (NaN before any step).
   */
  record Pace(double stepsPerSecond, double secondsLeft) {
    static Pace of(long steps, long nanos, long stepsLeft) {
      double rate = nanos <= 0 ? 0 : steps / (nanos / 1e9);
      return new Pace(rate, rate > 0 ? Math.max(0, stepsLeft) / rate : Double.NaN);
    }

    /** {@code 7,877 steps/s | eta 1m02s}; the time left as 42s, 3m07s or 2h05m, "-" when unknown. */
    String format() {
      return String.format("%,.0f steps/s | eta %s", stepsPerSecond, duration(secondsLeft));
    }

    static String duration(double seconds) {
      if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
        return "-";
      }
      long s = Math.round(seconds);
      if (s < 60) {
        return s + "s";
      }
      if (s < 3600) {
        return String.format("%dm%02ds", s / 60, s % 60);
      }
      long m = Math.round(seconds / 60);
      return String.format("%dh%02dm", m / 60, m % 60);
    }
  }

  /**
   * The round's progress line: {@code round N (of at most M)} in synchronized mode (a run with a
   * target return may stop before its step budget), {@code update N | group ...} in async mode;
   * it ends with the run's pace: env steps/s in this process and the time left to the step budget.
   */
  static String progressLine(RoundRecord r, TrainConfig config, Pace pace) {
    RoundRecord.Source s = r.source();
    StringBuilder sb = new StringBuilder();
    if (s.group() < 0) {
      sb.append(String.format("round %d (of at most %d) | steps %,d", r.round(), config.rounds(),
          r.totals().envSteps()));
    } else {
      sb.append(String.format("update %d | group %d, version %d (stale %d) | steps %,d/%,d", r.round(), s.group(),
          s.sampleVersion(), s.staleness(), r.totals().envSteps(), config.run().totalSteps()));
    }
    RoundRecord.Episodes e = r.episodes();
    RoundRecord.Losses l = r.losses();
    sb.append(String.format(" | return %s (%d ep) | len %s | v_loss %.3g | entropy %.3f | ev %.2f",
        fmt(e.episodeReturnMean()), e.episodesInRound(), fmt(e.episodeLengthMean()), l.valueLoss(), l.entropy(),
        l.explainedVariance()));
    if (s.group() >= 0) {
      sb.append(String.format(" | rho %.3f (max %.2f, %.0f%% corrected)", s.rhoMean(), s.rhoMax(),
          100 * s.correctedFraction()));
    }
    if (r.evaluated()) {
      sb.append(String.format(" | eval %.1f +- %.1f", r.eval().evalReturnMean(), r.eval().evalReturnStd()));
    }
    RoundRecord.Phases p = r.phases();
    sb.append(String.format(" | %.2fs (rollout %.2f, learn %.2f, overhead %.2f) | wall %.1fs", p.roundSeconds(),
        p.rolloutSeconds(), p.learnSeconds(), p.overheadSeconds(), p.wallSeconds()));
    sb.append(" | ").append(pace.format());
    return sb.toString();
  }

  /** A mean for the progress line: one decimal, "-" when there was nothing to average. */
  static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.1f", v);
  }
}
