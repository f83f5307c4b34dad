package io.sparkac.learner;

import io.sparkac.config.TrainConfig;
import io.sparkac.learner.TargetBlocks.ActorTotals;
import io.sparkac.nn.MlpWeights;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The driver learner's update for a round larger than {@code learner.driver-max-samples}: the
 * round is never collected. The executors read its Parquet and compute the inputs, V(s), V(s'),
 * targets and advantages ({@link TargetBlocks}, as for {@link SparkLearner}) and keep them cached;
 * the driver gathers one small record of sums per actor (for the statistics, the advantage
 * normalisation and the observation statistics), then fits the critic and then the actor on the
 * driver, as {@link Learner} does, from a stream of blocks of at most
 * {@code learner.driver-max-samples} samples ({@code toLocalIterator}: one block, one partition,
 * at a time).
 *
 * <p>The minibatch order of each (round, network, epoch) is a {@link SeededPermutation} of the
 * rows' global indices (actors in id order, each actor's rows in time order), seeded with (run
 * seed, round, network, epoch): each row finds its position on the executor, the rows are
 * shuffled to the block that holds that position, and the driver fits the blocks in order. The
 * per-actor sums are added up in actor order with Chan et al.'s pairwise formulas. So the update
 * depends on the seed and the actors only, never on the partitioning or the master; it is not the
 * collected path's update (which shuffles with a Fisher-Yates pass over all rows), only as
 * deterministic. Reward scaling is not supported here ({@link TrainConfig} refuses it).
 *
 * <p>Driver only. The fits use the {@link Learner}'s training steps ({@link Learner#step}), one after
 * the other: each network's fit is the same as on two threads, and only one block is held.
 */
public final class StreamingLearner {
  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final Learner learner;
  private long maxSamplesHeld;

  /** The update's statistics, and the observation statistics with the round merged in (or null). */
  public record Update(LearnerStats stats, ObservationNormalizer normalizer) {}

