package io.sparkac.learner;

import static org.apache.spark.sql.functions.col;

import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import io.sparkac.trajectory.RoundChunk;
import io.sparkac.trajectory.RoundData;
import io.sparkac.trajectory.TrajectoryReader;
import io.sparkac.trajectory.TrajectorySchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * The driver learner's update for a round larger than {@code learner.driver-max-samples}: the
 * round is never collected. The executors read its Parquet (each actor's rows in one partition,
 * in time order) and compute the inputs, V(s), V(s'), targets and advantages with
 * {@link RoundTargets}, as {@link SparkLearner} does, and keep them cached; the driver gathers
 * one small record of sums per actor (for the statistics, the advantage normalisation and the
 * observation statistics), then fits the critic and then the actor on the driver, as
 * {@link Learner} does, from a stream of blocks of at most {@code learner.driver-max-samples}
 * samples ({@code toLocalIterator}: one block, one partition, at a time).
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
 * <p>Driver only. The fits use the {@link Learner}'s networks (and its gradient clips), one after
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
    MlpWeights criticWeights = learner.criticWeights();
    MlpWeights actorWeights = learner.actorWeights();

    // ---- on the executors: each actor's rows in one partition, in time order; targets and advantages ----
    JavaRDD<TargetBlock> blocks = TrajectoryReader.learnerColumns(spark, roundDir)
        .repartition(config.rollout().partitions(), col(TrajectorySchema.ACTOR_ID))
        .sortWithinPartitions(TrajectorySchema.ACTOR_ID, TrajectorySchema.EPISODE_ID, TrajectorySchema.T)
        .javaRDD()
        .mapPartitions(new TargetTask(criticWeights, actorWeights, normalizer, l.gamma(), l.effectiveLambda()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Broadcast<long[]> offsets = null;
    try {
      // ---- on the driver: one record of sums per actor, added up in actor order ----
      jsc.setJobDescription("round " + round + ": targets and advantages");
      List<ActorTotals> perActor = new ArrayList<>(blocks.flatMap(b -> b.totals.iterator()).collect());
      perActor.sort(Comparator.comparingInt(ActorTotals::actorId));
      if (perActor.isEmpty()) {
        throw new IllegalStateException("round " + round + ": no samples to learn from in " + roundDir);
      }
      ActorTotals t = perActor.get(0);
      long[] offset = new long[perActor.get(perActor.size() - 1).actorId() + 1];
      long rows = 0;
      for (int i = 0; i < perActor.size(); i++) {
        ActorTotals a = perActor.get(i);
        offset[a.actorId()] = rows; // global index of the actor's first row
        rows += a.n();
        t = i == 0 ? t : t.plus(a);
      }
      long n = t.n();
      double valueLoss = t.squaredError() / n;
      double policyLoss = t.policyLoss() / n;
      Learner.check(round, "critic value loss", valueLoss);
      Learner.check(round, "policy loss", policyLoss);
      double ev = t.target().variance() == 0 ? Double.NaN : 1 - t.residual().variance() / t.target().variance();
      offsets = jsc.broadcast(offset);

      // ---- fit the critic (regression to the targets), then the actor (labels A * onehot(a) for
      //      PolicyGradientLoss, [a, A, 0..] for GaussianPolicyLoss), A normalised with the round's
      //      mean and sample standard deviation as Advantages.normalize does ----
      double shift = 0;
      double scale = 1;
      if (l.normalizeAdvantages() && n > 1) {
        shift = t.advantage().mean();
        scale = Math.sqrt(t.advantage().m2() / (n - 1)) + 1e-8;
      }
      long t0 = System.nanoTime();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(learner.critic(), 0, 1, blocks, offsets, n, round, epoch, 0, 1);
      }
      long t1 = System.nanoTime();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(learner.actor(), 1, actorWeights.outputSize(), blocks, offsets, n, round, epoch, shift, scale);
      }
      long t2 = System.nanoTime();
      Learner.checkWeights(round, "critic weights", learner.critic());
      Learner.checkWeights(round, "actor weights", learner.actor());
      LearnerStats stats = new LearnerStats((int) n, valueLoss, policyLoss, t.entropy() / n, ev,
          t.advantage().mean(), Math.sqrt(t.advantage().variance()), learner.criticGradNorm(),
          learner.actorGradNorm(), t1 - t0, t2 - t1);
      return new Update(stats, normalizer == null ? null : merged(normalizer, t));
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
  private void fit(MultiLayerNetwork net, int which, int outputs, JavaRDD<TargetBlock> blocks,
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
        net.fit(new DataSet(Nd4j.create(xs, new long[] {size, xSize}, 'c'),
            Nd4j.create(ys, new long[] {size, outputs}, 'c')));
        Learner.check(round, which == 0 ? "critic loss" : "actor loss", net.score());
      }
    }
  }

  /** The observation statistics with the round's observations merged in, as {@link ObservationNormalizer#update}. */
  static ObservationNormalizer merged(ObservationNormalizer s, ActorTotals t) {
    int d = s.dims();
    double rows = t.n();
    double total = s.count() + rows;
    double[] newMean = new double[d];
    double[] newVar = new double[d];
    for (int k = 0; k < d; k++) {
      double batchVar = t.obsM2()[k] / rows;
      double delta = t.obsMean()[k] - s.mean()[k];
      newMean[k] = s.mean()[k] + delta * rows / total;
      double m2 = s.var()[k] * s.count() + batchVar * rows + delta * delta * s.count() * rows / total;
      newVar[k] = m2 / total;
    }
    return new ObservationNormalizer(newMean, newVar, total, s.clip());
  }

  /** Count, mean and sum of squared deviations of some values; {@link #plus} is Chan et al.'s merge. */
  record Moments(long n, double mean, double m2) implements Serializable {
    static Moments of(double[] v, int from, int to) {
      double sum = 0;
      for (int i = from; i < to; i++) {
        sum += v[i];
      }
      double mean = sum / (to - from);
      double m2 = 0;
      for (int i = from; i < to; i++) {
        m2 += (v[i] - mean) * (v[i] - mean);
      }
      return new Moments(to - from, mean, m2);
    }

    Moments plus(Moments o) {
      long total = n + o.n;
      double delta = o.mean - mean;
      return new Moments(total, mean + delta * o.n / total, m2 + o.m2 + delta * delta * n * o.n / total);
    }

    /** Population variance. */
    double variance() {
      return m2 / n;
    }
  }

  /**
   * Sums over one actor's rows (or, merged, over several actors'): squared critic error, policy
   * loss and entropy sums, moments of the advantages, targets and residuals (target - V), and of
   * each observation dimension (raw observations; null without observation normalisation).
   */
  record ActorTotals(int actorId, long n, double squaredError, double policyLoss, double entropy, Moments advantage,
      Moments target, Moments residual, double[] obsMean, double[] obsM2) implements Serializable {
    ActorTotals plus(ActorTotals o) {
      double[] mean = null;
      double[] m2 = null;
      if (obsMean != null) {
        mean = new double[obsMean.length];
        m2 = new double[obsMean.length];
        long total = n + o.n;
        for (int k = 0; k < mean.length; k++) {
          double delta = o.obsMean[k] - obsMean[k];
          mean[k] = obsMean[k] + delta * o.n / total;
          m2[k] = obsM2[k] + o.obsM2[k] + delta * delta * n * o.n / total;
        }
      }
      return new ActorTotals(actorId, n + o.n, squaredError + o.squaredError, policyLoss + o.policyLoss,
          entropy + o.entropy, advantage.plus(o.advantage), target.plus(o.target), residual.plus(o.residual), mean,
          m2);
    }
  }

  /**
   * One partition's rows after {@link RoundTargets}, each actor's rows whole and in time order:
   * what the fits need per row, the row's index within its actor's rows, and the per-actor sums.
   */
  static final class TargetBlock implements Serializable {
    int rows;
    int[] actorId;
    int[] step;
    int xSize;
    float[] inputs;
    int actionSize;
    int[] action;
    float[] actionVec;
    double[] target;
    double[] advantage;
    List<ActorTotals> totals;
  }

  /** Executor side: a partition's sorted rows to a {@link TargetBlock}. */
  static final class TargetTask implements FlatMapFunction<Iterator<Row>, TargetBlock> {
    private final MlpWeights critic;
    private final MlpWeights actor;
    private final ObservationNormalizer normalizer;
    private final double gamma;
    private final double lambda;

    TargetTask(MlpWeights critic, MlpWeights actor, ObservationNormalizer normalizer, double gamma, double lambda) {
      this.critic = critic;
      this.actor = actor;
      this.normalizer = normalizer;
      this.gamma = gamma;
      this.lambda = lambda;
    }

    @Override
    public Iterator<TargetBlock> call(Iterator<Row> it) {
      RoundChunk chunk = RoundChunk.pack(it).next();
      if (chunk.rows() == 0) {
        return Collections.emptyIterator();
      }
      RoundData d = RoundChunk.merge(List.of(chunk)); // sorted already: marks the episodes' continuations
      RoundTargets rt = RoundTargets.of(d, critic, actor, normalizer, gamma, lambda);
      int n = d.rows();
      TargetBlock b = new TargetBlock();
      b.rows = n;
      b.actorId = d.actorId();
      b.step = new int[n];
      b.xSize = d.obsSize();
      b.inputs = rt.inputs;
      b.actionSize = d.actionSize();
      b.action = d.action();
      b.actionVec = d.actionVec();
      b.target = rt.target;
      b.advantage = rt.advantage;
      b.totals = new ArrayList<>();
      double[] residual = new double[n];
      for (int i = 0; i < n; i++) {
        residual[i] = rt.target[i] - rt.value[i];
      }
      int obsSize = d.obsSize();
      for (int start = 0; start < n; ) {
        int end = start;
        while (end < n && d.actorId()[end] == d.actorId()[start]) {
          b.step[end] = end - start;
          end++;
        }
        double squaredError = 0;
        double policyLoss = 0;
        double entropy = 0;
        for (int i = start; i < end; i++) {
          squaredError += residual[i] * residual[i];
          policyLoss -= rt.advantage[i] * rt.logp[i];
          entropy += rt.entropy[i];
        }
        double[] obsMean = null;
        double[] obsM2 = null;
        if (normalizer != null) {
          obsMean = new double[obsSize];
          obsM2 = new double[obsSize];
          float[] obs = d.obs();
          for (int i = start; i < end; i++) {
            for (int k = 0; k < obsSize; k++) {
              obsMean[k] += obs[i * obsSize + k];
            }
          }
          for (int k = 0; k < obsSize; k++) {
            obsMean[k] /= end - start;
          }
          for (int i = start; i < end; i++) {
            for (int k = 0; k < obsSize; k++) {
              double e = obs[i * obsSize + k] - obsMean[k];
              obsM2[k] += e * e;
            }
          }
        }
        b.totals.add(new ActorTotals(d.actorId()[start], end - start, squaredError, policyLoss, entropy,
            Moments.of(rt.advantage, start, end), Moments.of(rt.target, start, end), Moments.of(residual, start, end),
            obsMean, obsM2));
        start = end;
      }
      return List.of(b).iterator();
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
  static final class Pieces implements PairFlatMapFunction<TargetBlock, Integer, Piece> {
    private final SeededPermutation order;
    private final Broadcast<long[]> offsets;
    private final int blockRows;
    private final int which;
    private final int outputs;
    private final double shift;
    private final double scale;

    Pieces(SeededPermutation order, Broadcast<long[]> offsets, int blockRows, int which, int outputs, double shift,
        double scale) {
      this.order = order;
      this.offsets = offsets;
      this.blockRows = blockRows;
      this.which = which;
      this.outputs = outputs;
      this.shift = shift;
      this.scale = scale;
    }

    @Override
    public Iterator<Tuple2<Integer, Piece>> call(TargetBlock b) {
      long[] offset = offsets.value();
      int n = b.rows;
      long[] position = new long[n];
      java.util.Map<Integer, int[]> counts = new java.util.TreeMap<>();
      for (int i = 0; i < n; i++) {
        position[i] = order.apply(offset[b.actorId[i]] + b.step[i]);
        counts.computeIfAbsent((int) (position[i] / blockRows), k -> new int[1])[0]++;
      }
      java.util.Map<Integer, Piece> pieces = new java.util.TreeMap<>();
      for (var e : counts.entrySet()) {
        Piece p = new Piece();
        int size = e.getValue()[0];
        p.position = new int[size];
        p.x = new float[size * b.xSize];
        p.y = new float[size * outputs];
        pieces.put(e.getKey(), p);
        e.getValue()[0] = 0; // now the fill count
      }
      for (int i = 0; i < n; i++) {
        int block = (int) (position[i] / blockRows);
        Piece p = pieces.get(block);
        int r = counts.get(block)[0]++;
        p.position[r] = (int) (position[i] - (long) block * blockRows);
        System.arraycopy(b.inputs, i * b.xSize, p.x, r * b.xSize, b.xSize);
        if (which == 0) {
          p.y[r] = (float) b.target[i];
        } else {
          float a = (float) ((b.advantage[i] - shift) / scale);
          if (b.actionSize > 0) {
            System.arraycopy(b.actionVec, i * b.actionSize, p.y, r * outputs, b.actionSize);
            p.y[r * outputs + b.actionSize] = a;
          } else {
            p.y[r * outputs + b.action[i]] = a;
          }
        }
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
