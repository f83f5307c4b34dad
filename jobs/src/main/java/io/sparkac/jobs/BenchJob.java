package io.sparkac.jobs;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.MemoryCheck;
import io.sparkac.config.TrainConfig;
import io.sparkac.learner.Learner;
import io.sparkac.learner.SparkLearner;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.rollout.Environments;
import io.sparkac.rollout.PolicySnapshot;
import io.sparkac.rollout.Rollout;
import io.sparkac.rollout.RolloutResult;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.StartMode;
import io.sparkac.train.TrainResult;
import io.sparkac.train.Trainer;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bench}: measures the pipeline's three headline figures on this machine and prints them
 * with medians and spread:
 * <ol>
 *   <li>rollout env steps/s per core (the tasks' stepping loop: env step, batched forward,
 *       sampling, row buffers) and for the whole rollout job (with the Parquet write);
 *   <li>learner samples/s (driver mode: V(s), V(s'), advantages, critic and actor fit);
 *   <li>the Spark overhead per round of real training rounds (all that is not stepping, inference
 *       or fitting), and how round time grows with the number of actors; the last row streams
 *       its rounds ({@code learner.driver-max-samples} below the round's size).
 * </ol>
 * Usage: {@code bench [config.conf] [--repeats N] [--dir URI] [--learner-modes] [key=value ...]}
 * (default: CartPole-v1). {@code --learner-modes} measures instead the learner's time per round in
 * {@code learner.mode = driver} and {@code spark} against the round's size.
 * Its runs go under {@code --dir}, any Hadoop URI the driver and the executors both reach; the
 * default, a local temporary folder, only works when they share a disk (local mode).
 */
@Command(name = "bench", header = "Measure rollout, learner and Spark overhead throughput.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "bench [config.conf] [--repeats N] [--dir URI] [--learner-modes | --actors N,N,...] [key=value ...]",
    description = {"Measure rollout env steps/s, learner samples/s and the Spark overhead per round (default"
        + " config: CartPole-v1)."},
    footer = {"%nExamples:", "  bench", "  bench conf/cartpole.conf --repeats 3",
        "  bench --learner-modes --dir hdfs://nn:8020/tmp/bench",
        "  bench conf/cartpole-256.conf --actors 16,64,256,1024,4096 --repeats 5   (round time against actors)"})
final class BenchJob implements Callable<Integer> {
  @Option(names = "--repeats", paramLabel = "N", description = "measured repeats of each figure (default: 7)")
  int repeats = 7;

  @Option(names = "--dir", paramLabel = "URI", description = "where the bench runs go, a Hadoop URI the driver and"
      + " the executors both reach (default: a local temporary folder, local mode only)")
  String dir;

  @Option(names = "--learner-modes", description = "measure the learner's time per round in learner.mode = driver"
      + " and spark against the round's size instead")
  boolean learnerModes;

  @Option(names = "--actors", paramLabel = "N,N,...", split = ",", description = "measure only the training rounds,"
      + " with these numbers of actors (each with the config's steps per actor), e.g. 16,64,256,1024,4096")
  List<Integer> actors;

  @Parameters(paramLabel = "config.conf | key=value", description = "a config file, and overrides")
  List<String> words = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Main.ConfigWords given = Main.ConfigWords.of("bench", words);
    Scratch scratch = new Scratch(dir == null ? Files.createTempDirectory("sparkac-bench").toUri().toString() : dir);
    TrainConfig config = given.load(List.of("run.dir=\"" + scratch.resolve("run") + "\""));
    // the user's config trains real rounds below: it must fit, checked before Spark starts
    MemoryCheck.check(config, MemoryCheck.Shapes.of(Environments.create(config.env())), Sessions.memoryLimits(),
        false);
    SparkSession spark = Sessions.get("sparkac bench");
    if (dir == null && !spark.sparkContext().isLocal()) {
      throw new Main.UsageException("bench: --dir is required with master " + spark.sparkContext().master()
          + ": a Hadoop URI (hdfs:, s3a:, or file: on a shared mount) that the driver and the executors both reach");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cores = jsc.defaultParallelism();
    System.out.printf("bench: %s, %s, %d cores (default parallelism), Java %s, %d repeats, JavaCPP maxPhysicalBytes %d%n",
        config.env().id(), spark.sparkContext().master(), cores, System.getProperty("java.version"), repeats,
        org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
    if (learnerModes) {
      return learnerModes(spark, jsc, config, scratch, cores, repeats);
    }

    if (actors != null) {
      for (int n : actors) {
        if (n < 1) {
          throw new Main.UsageException("bench: --actors " + n + ": a number of actors is at least 1");
        }
      }
      rounds(spark, config, scratch, cores, actors.stream().mapToInt(Integer::intValue).toArray(), false);
      return 0;
    }

    // ---- 1. rollout: 256 actors x 256 steps per round, one partition per core ----
    TrainConfig rolloutConfig = ConfigLoader.parse(ConfigLoader.render(config), List.of("rollout.actors=256",
        "rollout.steps-per-actor=256", "rollout.partitions=" + cores,
        "run.dir=\"" + scratch.resolve("rollout") + "\""));
    var probe = Environments.create(rolloutConfig.env());
    int obs = probe.observationSpace().flatSize();
    MultiLayerNetwork actorNet = Networks.actor(obs, probe.actionSpace(), rolloutConfig);
    MultiLayerNetwork criticNet = Networks.critic(obs, rolloutConfig);
    MlpWeights actorW = MlpWeights.of(actorNet, rolloutConfig.network().activation());
    MlpWeights criticW = MlpWeights.of(criticNet, rolloutConfig.network().activation());
    Rollout rollout = new Rollout(jsc, rolloutConfig);
    double[] perCore = new double[repeats];
    double[] stage = new double[repeats];
    double[] perJob = new double[repeats];
    long steps = rolloutConfig.stepsPerRound();
    String lastDir = null;
    int warmUp = 5; // rounds, until C2 has compiled the stepping loop
    for (int r = -warmUp; r < repeats; r++) {
      String roundDir = scratch.resolve("rollout", "round=" + (r + warmUp));
      long t0 = System.nanoTime();
      List<RolloutResult> parts = rollout.run(new PolicySnapshot(r + warmUp, 0, actorW, criticW, null, null), roundDir);
      long wall = System.nanoTime() - t0;
      long compute = parts.stream().mapToLong(RolloutResult::computeNanos).sum();
      long slowest = parts.stream().mapToLong(RolloutResult::computeNanos).max().orElse(1);
      if (r >= 0) {
        perCore[r] = steps / (compute / 1e9);
        // The partitions step at the same time, one per core: the stage ends with the slowest.
        stage[r] = steps / (slowest / 1e9);
        perJob[r] = steps / (wall / 1e9);
      }
      lastDir = roundDir;
    }
    System.out.printf("rollout  %,d steps/round: stepping loop %s env steps/s per core, %s on %d cores (slowest of "
        + "the parallel tasks); whole rollout job (%d partitions, with Parquet write) %s env steps/s%n", steps,
        stats(perCore), stats(stage), cores, cores, stats(perJob));

    // ---- 2. learner: driver-mode update on the last rollout round (65,536 samples) ----
    RowBatch data = TrajectoryReader.readRound(spark, lastDir);
    Learner learner = new Learner(rolloutConfig, actorNet, criticNet);
    double[] samplesPerSec = new double[repeats];
    for (int r = -1; r < repeats; r++) {
      long t0 = System.nanoTime();
      learner.update(data, 100 + r, null);
      long t = System.nanoTime() - t0;
      if (r >= 0) {
        samplesPerSec[r] = data.rows() / (t / 1e9);
      }
    }
    System.out.printf("learner  %,d samples, minibatch %d, %d epoch(s): %s samples/s%n", data.rows(),
        rolloutConfig.learner().minibatchSize(), rolloutConfig.learner().epochs(), stats(samplesPerSec));

    // ---- 3. Spark overhead per round, and round time against the number of actors ----
    rounds(spark, config, scratch, cores, new int[] {1, 4, 16, 64, 256, 256}, true);

    // ---- 4. memory: what a rollout task holds, against the number of actors ----
    System.out.println("memory   (rollout rounds of 64 steps per actor; \"peak growth\": the heap in use at its peak during"
        + " the round, sampled every millisecond, minus the heap in use after a GC before it, garbage included, so an"
        + " upper bound; \"step arrays\": the task's columns, 74 bytes a CartPole step; \"parquet\": the files written,"
        + " which the writer buffers in memory until it closes them)");
    for (int actorsN : new int[] {1_000, 4_000}) {
      TrainConfig c = ConfigLoader.parse(ConfigLoader.render(config), List.of("rollout.actors=" + actorsN,
          "rollout.steps-per-actor=64", "rollout.partitions=" + cores,
          "run.dir=\"" + scratch.resolve("memory-" + actorsN) + "\""));
      Rollout memRollout = new Rollout(jsc, c);
      double[] peakMb = new double[Math.max(3, Math.min(repeats, 5))];
      double fileMb = 0;
      for (int r = -1; r < peakMb.length; r++) {
        String roundDir = scratch.resolve("memory-" + actorsN, "round=" + (r + 1));
        System.gc();
        long before = heapUsed();
        HeapPeak peak = HeapPeak.begin();
        memRollout.run(new PolicySnapshot(r + 1, 0, actorW, criticW, null, null), roundDir);
        long top = peak.end();
        if (r >= 0) {
          peakMb[r] = Math.max(0, top - before) / 1e6;
          fileMb = parquetBytes(jsc, roundDir) / 1e6;
        }
      }
      // RowBatch's columns for a discrete action: actor_id 4, episode_id 8, t 4, obs 4 * n, next_obs 4 * n,
      // action 4, reward 8, terminated 1, truncated 1, action_logp 8, vf_pred 8 bytes.
      double stepBytes = 46 + 8.0 * obs;
      double arraysMb = stepBytes * actorsN * 64 / 1e6;
      System.out.printf("  %,6d actors: peak growth %s MB (%s MB per 1,000 actors); step arrays %.1f MB, parquet %.1f MB"
          + " (%.1f MB per 1,000 actors together)%n", actorsN, stats(peakMb),
          stats(java.util.Arrays.stream(peakMb).map(v -> v * 1000 / actorsN).toArray()), arraysMb, fileMb,
          (arraysMb + fileMb) * 1000 / actorsN);
    }
    return 0;
  }

  private static long parquetBytes(JavaSparkContext jsc, String dir) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir);
      return p.getFileSystem(jsc.hadoopConfiguration()).getContentSummary(p).getLength();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long heapUsed() {
    return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The largest heap in use seen by a thread that samples it every millisecond until stopped. */
  private static final class HeapPeak extends Thread {
    private volatile boolean running = true;
    private long max;

    static HeapPeak begin() {
      HeapPeak p = new HeapPeak();
      p.setDaemon(true);
      p.max = heapUsed();
      p.start();
      return p;
    }

    @Override
    public void run() {
      while (running) {
        max = Math.max(max, heapUsed());
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    long end() {
      running = false;
      try {
        join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Math.max(max, heapUsed());
    }
  }

  /**
   * The learner's part of a round (read the round, targets and advantages, fit the critic and the
   * actor) in both modes on the same rounds of 1k to 64k samples: medians of {@code repeats}
   * updates (after one warm-up of both at the smallest size), each from freshly initialised networks.
   */
  /**
   * Training rounds (eval off) with each number of actors, the config's steps per actor and one
   * partition per core (at most one per actor): the medians of the same rounds as the summary of
   * the phases that {@code train --profile} prints (the rounds after the first
   * {@link Trainer#COLD_ROUNDS} of the process), and that summary. With
   * {@code withStreamed}, the last count's rounds are streamed (learner.driver-max-samples a
   * quarter of a round).
   */
  private void rounds(SparkSession spark, TrainConfig config, Scratch scratch, int cores, int[] actorCounts,
      boolean withStreamed) {
    System.out.println("rounds   (training rounds, eval at the last round only; medians over the rounds after the first "
        + Trainer.COLD_ROUNDS + ", as train --profile; round: the critical path, the checkpoint and commit being written"
        + " while the next round rolls out; learn without read)");
    System.out.println("  actors  steps/round  round_ms  rollout_ms  compute_ms  write_ms  read_ms  learn_ms"
        + "  checkpoint_ms  overhead_ms (min..max)");
    // The last row streams its rounds (learner.driver-max-samples a quarter of a round): its
    // learn_ms holds the Spark jobs of the targets and of the streamed blocks.
    boolean streamable = !config.normalize().rewards() && config.learner().objective() == TrainConfig.Objective.A2C;
    for (int i = 0; i < actorCounts.length; i++) {
      int actorsN = actorCounts[i];
      boolean streamed = withStreamed && i == actorCounts.length - 1;
      if (streamed && !streamable) {
        System.out.println("  (no streamed row: streamed rounds support neither normalize.rewards nor "
            + "learner.objective = clipped)");
        break;
      }
      int parts = Math.min(actorsN, cores);
      long perRound = (long) actorsN * config.rollout().stepsPerActor();
      List<String> o = new ArrayList<>(List.of("rollout.actors=" + actorsN,
          "rollout.partitions=" + parts, "eval.interval-rounds=0", "eval.episodes=1", "eval.target-return=none",
          "run.total-steps=" + perRound * (repeats + Trainer.COLD_ROUNDS),
          "run.dir=\"" + scratch.resolve("actors-" + actorsN + (streamed ? "-streamed" : "")) + "\""));
      if (streamed) {
        o.add("learner.driver-max-samples=" + Math.max(config.learner().minibatchSize(), perRound / 4));
      }
      TrainConfig c = ConfigLoader.parse(ConfigLoader.render(config), o);
      Trainer trainer = new Trainer(spark, c, StartMode.FRESH);
      TrainResult result = trainer.run();
      // the rounds of the profile's summary (the JVM's first rounds are cold)
      List<RoundRecord> measured = result.rounds().subList(Trainer.COLD_ROUNDS, result.rounds().size());
      System.out.printf("  %6s  %11d  %8.1f  %10.1f  %10.1f  %8.1f  %7.1f  %8.1f  %13.1f  %s%n",
          streamed ? actorsN + "s" : String.valueOf(actorsN),
          c.stepsPerRound(), ms(measured, r -> r.phases().roundSeconds()), ms(measured, r -> r.phases().rolloutSeconds()),
          ms(measured, r -> r.phases().rolloutComputeSeconds()), ms(measured, r -> r.phases().writeSeconds()),
          ms(measured, r -> r.phases().readSeconds()), ms(measured, r -> r.phases().learnSeconds()),
          ms(measured, r -> r.phases().checkpointSeconds()), spreadMs(measured, r -> r.phases().overheadSeconds()));
      // the same figures as train --profile prints for a real run, commit included
      System.out.println("          " + trainer.profileSummary());
    }
    if (withStreamed && streamable) {
      System.out.println("  (256s: the same rounds streamed, learner.driver-max-samples a quarter of a round)");
    }
  }

  private static int learnerModes(SparkSession spark, JavaSparkContext jsc, TrainConfig config, Scratch scratch,
      int cores, int repeats) {
    System.out.printf("learner  read + targets + fit critic and actor, per round (minibatch %d, %d epoch(s), "
        + "spark: averaging frequency %d over %d tasks); median (min..max) of %d%n",
        config.learner().minibatchSize(), config.learner().epochs(), config.learner().averagingFrequency(), cores,
        repeats);
    System.out.println("  samples  driver_ms                 spark_ms                  spark/driver");
    for (int samples : new int[] {1024, 4096, 16384, 65536}) {
      TrainConfig c = ConfigLoader.parse(ConfigLoader.render(config), List.of("rollout.actors=" + samples / 256,
          "rollout.steps-per-actor=256", "rollout.partitions=" + Math.min(cores, samples / 256),
          "run.dir=\"" + scratch.resolve("learner-" + samples) + "\""));
      var probe = Environments.create(c.env());
      int obs = probe.observationSpace().flatSize();
      var actions = probe.actionSpace();
      String roundDir = scratch.resolve("learner-" + samples, "trajectories", "round=0");
      MultiLayerNetwork a0 = Networks.actor(obs, actions, c);
      MultiLayerNetwork c0 = Networks.critic(obs, c);
      new Rollout(jsc, c).run(new PolicySnapshot(0, 0, MlpWeights.of(a0, c.network().activation()),
          MlpWeights.of(c0, c.network().activation()), null, null), roundDir);
      double[] driverMs = new double[repeats];
      double[] sparkMs = new double[repeats];
      for (int r = samples == 1024 ? -1 : 0; r < repeats; r++) { // one warm-up, at the smallest round
        long t0 = System.nanoTime();
        RowBatch data = TrajectoryReader.readRound(spark, roundDir);
        new Learner(c, Networks.actor(obs, actions, c), Networks.critic(obs, c)).update(data, 0, null);
        long t1 = System.nanoTime();
        new SparkLearner(spark, c, Networks.actor(obs, actions, c), Networks.critic(obs, c)).update(roundDir, 0);
        long t2 = System.nanoTime();
        if (r >= 0) {
          driverMs[r] = (t1 - t0) / 1e6;
          sparkMs[r] = (t2 - t1) / 1e6;
        }
      }
      System.out.printf("  %7d  %-24s  %-24s  %.2f%n", samples, stats(driverMs), stats(sparkMs),
          median(sparkMs) / median(driverMs));
    }
    return 0;
  }

  /** The bench's runs folder: a Hadoop path, so that a cluster's executors can reach it. */
  private record Scratch(String root) {
    String resolve(String... names) {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root);
      for (String n : names) {
        p = new org.apache.hadoop.fs.Path(p, n);
      }
      return p.toString();
    }
  }

  private static double ms(List<RoundRecord> rounds, java.util.function.ToDoubleFunction<RoundRecord> f) {
    return median(rounds.stream().mapToDouble(f).toArray()) * 1000;
  }

  private static String spreadMs(List<RoundRecord> rounds, java.util.function.ToDoubleFunction<RoundRecord> f) {
    double[] v = rounds.stream().mapToDouble(f).map(x -> x * 1000).toArray();
    Arrays.sort(v);
    return String.format("%.1f (%.1f..%.1f)", median(v), v[0], v[v.length - 1]);
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** "median (min..max)". */
  static String stats(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return String.format("%,.0f (%,.0f..%,.0f)", median(v), v[0], v[v.length - 1]);
  }
}