  public StreamingLearner(SparkSession spark, TrainConfig config, Learner learner) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.learner = learner;
  }

  /**
   * The most samples of a round the driver has held at once (one streamed block), over every
   * update so far: at most {@code learner.driver-max-samples}.
   */
  public long maxSamplesHeld() {
    return maxSamplesHeld;
  }

  /**
   * One synchronized update from the round stored in {@code roundDir}, sampled with the
   * observation statistics {@code normalizer} (null: raw observations).
   */
  public Update update(String roundDir, int round, ObservationNormalizer normalizer) {
    TrainConfig.Learner l = config.learner();
    MlpWeights actorWeights = learner.actorWeights();

    // ---- on the executors: each actor's rows in one partition, in time order; targets and advantages ----
    JavaRDD<TargetBlocks.Block> blocks = TargetBlocks.read(spark, roundDir, config.rollout().partitions(),
        learner.criticWeights(), actorWeights, normalizer, l.gamma(), l.effectiveLambda());
    Broadcast<long[]> offsets = null;
    try {
      // ---- on the driver: one record of sums per actor, added up in actor order ----
      jsc.setJobDescription("round " + round + ": targets and advantages");
      List<ActorTotals> perActor = TargetBlocks.perActor(blocks, round, roundDir);
      ActorTotals t = TargetBlocks.sum(perActor);
      long[] offset = new long[perActor.get(perActor.size() - 1).actorId() + 1];
      long rows = 0;
      for (ActorTotals a : perActor) {
        offset[a.actorId()] = rows; // global index of the actor's first row
        rows += a.n();
      }
      t.requireFiniteLosses(round);
      offsets = jsc.broadcast(offset);

      // ---- fit the critic (regression to the targets), then the actor (labels: the advantages,
      //      normalised with the round's mean and sample standard deviation, see Actions) ----
      TargetBlocks.Standardization a = t.advantageStandardization(l.normalizeAdvantages());
      long t0 = System.nanoTime();
      learner.beginFits();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(0, 1, blocks, offsets, t.n(), round, epoch, 0, 1);
      }
      long t1 = System.nanoTime();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(1, actorWeights.outputSize(), blocks, offsets, t.n(), round, epoch, a.shift(), a.scale());
      }
      learner.endFits();
      long t2 = System.nanoTime();
      NonFiniteValueException.requireFinite(round, "critic weights", learner.critic().params());
      NonFiniteValueException.requireFinite(round, "actor weights", learner.actor().params());
      LearnerStats stats = t.stats(learner.criticGradNorm(), learner.actorGradNorm(), t1 - t0, t2 - t1);
      return new Update(stats, normalizer == null ? null : normalizer.merge(t.obs()));
    } finally {
      blocks.unpersist(false);
      if (offsets != null) {
        offsets.destroy();
      }
      jsc.clearJobGroup();
    }
  }

  /**
   * Fits {@code net} for one epoch: the rows go to the blocks of their positions in the epoch's
   * seeded order, and the driver fetches the blocks one by one, in order, each a whole number of
   * minibatches (the last minibatch of the round may be smaller, as in {@link Learner}).
   */
  private void fit(int which, int outputs, JavaRDD<TargetBlocks.Block> blocks,
      Broadcast<long[]> offsets, long n, int round, int epoch, double shift, double scale) {
    int mb = (int) Math.min(config.learner().minibatchSize(), n);
    int blockRows = (int) Math.min(n, (long) (config.learner().driverMaxSamples() / mb) * mb);
    int count = (int) ((n + blockRows - 1) / blockRows);
    SeededPermutation order = new SeededPermutation(n, Seeds.mix(config.run().seed(), Seeds.SHUFFLE, round, which,
        epoch));
    JavaRDD<FitBlock> stream = blocks
        .flatMapToPair(new Pieces(order, offsets, blockRows, which, outputs, shift, scale))
        .partitionBy(new HashPartitioner(count)) // key b < count: partition b holds block b
        .mapPartitions(new Assemble(outputs), true);
    jsc.setJobDescription("round " + round + ": fit " + (which == 0 ? "critic" : "actor") + ", epoch " + epoch
        + ", " + count + " streamed blocks");
    Iterator<FitBlock> it = stream.toLocalIterator();
    int xSize = -1;
    while (it.hasNext()) {
      FitBlock b = it.next();
      maxSamplesHeld = Math.max(maxSamplesHeld, b.rows);
      xSize = b.x.length / b.rows;
      for (int start = 0; start < b.rows; start += mb) {
        int size = Math.min(mb, b.rows - start);
        float[] xs = java.util.Arrays.copyOfRange(b.x, start * xSize, (start + size) * xSize);
        float[] ys = java.util.Arrays.copyOfRange(b.y, start * outputs, (start + size) * outputs);
        learner.step(which, xs, xSize, ys, outputs, size, round);
      }
    }
  }

  /** The rows of one partition bound for one block: their positions within the block, inputs and labels. */
  static final class Piece implements Serializable {
    int[] position;
    float[] x;
    float[] y;
  }

  /**
   * Executor side: each row's position in the epoch's order (from its global index: the offset of
   * its actor plus its step), and the rows grouped into one {@link Piece} per destination block.
   * {@code which} 0: the critic (label = target); 1: the actor (label = normalised advantage on
   * the taken action's column, or after the continuous action).
   */
  record Pieces(SeededPermutation order, Broadcast<long[]> offsets, int blockRows, int which, int outputs,
      double shift, double scale) implements PairFlatMapFunction<TargetBlocks.Block, Integer, Piece> {
    @Override
    public Iterator<Tuple2<Integer, Piece>> call(TargetBlocks.Block b) {
      long[] offset = offsets.value();
      int n = b.rows();
      long[] position = new long[n];
      java.util.Map<Integer, int[]> counts = new java.util.TreeMap<>();
      for (int i = 0; i < n; i++) {
        position[i] = order.apply(offset[b.actorId()[i]] + b.step()[i]);
        counts.computeIfAbsent((int) (position[i] / blockRows), k -> new int[1])[0]++;
      }
      java.util.Map<Integer, Piece> pieces = new java.util.TreeMap<>();
      for (var e : counts.entrySet()) {
        Piece p = new Piece();
        int size = e.getValue()[0];
        p.position = new int[size];
        p.x = new float[size * b.xSize()];
        p.y = new float[size * outputs];
        pieces.put(e.getKey(), p);
        e.getValue()[0] = 0; // now the fill count
      }
      for (int i = 0; i < n; i++) {
        int block = (int) (position[i] / blockRows);
        Piece p = pieces.get(block);
        int r = counts.get(block)[0]++;
        p.position[r] = (int) (position[i] - (long) block * blockRows);
        System.arraycopy(b.inputs(), i * b.xSize(), p.x, r * b.xSize(), b.xSize());
        b.label(which, i, p.y, r, shift, scale);
      }
      List<Tuple2<Integer, Piece>> out = new ArrayList<>(pieces.size());
      pieces.forEach((k, v) -> out.add(new Tuple2<>(k, v)));
      return out.iterator();
    }
  }

  /** One block of the epoch's order: {@code rows} consecutive positions, inputs and labels. */
  static final class FitBlock implements Serializable {
    int rows;
    float[] x;
    float[] y;
  }

  /**
   * Executor side: the pieces of one block placed at their positions; the order the pieces arrive
   * in does not matter.
   */
  static final class Assemble implements FlatMapFunction<Iterator<Tuple2<Integer, Piece>>, FitBlock> {
    private final int outputs;

    Assemble(int outputs) {
      this.outputs = outputs;
    }

    @Override
    public Iterator<FitBlock> call(Iterator<Tuple2<Integer, Piece>> it) {
      List<Piece> pieces = new ArrayList<>();
      int rows = 0;
      while (it.hasNext()) {
        Piece p = it.next()._2();
        pieces.add(p);
        rows += p.position.length;
      }
      if (rows == 0) {
        return Collections.emptyIterator();
      }
      int xSize = pieces.get(0).x.length / pieces.get(0).position.length;
      FitBlock b = new FitBlock();
      b.rows = rows;
      b.x = new float[rows * xSize];
      b.y = new float[rows * outputs];
      for (Piece p : pieces) {
        for (int r = 0; r < p.position.length; r++) {
          int at = p.position[r];
          System.arraycopy(p.x, r * xSize, b.x, at * xSize, xSize);
          System.arraycopy(p.y, r * outputs, b.y, at * outputs, outputs);
        }
      }
      return List.of(b).iterator();
    }
  }
}
