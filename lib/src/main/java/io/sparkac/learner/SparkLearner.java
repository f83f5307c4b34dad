package io.sparkac.learner;

import io.sparkac.config.TrainConfig;
import io.sparkac.nn.GlobalGradientClip;
import io.sparkac.nn.MlpWeights;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.random.Seeds;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
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
 * targets and advantages with {@link RoundTargets}, as {@link Learner} does, and keep them as one
 * cached block per partition ({@link TargetBlocks}). The driver only gathers one record of sums
 * per actor for the statistics and the advantage normalisation, as {@link StreamingLearner} does;
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
    JavaRDD<TargetBlocks.Block> blocks = TargetBlocks.read(spark, roundDir, partitions, criticWeights, actorWeights,
        null, l.gamma(), l.effectiveLambda());
    try {
      jsc.setJobDescription("round " + round + ": targets and advantages");
      TargetBlocks.ActorTotals t = TargetBlocks.sum(TargetBlocks.perActor(blocks, round, roundDir));
      t.requireFiniteLosses(round);

      // ---- fit the critic: regression to the bootstrap targets ----
      long t0 = System.nanoTime();
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(critic, 0, blocks.flatMap(new Minibatches(config, round, 0, epoch, 1, 0, 1)), round, "fit critic");
      }
      long t1 = System.nanoTime();

      // ---- fit the actor: labels A * onehot(a), A normalised with the round's mean and sample std ----
      TargetBlocks.Standardization a = t.advantageStandardization(l.normalizeAdvantages());
      for (int epoch = 0; epoch < l.epochs(); epoch++) {
        fit(actor, 1, blocks.flatMap(new Minibatches(config, round, 1, epoch, actions, a.shift(), a.scale())), round,
            "fit actor");
      }
      long t2 = System.nanoTime();
      NonFiniteValueException.requireFinite(round, "critic weights", critic.params());
      NonFiniteValueException.requireFinite(round, "actor weights", actor.params());
      return t.stats(Double.NaN, Double.NaN, t1 - t0, t2 - t1);
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

  /**
   * Executor side: a block to DataSets of {@code learner.minibatch-size} rows in an order shuffled
   * with a seed from (run seed, round, network, epoch, the block's first actor). {@code which}
   * 0: the critic (label = target); 1: the actor (label = normalised advantage on the taken
   * action's column, for PolicyGradientLoss).
   */
  static final class Minibatches implements FlatMapFunction<TargetBlocks.Block, DataSet> {
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
    public Iterator<DataSet> call(TargetBlocks.Block b) {
      int n = b.rows();
      int[] order = SeededPermutation.shuffled(n, Seeds.mix(seed, Seeds.SHUFFLE, round, which, epoch, b.actorId()[0]));
      int xSize = b.xSize();
      List<DataSet> out = new ArrayList<>((n + minibatch - 1) / minibatch);
      for (int start = 0; start < n; start += minibatch) {
        int size = Math.min(minibatch, n - start);
        float[] x = new float[size * xSize];
        float[] y = new float[size * outputs];
        for (int r = 0; r < size; r++) {
          int src = order[start + r];
          System.arraycopy(b.inputs(), src * xSize, x, r * xSize, xSize);
          b.label(which, src, y, r, shift, scale);
        }
        out.add(new DataSet(Nd4j.create(x, new long[] {size, xSize}, 'c'),
            Nd4j.create(y, new long[] {size, outputs}, 'c')));
      }
      return out.iterator();
    }
  }
}
