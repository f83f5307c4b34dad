package io.sparkac.learner;

import static org.apache.spark.sql.functions.col;

import io.sparkac.advantage.Advantages;
import io.sparkac.nn.MlpWeights;
import io.sparkac.numeric.Moments;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import io.sparkac.trajectory.TrajectorySchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The executors' half of the learners that never collect a round ({@link SparkLearner},
 * {@link StreamingLearner}): the round's Parquet read with each actor's rows in one partition, in
 * (actor_id, episode_id, t) order; each partition's {@link RoundTargets} kept as one cached
 * {@link Block}; and one record of sums per actor ({@link ActorTotals}), which the driver adds up
 * in actor order with Chan et al.'s formulas, so that the round's statistics depend on the actors
 * only, never on how they were spread over partitions.
 */
final class TargetBlocks {
  private TargetBlocks() {}

  /**
   * The round in {@code roundDir} as cached blocks of targets and advantages, computed with the
   * networks' weights before the update and the observation statistics the round was sampled with
   * (null: raw observations, and no per-actor observation moments). The caller unpersists them.
   */
  static JavaRDD<Block> read(SparkSession spark, String roundDir, int partitions, MlpWeights critic,
      MlpWeights actor, ObservationNormalizer normalizer, double gamma, double lambda) {
    return TrajectoryReader.learnerColumns(spark, roundDir)
        .repartition(partitions, col(TrajectorySchema.ACTOR_ID))
        .sortWithinPartitions(TrajectorySchema.ACTOR_ID, TrajectorySchema.EPISODE_ID, TrajectorySchema.T)
        .javaRDD()
        .mapPartitions(new Task(critic, actor, normalizer, gamma, lambda))
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** The blocks' per-actor sums, in actor-id order; throws when the round has no rows. */
  static List<ActorTotals> perActor(JavaRDD<Block> blocks, int round, String roundDir) {
    List<ActorTotals> perActor = new ArrayList<>(blocks.flatMap(b -> b.totals().iterator()).collect());
    perActor.sort(Comparator.comparingInt(ActorTotals::actorId));
    if (perActor.isEmpty()) {
      throw new IllegalStateException("round " + round + ": no samples to learn from in " + roundDir);
    }
    return perActor;
  }

  /** The sums of all actors, added up in the list's order. */
  static ActorTotals sum(List<ActorTotals> perActor) {
    ActorTotals t = perActor.get(0);
    for (int i = 1; i < perActor.size(); i++) {
      t = t.plus(perActor.get(i));
    }
    return t;
  }

  /**
   * Sums over one actor's rows (or, merged, over several actors'): squared critic error, policy
   * loss and entropy sums, moments of the advantages, targets and residuals (target - V), and of
   * each observation dimension (raw observations; null without observation normalisation).
   */
  record ActorTotals(int actorId, long n, double squaredError, double policyLoss, double entropy, Moments advantage,
      Moments target, Moments residual, Moments[] obs) implements Serializable {
    ActorTotals plus(ActorTotals o) {
      Moments[] merged = null;
      if (obs != null) {
        merged = new Moments[obs.length];
        for (int k = 0; k < obs.length; k++) {
          merged[k] = obs[k].plus(o.obs[k]);
        }
      }
      return new ActorTotals(actorId, n + o.n, squaredError + o.squaredError, policyLoss + o.policyLoss,
          entropy + o.entropy, advantage.plus(o.advantage), target.plus(o.target), residual.plus(o.residual), merged);
    }

    /** The losses before the update must be finite; checked before anything is fitted. */
    void requireFiniteLosses(int round) {
      NonFiniteValueException.requireFinite(round, "critic value loss", squaredError / n);
      NonFiniteValueException.requireFinite(round, "policy loss", policyLoss / n);
    }

    /**
     * The actor's labels' advantages as {@link Advantages#normalize} makes them, with the round's
     * mean and sample standard deviation; (0, 1), the advantages as they are, when not normalising.
     */
    Standardization advantageStandardization(boolean normalize) {
      return normalize && n > 1
          ? new Standardization(advantage.mean(), Math.sqrt(advantage.sampleVariance()) + 1e-8)
          : new Standardization(0, 1);
    }

    LearnerStats stats(double criticGradNorm, double actorGradNorm, long criticNanos, long actorNanos) {
      return new LearnerStats((int) n, squaredError / n, policyLoss / n, entropy / n,
          Advantages.explainedVariance(target, residual), advantage.mean(), Math.sqrt(advantage.variance()),
          criticGradNorm, actorGradNorm, criticNanos, actorNanos);
    }
  }

  /** {@code (A - shift) / scale}. */
  record Standardization(double shift, double scale) {}

  /**
   * One partition's rows after {@link RoundTargets}, each actor's rows whole and in time order:
   * what the fits need per row, the row's index within its actor's rows, and the per-actor sums.
   */
  record Block(int rows, int[] actorId, int[] step, int xSize, float[] inputs, Actions actions, double[] target,
      double[] advantage, List<ActorTotals> totals) implements Serializable {
    /**
     * Writes row {@code row}'s label for network {@code which} to label row {@code at} of
     * {@code y}: 0, the critic's target; 1, the actor's advantage, as {@code (A - shift) / scale}.
     */
    void label(int which, int row, float[] y, int at, double shift, double scale) {
      if (which == 0) {
        y[at] = (float) target[row];
      } else {
        actions.label(row, (float) ((advantage[row] - shift) / scale), y, at);
      }
    }
  }

  /** Executor side: a partition's sorted rows to a {@link Block}. */
  record Task(MlpWeights critic, MlpWeights actor, ObservationNormalizer normalizer, double gamma, double lambda)
      implements FlatMapFunction<Iterator<Row>, Block> {
    @Override
    public Iterator<Block> call(Iterator<Row> it) {
      RowBatch chunk = RowBatch.pack(it).next();
      if (chunk.rows() == 0) {
        return Collections.emptyIterator();
      }
      RowBatch d = RowBatch.merge(List.of(chunk)); // sorted already: marks the episodes' continuations
      RoundTargets rt = RoundTargets.of(d, critic, actor, normalizer, gamma, lambda);
      int n = d.rows();
      int[] step = new int[n];
      List<ActorTotals> totals = new ArrayList<>();
      double[] residual = new double[n];
      for (int i = 0; i < n; i++) {
        residual[i] = rt.target()[i] - rt.value()[i];
      }
      for (int start = 0; start < n; ) {
        int end = start;
        while (end < n && d.actorId()[end] == d.actorId()[start]) {
          step[end] = end - start;
          end++;
        }
        double squaredError = 0;
        double policyLoss = 0;
        double entropy = 0;
        for (int i = start; i < end; i++) {
          squaredError += residual[i] * residual[i];
          policyLoss -= rt.advantage()[i] * rt.logp()[i];
          entropy += rt.entropy()[i];
        }
        totals.add(new ActorTotals(d.actorId()[start], end - start, squaredError, policyLoss, entropy,
            Moments.of(rt.advantage(), start, end), Moments.of(rt.target(), start, end),
            Moments.of(residual, start, end),
            normalizer == null ? null : Moments.ofColumns(d.obs(), d.obsSize(), start, end)));
        start = end;
      }
      return List.of(new Block(n, d.actorId(), step, d.obsSize(), rt.inputs(), Actions.of(d, actor.outputSize()),
          rt.target(), rt.advantage(), totals)).iterator();
    }
  }
}
