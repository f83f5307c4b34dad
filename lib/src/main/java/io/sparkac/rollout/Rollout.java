package io.sparkac.rollout;

import io.sparkac.config.ActorRange;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.spark.FutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.collection.Seq;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/** Driver side of sampling: submits the rollout and evaluation jobs. Driver only. */
public final class Rollout {
  /** The local property that puts a job into a FAIR scheduler pool. */
  public static final String POOL = "spark.scheduler.pool";

  private final JavaSparkContext jsc;
  private final TrainConfig config;
  private final Broadcast<SerializableConfiguration> hadoopConf;
  private final List<ActorRange> ranges;

  public Rollout(JavaSparkContext jsc, TrainConfig config) {
    this.jsc = jsc;
    this.config = config;
    this.hadoopConf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    this.ranges = ActorRange.split(config.rollout().actors(), config.rollout().partitions());
  }

  /** Runs one round's rollout; its rows land in {@code roundDir}. Results sorted by actor range. */
  public List<RolloutResult> run(PolicySnapshot policy, String roundDir) {
    return run(policy, roundDir, false);
  }

  /**
   * The same; with {@code returnRows}, each result also carries the rows its task wrote
   * ({@link RolloutResult#chunk()}), so that the driver gets the round from this job.
   */
  public List<RolloutResult> run(PolicySnapshot policy, String roundDir, boolean returnRows) {
    Broadcast<PolicySnapshot> b = jsc.broadcast(policy);
    try {
      jsc.setJobDescription("round " + policy.round() + ": rollout");
      return sorted(runJob(ranges, task(b, roundDir, returnRows)));
    } finally {
      jsc.clearJobGroup();
      b.destroy();
    }
  }

  /**
   * The rollout partitions' actor ranges in {@code groups} groups (asynchronous mode): group g
   * runs partitions [g*P/G, (g+1)*P/G), so the actors and the Parquet files of a partition are
   * the same in both modes.
   */
  public List<List<ActorRange>> groups(int groups) {
    List<List<ActorRange>> out = new ArrayList<>(groups);
    for (ActorRange g : ActorRange.split(ranges.size(), groups)) {
      out.add(List.copyOf(ranges.subList(g.from(), g.to())));
    }
    return out;
  }

  /**
   * Submits the rollout of one group's partitions as its own Spark job and returns at once
   * (asynchronous mode), in the FAIR scheduler pool {@code pool} so that concurrent groups share
   * the executors. Its rows land in {@code dir}; with {@code returnRows} the results carry them too.
   */
  public PendingRollout submit(PolicySnapshot policy, List<ActorRange> group, String dir, String pool,
      String description, boolean returnRows) {
    Broadcast<PolicySnapshot> b = jsc.broadcast(policy);
    try {
      // Local properties are captured when the job is submitted, so they can be cleared at once.
      jsc.setLocalProperty(POOL, pool);
      jsc.setJobDescription(description);
      return new PendingRollout(submitJob(group, task(b, dir, returnRows)), b);
    } catch (RuntimeException e) {
      b.destroy();
      throw e;
    } finally {
      jsc.clearJobGroup();
      jsc.setLocalProperty(POOL, null);
    }
  }

  /**
   * Runs {@code fn} over {@code items}, one partition each, as one Spark job, and returns what
   * the partitions returned, in partition order. The same as {@code parallelize(items).
   * mapPartitions(fn).collect()}, without the closure cleaning that {@code mapPartitions} and
   * {@code collect} do at every call for their Scala lambdas (Spark reads the bytecode of the
   * classes that declare them, {@code RDD} and {@code JavaRDDLike}, with ASM: a few milliseconds
   * of the driver's time every round). {@code fn} is a plain serializable object, which Spark only
   * checks for serializability.
   */
  private <T, U> List<U> runJob(List<T> items, FlatMapFunction<Iterator<T>, U> fn) {
    JavaRDD<T> rdd = jsc.parallelize(items, items.size());
    @SuppressWarnings("unchecked")
    ClassTag<List<U>> tag = (ClassTag<List<U>>) (ClassTag<?>) ClassTag$.MODULE$.apply(List.class);
    Object perPartition = jsc.sc().runJob(rdd.rdd(), new PartitionCall<>(fn), tag);
    List<U> out = new ArrayList<>();
    for (Object part : (Object[]) perPartition) {
      @SuppressWarnings("unchecked")
      List<U> rows = (List<U>) part;
      out.addAll(rows);
    }
    return out;
  }

