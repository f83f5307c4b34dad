package io.sparkac.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Refuses, before any Spark work, a configuration whose round, evaluation or networks cannot fit
 * the driver's or an executor's heap: {@code rollout.actors = 1e9} or {@code eval.episodes = 1e9}
 * ended in {@code Java heap space} after Spark had started (and left a run folder behind),
 * {@code steps-per-actor = 2e9} in "integer overflow", {@code network.hidden = [65536, 65536]} in
 * {@code std::bad_alloc}.
 *
 * <p>{@link #estimate} is a pure function of the configuration and the environment's
 * {@link Shapes} (known from the driver's probe): the bytes of the large arrays each phase holds,
 * per row and per actor as the code allocates them (see the constants), in saturating long
 * arithmetic, so that no product overflows. It is an estimate of what the project's own arrays
 * need, not of everything in the heap. So {@link #check} lets a phase use at most half of what
 * Spark leaves of a heap after its reserved 300 MB: the rest is Spark's own (block manager,
 * serialized task results, shuffle buffers), the JVM's, and the garbage collector's headroom (a
 * heap whose live data exceeds about half of it spends its time collecting; G1 starts its
 * concurrent cycles at 45% occupancy). A single array of more than 2^31-1 elements cannot exist
 * in Java, whatever the heap: such a count is refused as well.
 *
 * <p>The driver's phases (a round's rows in the learner, the actors' snapshots, an evaluation's
 * results, the networks) are checked against the driver's heap one by one, as they do not
 * overlap much; a rollout or evaluation task, with the executor's share of the broadcast, against
 * the executor's heap divided among its concurrent tasks. In local mode the tasks run in the
 * driver's JVM: the executor's heap is the driver's and local[N] runs N tasks at once.
 */
public final class MemoryCheck {
  /** Spark's reserved system memory (RESERVED_SYSTEM_MEMORY_BYTES), not available to tasks. */
  static final long SPARK_RESERVED = 300L << 20;
  /** Parquet's default row-group size: a task's writer buffers at most about this much. */
  static final long PARQUET_ROW_GROUP = 128L << 20;
  /** Per environment of a task: the environment object, its generator and per-actor bookkeeping (generous). */
  static final long ENV_BYTES = 512;
  /** Per evaluation episode on the driver: its result record, its serialized form and the sort's boxes. */
  static final long EPISODE_BYTES = 128;
  static final long MAX_ARRAY = Integer.MAX_VALUE;

  private MemoryCheck() {}

  /**
   * What the driver's environment probe tells: observation size, outputs of the actor (logits, or
   * 2 x dims of a Gaussian), continuous action size (0 for discrete actions), the length of
   * {@code Environment.state()} and the time limit of an episode.
   */
  public record Shapes(int obsSize, int actorOutputs, int actionSize, int envStateSize, int maxEpisodeSteps) {
    /** The shapes of an environment (the driver's probe; it is reset once to read its state's size). */
    public static Shapes of(io.sparkac.env.Environment env) {
      int obs = env.observationSpace().flatSize();
      env.reset(0, new float[obs]);
      double[] state = env.state();
      int stateSize = state == null ? 0 : state.length;
      if (env.actionSpace() instanceof io.sparkac.env.Space.Box box) {
        return new Shapes(obs, 2 * box.dims(), box.dims(), stateSize, env.maxEpisodeSteps());
      }
      return new Shapes(obs, ((io.sparkac.env.Space.Discrete) env.actionSpace()).n(), 0, stateSize,
          env.maxEpisodeSteps());
    }
  }

  /**
   * The heaps to compare with: the driver's ({@code Runtime.maxMemory()}), an executor's
   * ({@code spark.executor.memory}; local mode: the driver's) and the tasks an executor runs at
   * once ({@code spark.executor.cores / spark.task.cpus}; local[N]: N).
   */
  public record Limits(long driverHeap, long executorHeap, int tasksPerExecutor, boolean local) {
    public Limits {
      tasksPerExecutor = Math.max(1, tasksPerExecutor);
    }

    /**
     * The limits from a Spark configuration (as {@code new SparkConf().getAll()} gives it before
     * any session starts: spark-submit's {@code --conf}, {@code spark-defaults.conf}) and the
     * driver's heap. No {@code spark.master}: local mode with the machine's cores.
     */
    public static Limits of(Map<String, String> sparkConf, long driverHeap, int machineCores) {
      String master = sparkConf.getOrDefault("spark.master", "local[*]");
      int taskCpus = Math.max(1, parseInt(sparkConf.getOrDefault("spark.task.cpus", "1"), 1));
      if (master.startsWith("local")) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local(?:-cluster)?\\[([^,\\]]+)").matcher(master);
        int cores = 1;
        if (m.find()) {
          cores = m.group(1).equals("*") ? machineCores : parseInt(m.group(1), machineCores);
        }
        if (master.startsWith("local-cluster")) {
          // local-cluster[workers, cores, memory MB]: executors are JVMs of their own
          String[] parts = master.substring(master.indexOf('[') + 1, master.indexOf(']')).split(",");
          long mem = parts.length == 3 ? parseInt(parts[2].trim(), 1024) * (1L << 20) : 1L << 30;
          return new Limits(driverHeap, mem, parseInt(parts.length > 1 ? parts[1].trim() : "1", 1) / taskCpus, false);
        }
        return new Limits(driverHeap, driverHeap, cores / taskCpus, true);
      }
      long executor = bytes(sparkConf.getOrDefault("spark.executor.memory", "1g"));
      int cores = parseInt(sparkConf.getOrDefault("spark.executor.cores", "1"), 1);
      return new Limits(driverHeap, executor, cores / taskCpus, false);
    }

    /** What a phase may use of a heap: half of what Spark leaves after its reserved memory. */
    static long usable(long heap) {
      return Math.max(0, heap - SPARK_RESERVED) / 2;
    }
  }

  /** Bytes each phase needs (saturated at Long.MAX_VALUE). */
  public record Estimate(long roundOnDriver, long snapshotsOnDriver, long evalOnDriver, long networksOnDriver,
      long rolloutTask, long evalTask, long broadcastOnExecutor) {}

  /**
   * The estimate for {@code c} with the environment's shapes; {@code evalRows}: the evaluation
   * writes its episodes' steps (the evaluate job), so a task holds them.
   */
  public static Estimate estimate(TrainConfig c, Shapes s, boolean evalRows) {
    long o = s.obsSize();
    long k = s.actorOutputs();
    long a = s.actionSize();
    // A RowBatch row: actor_id 4, episode_id 8, t 4, obs and next_obs 4o each, the action 4 and the
    // action vector 4a, reward 8, terminated, truncated and continues 1 each, logp 8, vf_pred 8.
    long batchRow = 47 + 8 * o + 4 * a;
    // The rows as the rollout tasks returned them (deserialized on the driver).
    long chunkRow = batchRow;
    // The merged round: a copy of the rows, and the merge's sort references (16 a row when unordered).
    long roundDataRow = batchRow + 16;
    // Learner.update: normalized obs and next_obs 8o, V(s), V(s'), advantages, targets, log pi 8 each,
    // the actor's outputs and labels 4k each, the critic's targets 4, two shuffle orders 8, scaled rewards 8.
    long learnerRow = 68 + 8 * o + 8 * k;

    TrainConfig.Rollout r = c.rollout();
    long roundRows = mul(r.actors(), r.stepsPerActor());
    long roundOnDriver;
    if (c.learner().mode() == TrainConfig.LearnerMode.SPARK) {
      roundOnDriver = 0;
    } else if (c.parallel().async()) {
      // every group's rows can be in flight at once; one group's update is merged and learned from
      roundOnDriver = add(mul(roundRows, chunkRow), mul(TrainConfig.samplesPerUpdate(r, c.parallel()),
          roundDataRow + learnerRow));
    } else if (c.streamsRounds()) {
      roundOnDriver = mul(c.learner().driverMaxSamples(), chunkRow + roundDataRow + learnerRow);
    } else {
      roundOnDriver = mul(roundRows, chunkRow + roundDataRow + learnerRow);
    }

    // ActorSnapshot: the record 64, its env state 16 + 8s, its observation 16 + 4o
    long snapshot = 96 + 8L * s.envStateSize() + 4 * o;
    // the previous round's, the broadcast's serialized copy and the new ones, plus per-actor
    // bookkeeping (references, streamed per-actor sums and offsets, reward scaler) 80
    long snapshotsOnDriver = mul(r.actors(), add(mul(3, snapshot), 80));

    long evalOnDriver = mul(c.eval().episodes(), EPISODE_BYTES);
    long networksOnDriver = add(networkBytes(c, s, s.actorOutputs()), networkBytes(c, s, 1));

    long actorsPerTask = ceilDiv(r.actors(), r.partitions());
    long rowsPerTask = mul(actorsPerTask, r.stepsPerActor());
    long widest = widest(c, s);
    // the batch and the serialized result for the driver; Parquet's buffers;
    // per actor: the environment, obs/netIn/next 12o, the forward passes' activations of both networks
    long rolloutTask = add(add(mul(rowsPerTask, 2 * batchRow), Math.min(mul(rowsPerTask, batchRow),
        PARQUET_ROW_GROUP)), mul(actorsPerTask, add(ENV_BYTES + snapshot + 12 * o, mul(widest, 16))));

    long evalParts = Math.min(c.eval().episodes(), r.partitions());
    long episodesPerTask = ceilDiv(c.eval().episodes(), evalParts);
    long evalTask = mul(episodesPerTask, add(ENV_BYTES + EPISODE_BYTES + 8 * o + 4 * k, mul(widest, 16)));
    if (evalRows) {
      // a RowBatch grows by doubling (up to 2x the rows), then trims to a copy: 3 copies of a row
      evalTask = add(evalTask, mul(mul(episodesPerTask, s.maxEpisodeSteps()), 3 * (47 + 8 * o)));
    }
    // per executor: the broadcast's snapshots (serialized and deserialized) and both networks' weights
    long broadcastOnExecutor = add(mul(r.actors(), mul(2, snapshot)),
        mul(8, add(parameters(c, s, s.actorOutputs()), parameters(c, s, 1))));
    return new Estimate(roundOnDriver, snapshotsOnDriver, evalOnDriver, networksOnDriver, rolloutTask, evalTask,
        broadcastOnExecutor);
  }

  /**
   * Throws a {@link ConfigException} naming the keys, the estimate and the limit when a count is
   * beyond a Java array or a phase of training (a round, the actors' snapshots, an evaluation, the
   * networks) cannot fit its heap.
   */
  public static void check(TrainConfig c, Shapes s, Limits limits, boolean evalRows) {
    checkArrays(c, s, evalRows, true);
    Estimate e = estimate(c, s, evalRows);
    // the driver's phases first, then what every executor and each task holds
    checkNetworks(c, e, limits);
    checkRound(c, e, limits, false);
    checkEvaluation(c, e, limits, false);
    checkBroadcast(c, e, limits);
    checkRound(c, e, limits, true);
    checkEvaluation(c, e, limits, true);
  }

  /**
   * The same for an evaluation alone (the evaluate job, {@code evalRows}: it records the steps):
   * its episodes and the networks, not a round.
   */
  public static void checkEvaluation(TrainConfig c, Shapes s, Limits limits, boolean evalRows) {
    checkArrays(c, s, evalRows, false);
    Estimate e = estimate(c, s, evalRows);
    checkNetworks(c, e, limits);
    checkEvaluation(c, e, limits, false);
    checkEvaluation(c, e, limits, true);
  }

  private static String driverMemory() {
    return "set SPARKAC_DRIVER_MEMORY / spark.driver.memory";
  }

  private static String executorMemory(Limits limits, boolean perTask) {
    String share = !perTask || limits.tasksPerExecutor() == 1 ? ""
        : " (1/" + limits.tasksPerExecutor() + " of it per task)";
    return (limits.local() ? driverMemory() + " (local mode: the tasks run in the driver)"
        : "set spark.executor.memory") + share;
  }

  /** What a task may use: its share of the executor's usable heap after the broadcast. */
  private static long taskLimit(Estimate e, Limits limits) {
    long perExecutor = Limits.usable(limits.executorHeap()) - e.broadcastOnExecutor();
    return Math.max(0, perExecutor) / limits.tasksPerExecutor();
  }

  /** Every executor holds the round's broadcast: the actors' snapshots and both networks' weights. */
  private static void checkBroadcast(TrainConfig c, Estimate e, Limits limits) {
    long executor = Limits.usable(limits.executorHeap());
    if (e.broadcastOnExecutor() > executor) {
      Map<String, Object> keys = new LinkedHashMap<>();
      keys.put("rollout.actors", c.rollout().actors());
      keys.put("network.hidden", c.network().hidden());
      throw tooLarge(keys, "a round's broadcast (the actors' snapshots and the networks' weights) needs",
          e.broadcastOnExecutor(), "on every executor", limits.executorHeap(), executor,
          executorMemory(limits, false) + ", or lower rollout.actors, or use smaller layers");
    }
  }

  private static void checkRound(TrainConfig c, Estimate e, Limits limits, boolean tasks) {
    TrainConfig.Rollout r = c.rollout();
    long driver = Limits.usable(limits.driverHeap());
    if (!tasks && e.roundOnDriver() > driver) {
      Map<String, Object> keys = new LinkedHashMap<>();
      String lower;
      if (c.streamsRounds()) {
        keys.put("learner.driver-max-samples", c.learner().driverMaxSamples());
        lower = "or lower learner.driver-max-samples";
      } else {
        keys.put("rollout.actors", r.actors());
        keys.put("rollout.steps-per-actor", r.stepsPerActor());
        if (c.parallel().async()) {
          keys.put("parallel.groups", c.parallel().groups());
          lower = "or lower rollout.actors or rollout.steps-per-actor (async updates are always collected)";
        } else {
          lower = "or lower rollout.actors, or lower learner.driver-max-samples to stream the round";
        }
      }
      throw tooLarge(keys, (c.parallel().async() ? "an update" : "a round") + " needs", e.roundOnDriver(),
          "on the driver", limits.driverHeap(), driver, driverMemory() + ", " + lower);
    }
    if (!tasks && e.snapshotsOnDriver() > driver) {
      throw tooLarge(Map.of("rollout.actors", r.actors()), "the actors' snapshots need", e.snapshotsOnDriver(),
          "on the driver", limits.driverHeap(), driver, driverMemory() + ", or lower rollout.actors");
    }
    long taskLimit = taskLimit(e, limits);
    if (tasks && e.rolloutTask() > taskLimit) {
      Map<String, Object> keys = new LinkedHashMap<>();
      keys.put("rollout.actors", r.actors());
      keys.put("rollout.partitions", r.partitions());
      keys.put("rollout.steps-per-actor", r.stepsPerActor());
      throw tooLarge(keys, "a rollout task needs", e.rolloutTask(), "on an executor", limits.executorHeap(),
          taskLimit, executorMemory(limits, true) + ", or raise rollout.partitions, or lower rollout.actors or "
              + "rollout.steps-per-actor");
    }
  }

  private static void checkEvaluation(TrainConfig c, Estimate e, Limits limits, boolean tasks) {
    long driver = Limits.usable(limits.driverHeap());
    if (!tasks && e.evalOnDriver() > driver) {
      throw tooLarge(Map.of("eval.episodes", c.eval().episodes()), "an evaluation needs", e.evalOnDriver(),
          "on the driver", limits.driverHeap(), driver, driverMemory() + ", or lower eval.episodes");
    }
    long taskLimit = taskLimit(e, limits);
    if (tasks && e.evalTask() > taskLimit) {
      Map<String, Object> keys = new LinkedHashMap<>();
      keys.put("eval.episodes", c.eval().episodes());
      keys.put("rollout.partitions", c.rollout().partitions());
      throw tooLarge(keys, "an evaluation task needs", e.evalTask(), "on an executor", limits.executorHeap(),
          taskLimit, executorMemory(limits, true) + ", or lower eval.episodes, or raise rollout.partitions");
    }
  }

  private static void checkNetworks(TrainConfig c, Estimate e, Limits limits) {
    long driver = Limits.usable(limits.driverHeap());
    if (e.networksOnDriver() > driver) {
      throw tooLarge(Map.of("network.hidden", c.network().hidden()), "the actor and the critic need",
          e.networksOnDriver(), "on the driver (weights, gradients and " + optimizerState(c) + ", copies, and "
              + "the activations of a minibatch of " + c.learner().minibatchSize() + ")", limits.driverHeap(), driver,
          driverMemory() + ", or use smaller layers");
    }
  }

  /** Counts that no Java array can hold, whatever the heap. */
  static void checkArrays(TrainConfig c, Shapes s, boolean evalRows, boolean rounds) {
    TrainConfig.Rollout r = c.rollout();
    long actorsPerTask = ceilDiv(r.actors(), r.partitions());
    long rowsPerTask = mul(actorsPerTask, r.stepsPerActor());
    long widestRow = Math.max(1, Math.max(s.obsSize(), Math.max(s.actionSize(), s.actorOutputs())));
    if (rounds && mul(rowsPerTask, widestRow) > MAX_ARRAY) {
      Map<String, Object> keys = new LinkedHashMap<>();
      keys.put("rollout.actors", r.actors());
      keys.put("rollout.partitions", r.partitions());
      keys.put("rollout.steps-per-actor", r.stepsPerActor());
      throw arrays(keys, "a rollout task's " + count(rowsPerTask) + " rows", rowsPerTask, widestRow,
          "raise rollout.partitions, or lower rollout.actors or rollout.steps-per-actor");
    }
    if (rounds && c.learner().mode() == TrainConfig.LearnerMode.DRIVER) {
      long held = c.parallel().async() ? TrainConfig.samplesPerUpdate(r, c.parallel())
          : Math.min(mul(r.actors(), r.stepsPerActor()), c.learner().driverMaxSamples());
      long widest = Math.max(1, Math.max(s.obsSize(), Math.max(s.actionSize(), s.actorOutputs())));
      if (mul(held, widest) > MAX_ARRAY) {
        Map<String, Object> keys = new LinkedHashMap<>();
        if (c.streamsRounds()) {
          keys.put("learner.driver-max-samples", c.learner().driverMaxSamples());
        } else {
          keys.put("rollout.actors", r.actors());
          keys.put("rollout.steps-per-actor", r.stepsPerActor());
        }
        throw arrays(keys, "the learner's " + count(held) + " samples", held, widest,
            "lower learner.driver-max-samples (rounds larger than it are streamed in blocks of that many)");
      }
    }
    List<Integer> sizes = layerSizes(c, s, s.actorOutputs());
    for (int i = 0; i + 1 < sizes.size(); i++) {
      if ((long) sizes.get(i) * sizes.get(i + 1) > MAX_ARRAY) {
        throw arrays(Map.of("network.hidden", c.network().hidden()), "a layer of " + sizes.get(i) + " x "
            + sizes.get(i + 1) + " weights", sizes.get(i), sizes.get(i + 1), "use smaller layers");
      }
    }
    if (evalRows) {
      long episodesPerTask = ceilDiv(c.eval().episodes(), Math.min(c.eval().episodes(), r.partitions()));
      long rows = mul(mul(episodesPerTask, s.maxEpisodeSteps()), 2); // a RowBatch doubles its capacity
      if (mul(rows, Math.max(1, s.obsSize())) > MAX_ARRAY) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("eval.episodes", c.eval().episodes());
        keys.put("rollout.partitions", r.partitions());
        throw arrays(keys, "an evaluation task's up to " + count(rows / 2) + " recorded steps (episodes of up to "
            + s.maxEpisodeSteps() + " steps)", rows, s.obsSize(), "lower eval.episodes (evaluate --episodes), or raise rollout.partitions");
      }
    }
  }

  private static ConfigException arrays(Map<String, Object> keys, String what, long n, long width, String fix) {
    return new ConfigException(keys, what + " would need arrays of " + count(mul(n, width)) + " elements, more than a "
        + "Java array holds (2^31-1); " + fix);
  }

  private static ConfigException tooLarge(Map<String, Object> keys, String what, long bytes, String where, long heap,
      long allowed, String fix) {
    return new ConfigException(keys, what + " about " + size(bytes) + " " + where + ", more than the " + size(allowed)
        + " a phase may use of its " + size(heap) + " heap (half of what Spark leaves); " + fix);
  }

  private static String optimizerState(TrainConfig c) {
    return c.learner().optimizer() == TrainConfig.Optimizer.ADAM ? "Adam's two moments" : "RMSProp's mean square";
  }

  /** Bytes of one network on the driver, {@code outputs} wide. */
  static long networkBytes(TrainConfig c, Shapes s, int outputs) {
    long p = parameters(c, s, outputs);
    long u = c.learner().optimizer() == TrainConfig.Optimizer.ADAM ? 2 : 1;
    // native (ND4J): weights, gradients, optimizer state; heap: 4 float copies (MlpWeights for the
    // learner, the broadcast and its serialized form), the checkpoint's zip of weights and state
    long params = mul(p, add(4 * (2 + u), add(4 * 4, 2 * 4 * (1 + u))));
    long width = 0;
    for (int w : layerSizes(c, s, outputs)) {
      width += w;
    }
    // activations, pre-activations and gradients of a minibatch
    return add(params, mul(mul(c.learner().minibatchSize(), width), 12));
  }

  /** Parameters of a network of {@code outputs} outputs: sum of (in + 1) x out over its layers. */
  static long parameters(TrainConfig c, Shapes s, int outputs) {
    List<Integer> sizes = layerSizes(c, s, outputs);
    long p = 0;
    for (int i = 0; i + 1 < sizes.size(); i++) {
      p = add(p, mul(sizes.get(i) + 1L, sizes.get(i + 1)));
    }
    return p;
  }

  private static List<Integer> layerSizes(TrainConfig c, Shapes s, int outputs) {
    List<Integer> sizes = new ArrayList<>();
    sizes.add(s.obsSize());
    sizes.addAll(c.network().hidden());
    sizes.add(outputs);
    return sizes;
  }

  private static long widest(TrainConfig c, Shapes s) {
    long w = Math.max(s.obsSize(), s.actorOutputs());
    for (int h : c.network().hidden()) {
      w = Math.max(w, h);
    }
    return w;
  }

  /** a * b, or Long.MAX_VALUE when it overflows (counts are never negative). */
  static long mul(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  static long add(long a, long b) {
    try {
      return Math.addExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** 6.1 TB, 4.0 GB, 512 KB (binary units, as -Xmx and spark.executor.memory count them). */
  static String size(long bytes) {
    String[] units = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    if (bytes == Long.MAX_VALUE) {
      return "more than 8 EB";
    }
    return u == 0 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  private static String count(long n) {
    return n == Long.MAX_VALUE ? "more than 2^63" : String.format(Locale.ROOT, "%,d", n);
  }

  private static int parseInt(String s, int fallback) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** A Spark memory string (512m, 4g; no unit: MiB, as spark.executor.memory reads it) in bytes. */
  static long bytes(String memory) {
    try {
      return mul(org.apache.spark.network.util.JavaUtils.byteStringAsMb(memory), 1L << 20);
    } catch (NumberFormatException e) {
      return 1L << 30; // Spark refuses it itself when it starts; assume its default meanwhile
    }
  }
}
