package io.sparkac.learner;

import static org.apache.spark.sql.functions.col;

import io.sparkac.advantage.Advantages;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.GlobalGradientClip;
import io.sparkac.nn.MlpWeights;
import io.sparkac.random.Seeds;
import io.sparkac.rollout.NonFiniteValueException;
import io.sparkac.trajectory.RoundChunk;
import io.sparkac.trajectory.RoundData;
import io.sparkac.trajectory.TrajectoryReader;
import io.sparkac.trajectory.TrajectorySchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code learner.mode = spark}: the synchronized A2C step without collecting the round on the
 * driver. The executors read the round's Parquet (each actor's rows in one partition, in time
 * order), compute V(s) and V(s') with the critic as it was before the update, the bootstrap
 * targets and advantages exactly as {@link Learner} does, and keep them as one cached block per
 * partition. The driver only gathers sums for the statistics and the advantage normalisation;
 * then dl4j-spark ({@link SparkDl4jMultiLayer} with a {@link ParameterAveragingTrainingMaster})
 * fits the critic, then the actor, on minibatches built on the executors from those blocks.
 *
 * <p>Parameter averaging is not sequential SGD: each Spark task fits
 * {@code learner.averaging-frequency} minibatches from the same starting weights, then the driver
 * averages the weights (and the Adam state). The global gradient clip runs on the workers; its
 * norms stay there, so the round's gradient norms are NaN in this mode. Driver only.
 */
public final class SparkLearner {
  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final MultiLayerNetwork actor;
  private final MultiLayerNetwork critic;
  private final int actions;

  public SparkLearner(SparkSession spark, TrainConfig config, MultiLayerNetwork actor, MultiLayerNetwork critic) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.actor = actor;
    this.critic = critic;
    this.actions = (int) actor.layerSize(actor.getnLayers() - 1);
  }

  /** One synchronized update from the round stored in {@code roundDir}. */
  public LearnerStats update(String roundDir, int round) {
    TrainConfig.Learner l = config.learner();
    MlpWeights criticWeights = MlpWeights.of(critic, config.network().activation());
    MlpWeights actorWeights = MlpWeights.of(actor, config.network().activation());
    int partitions = Math.max(1, jsc.defaultParallelism());

    // ---- on the executors: each actor's rows in one partition, in time order; targets and advantages ----
    JavaRDD<Block> blocks = TrajectoryReader.learnerColumns(spark, roundDir)
        .repartition(partitions, col(TrajectorySchema.ACTOR_ID))
        .sortWithinPartitions(TrajectorySchema.ACTOR_ID, TrajectorySchema.EPISODE_ID, TrajectorySchema.T)
        .javaRDD()
        .mapPartitions(new BlockTask(l.gamma(), l.effectiveLambda(), criticWeights, actorWeights))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      jsc.setJobDescription("round " + round + ": targets and advantages");
      Totals t = blocks.map(Block::totals).fold(Totals.ZERO, Totals::plus);
      if (t.n() == 0) {
        throw new IllegalStateException("round " + round + ": no samples to learn from in " + roundDir);
      }
      double valueLoss = t.squaredError() / t.n();
      double policyLoss = t.policyLoss() / t.n();
      check(round, "critic value loss", valueLoss);
      check(round, "policy loss", policyLoss);
      double advMean = t.advantage() / t.n();
      double advVar = Math.max(0, t.advantageSquared() / t.n() - advMean * advMean);

      // ---- fit the critic: regression to the bootstrap targets ----
      long t0 = System.nanoTime();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(critic, 0, blocks.flatMap(new Minibatches(config, round, 0, epoch, 1, 0, 1)), round, "fit critic");
      }
      long t1 = System.nanoTime();

      // ---- fit the actor: labels A * onehot(a), A normalised with the round's mean and sample std ----
      double shift = 0;
      double scale = 1;
      if (l.normalizeAdvantages() && t.n() > 1) {
        shift = advMean;
        scale = Math.sqrt(advVar * t.n() / (t.n() - 1)) + 1e-8;
      }
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(actor, 1, blocks.flatMap(new Minibatches(config, round, 1, epoch, actions, shift, scale)), round,
            "fit actor");
      }
      long t2 = System.nanoTime();
      checkWeights(round, "critic weights", critic);
      checkWeights(round, "actor weights", actor);
      return new LearnerStats((int) t.n(), valueLoss, policyLoss, t.entropy() / t.n(), t.explainedVariance(),
          advMean, Math.sqrt(advVar), Double.NaN, Double.NaN, t1 - t0, t2 - t1);
    } finally {
      blocks.unpersist(false);
      jsc.clearJobGroup();
    }
  }

  /**
   * Fits {@code net} on {@code data} with parameter averaging, in place.
   *
   * <p>Why a throwaway clone: DL4J 1.0.0-M2's training master broadcasts the network's live
   * parameter and updater-state arrays (and {@code calculateScore} broadcasts the bare parameter
   * INDArray). Spark closes {@code AutoCloseable} broadcast values when it cleans them up
   * (SPARK-35396), which frees ND4J memory that the driver's network still uses: measured here as
   * SIGSEGV in {@code Pointer.memcpy} from {@code ParameterAveragingTrainingWorker.getInitialModel}
   * and "You can't use DataBuffer once it was released". So the broadcast gets a clone made for
   * this one fit; the results are copied into {@code net}, and whatever Spark later does to the
   * clone's arrays cannot touch it. No {@code calculateScore}: the statistics come from the blocks.
   * The other workaround, {@code spark.cleaner.referenceTracking=false}, would keep every
   * broadcast of the run alive for the whole run.
   *
   * <p>{@link RDDTrainingApproach#Direct}: the default Export approach writes the data to the
   * default file system first and refuses a non-local master when that is the local disk. The
   * training master persists the input RDD itself, so it must not be cached before (Spark refuses
   * to change an RDD's storage level); it is unpersisted after.
   */
  private void fit(MultiLayerNetwork net, int which, JavaRDD<DataSet> data, int round, String what) {
    TrainConfig.Learner l = config.learner();
    MultiLayerNetwork work = net.clone();
    ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(l.minibatchSize())
        .batchSizePerWorker(l.minibatchSize())
        .averagingFrequency(l.averagingFrequency())
        .workerPrefetchNumBatches(0)
        .saveUpdater(true)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .repartionData(Repartition.Never)
        .rngSeed(Seeds.mix(config.run().seed(), Seeds.SHUFFLE, round, which, -1))
        .build();
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, work, tm);
    if (l.maxGradNorm() > 0) {
      sparkNet.setListeners(new GlobalGradientClip(l.maxGradNorm()));
    }
    jsc.setJobDescription("round " + round + ": " + what);
    try {
      MultiLayerNetwork fitted = sparkNet.fit(data);
      net.params().assign(fitted.params());
      INDArray state = fitted.getUpdater().getStateViewArray();
      if (state != null) {
        net.getUpdater().getStateViewArray().assign(state);
      }
      net.getLayerWiseConfigurations().setIterationCount(fitted.getLayerWiseConfigurations().getIterationCount());
      net.getLayerWiseConfigurations().setEpochCount(fitted.getLayerWiseConfigurations().getEpochCount());
    } finally {
      data.unpersist(false);
    }
  }

  private static void check(int round, String quantity, double value) {
    if (!Double.isFinite(value)) {
      throw new NonFiniteValueException("round " + round + ": " + quantity + " is " + value);
    }
  }

  private static void checkWeights(int round, String quantity, MultiLayerNetwork net) {
    INDArray p = net.params();
    if (p.isNaN().any() || p.isInfinite().any()) {
      throw new NonFiniteValueException("round " + round + ": " + quantity + " contain NaN or Inf");
    }
  }

  /** Sums over a round's samples, from which the driver derives its statistics. */
  record Totals(long n, double squaredError, double policyLoss, double entropy, double advantage,
      double advantageSquared, double target, double targetSquared, double residual, double residualSquared)
      implements Serializable {
    static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    Totals plus(Totals o) {
      return new Totals(n + o.n, squaredError + o.squaredError, policyLoss + o.policyLoss, entropy + o.entropy,
          advantage + o.advantage, advantageSquared + o.advantageSquared, target + o.target,
          targetSquared + o.targetSquared, residual + o.residual, residualSquared + o.residualSquared);
    }

    /** 1 - Var(y - v) / Var(y), as {@link Advantages#explainedVariance}. */
    double explainedVariance() {
      double vy = targetSquared / n - (target / n) * (target / n);
      if (vy <= 0) {
        return Double.NaN;
      }
      double vr = residualSquared / n - (residual / n) * (residual / n);
      return 1 - vr / vy;
    }
  }

  /** One partition's samples with their targets and (raw) advantages, in time order per actor. */
  record Block(int firstActor, int rows, int obsSize, float[] obs, int[] action, double[] target, double[] advantage,
      Totals totals) implements Serializable {}

  /**
   * Executor side: a partition's rows (each actor's rows contiguous and sorted by episode and t)
   * to a {@link Block}, through {@link RoundTargets}: the same arithmetic as {@link Learner#update},
   * V(s) and V(s') from the critic's weights as plain arrays, GAE(lambda) with terminated
   * bootstrapping with 0 and truncated (or the end of the round) with V(s').
   */
  static final class BlockTask implements FlatMapFunction<Iterator<Row>, Block> {
    private final double gamma;
    private final double lambda;
    private final MlpWeights critic;
    private final MlpWeights actor;

    BlockTask(double gamma, double lambda, MlpWeights critic, MlpWeights actor) {
      this.gamma = gamma;
      this.lambda = lambda;
      this.critic = critic;
      this.actor = actor;
    }

    @Override
    public Iterator<Block> call(Iterator<Row> it) {
      RoundChunk chunk = RoundChunk.pack(it).next();
      if (chunk.rows() == 0) {
        return Collections.emptyIterator();
      }
      RoundData d = RoundChunk.merge(List.of(chunk)); // sorted already: marks the episodes' continuations
      int n = d.rows();
      RoundTargets rt = RoundTargets.of(d, critic, actor, null, gamma, lambda);
      double squaredError = 0;
      double policyLoss = 0;
      double entropy = 0;
      double advSum = 0;
      double advSq = 0;
      double y = 0;
      double ySq = 0;
      double res = 0;
      double resSq = 0;
      for (int i = 0; i < n; i++) {
        double e = rt.value[i] - rt.target[i];
        squaredError += e * e;
        entropy += rt.entropy[i];
        policyLoss -= rt.advantage[i] * rt.logp[i];
        advSum += rt.advantage[i];
        advSq += rt.advantage[i] * rt.advantage[i];
        y += rt.target[i];
        ySq += rt.target[i] * rt.target[i];
        res += -e;
        resSq += e * e;
      }
      Totals totals = new Totals(n, squaredError, policyLoss, entropy, advSum, advSq, y, ySq, res, resSq);
      return List.of(new Block(d.actorId()[0], n, d.obsSize(), rt.inputs, d.action(), rt.target, rt.advantage,
          totals)).iterator();
    }
  }

  /**
   * Executor side: a block to DataSets of {@code learner.minibatch-size} rows in an order shuffled
   * with a seed from (run seed, round, network, epoch, the block's first actor). {@code which}
   * 0: the critic (label = target); 1: the actor (label = normalised advantage on the taken
   * action's column, for PolicyGradientLoss).
   */
  static final class Minibatches implements FlatMapFunction<Block, DataSet> {
    private final long seed;
    private final int round;
    private final int which;
    private final int epoch;
    private final int outputs;
    private final int minibatch;
    private final double shift;
    private final double scale;

    Minibatches(TrainConfig config, int round, int which, int epoch, int outputs, double shift, double scale) {
      this.seed = config.run().seed();
      this.round = round;
      this.which = which;
      this.epoch = epoch;
      this.outputs = outputs;
      this.minibatch = config.learner().minibatchSize();
      this.shift = shift;
      this.scale = scale;
    }

    @Override
    public Iterator<DataSet> call(Block b) {
      int n = b.rows();
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, Seeds.SHUFFLE, round, which, epoch, b.firstActor()));
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      int xSize = b.obsSize();
      List<DataSet> out = new ArrayList<>((n + minibatch - 1) / minibatch);
      for (int start = 0; start < n; start += minibatch) {
        int size = Math.min(minibatch, n - start);
        float[] x = new float[size * xSize];
        float[] y = new float[size * outputs];
        for (int r = 0; r < size; r++) {
          int src = order[start + r];
          System.arraycopy(b.obs(), src * xSize, x, r * xSize, xSize);
          if (which == 0) {
            y[r] = (float) b.target()[src];
          } else {
            y[r * outputs + b.action()[src]] = (float) ((b.advantage()[src] - shift) / scale);
          }
        }
        out.add(new DataSet(Nd4j.create(x, new long[] {size, xSize}, 'c'),
            Nd4j.create(y, new long[] {size, outputs}, 'c')));
      }
      return out.iterator();
    }
  }
}