  /** The same as {@link #runJob}, submitted: returns at once with the job's future. */
  private <T, U> FutureAction<List<U>> submitJob(List<T> items, FlatMapFunction<Iterator<T>, U> fn) {
    JavaRDD<T> rdd = jsc.parallelize(items, items.size());
    AtomicReferenceArray<List<U>> parts = new AtomicReferenceArray<>(items.size());
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      indices.add(i);
    }
    @SuppressWarnings("unchecked")
    Seq<Object> partitions = (Seq<Object>) (Seq<?>) JavaConverters.asScalaBuffer(indices).toSeq();
    return jsc.sc().submitJob(rdd.rdd(), new PartitionCall<>(fn),
        partitions, new AbstractFunction2<Object, List<U>, BoxedUnit>() {
          @Override
          public BoxedUnit apply(Object index, List<U> part) {
            parts.set((Integer) index, part);
            return BoxedUnit.UNIT;
          }
        }, new AbstractFunction0<List<U>>() {
          @Override
          public List<U> apply() {
            List<U> out = new ArrayList<>();
            for (int i = 0; i < parts.length(); i++) {
              out.addAll(parts.get(i));
            }
            return out;
          }
        });
  }

  /** One partition of {@link #runJob} and {@link #submitJob}: {@code fn} over the partition's items, as a list. */
  static final class PartitionCall<T, U> extends AbstractFunction1<scala.collection.Iterator<T>, List<U>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final FlatMapFunction<Iterator<T>, U> fn;

    PartitionCall(FlatMapFunction<Iterator<T>, U> fn) {
      this.fn = fn;
    }

    @Override
    public List<U> apply(scala.collection.Iterator<T> items) {
      List<U> out = new ArrayList<>();
      try {
        fn.call(JavaConverters.asJavaIterator(items)).forEachRemaining(out::add);
      } catch (Exception e) {
        throw Rollout.<RuntimeException>rethrown(e);
      }
      return out;
    }
  }

  /** Throws {@code e} as it is (a task's exception reaches the driver unwrapped, as from mapPartitions). */
  @SuppressWarnings("unchecked")
  private static <E extends Exception> E rethrown(Exception e) throws E {
    throw (E) e;
  }

  static List<RolloutResult> sorted(List<RolloutResult> results) {
    return results.stream().sorted(Comparator.comparingInt(r -> r.range().from())).toList();
  }

  private FlatMapFunction<Iterator<ActorRange>, RolloutResult> task(Broadcast<PolicySnapshot> b, String dir,
      boolean returnRows) {
    RolloutTask task = new RolloutTask(config, b, hadoopConf, dir, returnRows);
    long straggler = config.parallel().stragglerMs();
    return straggler > 0 ? new Straggler(task, straggler) : task;
  }

  /**
   * Benchmarks only ({@code parallel.straggler-ms}): the task that holds actor 0 sleeps after its
   * rollout, as on an executor that is that much slower, so that round times are uneven on
   * purpose. It holds its task slot while it sleeps, as a slow executor would.
   */
  static final class Straggler implements FlatMapFunction<Iterator<ActorRange>, RolloutResult> {
    private final RolloutTask task;
    private final long millis;

    Straggler(RolloutTask task, long millis) {
      this.task = task;
      this.millis = millis;
    }

    @Override
    public Iterator<RolloutResult> call(Iterator<ActorRange> ranges) throws InterruptedException {
      List<ActorRange> mine = new ArrayList<>();
      ranges.forEachRemaining(mine::add);
      Iterator<RolloutResult> out = task.call(mine.iterator());
      if (mine.stream().anyMatch(r -> r.from() == 0)) {
        Thread.sleep(millis);
      }
      return out;
    }
  }

  /** Runs {@code episodes} evaluation episodes with the given policy; sorted by episode index. */
  public List<EvalTask.Episode> evaluate(MlpWeights actor, ObservationNormalizer normalizer, int episodes,
      boolean greedy, String description) {
    return evaluate(actor, normalizer, episodes, greedy, description, null);
  }

  /**
   * Runs {@code episodes} evaluation episodes with the given policy and, when {@code output} is
   * not null, writes their steps as a trajectory table to {@code output.dir()} (which the caller
   * empties first). The episodes, sorted by index, are the same with or without output.
   */
  public List<EvalTask.Episode> evaluate(MlpWeights actor, ObservationNormalizer normalizer, int episodes,
      boolean greedy, String description, EvalOutput output) {
    int parts = Math.min(episodes, config.rollout().partitions());
    jsc.setJobDescription(description);
    try {
      return runJob(ActorRange.split(episodes, parts),
          new EvalTask(config, actor, normalizer, greedy, output, output == null ? null : hadoopConf))
          .stream().sorted(Comparator.comparingInt(EvalTask.Episode::index)).toList();
    } finally {
      jsc.clearJobGroup();
    }
  }
}
