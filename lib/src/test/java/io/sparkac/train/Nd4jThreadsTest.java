package io.sparkac.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.learner.Learner;
import io.sparkac.nn.Networks;
import io.sparkac.run.StartMode;
import io.sparkac.testing.ChildJvm;
import io.sparkac.trajectory.RowBatch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * ND4J's thread counts are fixed by the trainer, so what DL4J fits on the driver (the networks'
 * {@code net.fit}, as dl4j-spark's learner does) does not depend on the driver's core count; the
 * driver learner, whose fits run on its own training kernel, gives the same weights however
 * ND4J's threads are set. Each case is a JVM of its own: libnd4j reads its thread settings from
 * the environment when it loads, once per process.
 */
class Nd4jThreadsTest {
  @TempDir
  Path tmp;

  /**
   * The child: pins the threads (through a Trainer, or directly), prints the thread counts and
   * the warning, fits both networks with DL4J on a fixed synthetic round and prints a hash of
   * their weights, then the same for two driver-learner updates.
   */
  public static void main(String[] args) {
    if (args[0].equals("trainer")) {
      SparkSession spark = SparkSession.builder().master("local[1]").appName("threads")
          .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
      new Trainer(spark, TrainerTest.config(Path.of(args[1])), StartMode.FRESH);
      spark.stop();
    } else if (args[0].equals("pin")) {
      Nd4jThreads.pinToOne();
    }
    System.out.println("threads pool=" + Nd4j.getEnvironment().maxThreads() + " master="
        + Nd4j.getEnvironment().maxMasterThreads() + " omp=" + NativeOpsHolder.getInstance().getDeviceNativeOps()
        .ompGetMaxThreads() + " blas=" + Nd4j.factory().blas().getMaxThreads());
    System.out.println("warning: " + Nd4jThreads.warning());
    TrainConfig config = ConfigLoader.parse("", List.of("learner.minibatch-size=512"));
    RowBatch d = syntheticRound(2048);
    MultiLayerNetwork actor = Networks.actor(4, 2, config);
    MultiLayerNetwork critic = Networks.critic(4, config);
    INDArray x = Nd4j.create(d.obs(), new long[] {2048, 4}, 'c');
    float[] value = new float[2048];
    float[] advantage = new float[2048 * 2];
    for (int i = 0; i < 2048; i++) {
      value[i] = (float) d.reward()[i];
      advantage[i * 2 + d.action()[i]] = (float) (d.reward()[i] - 0.5);
    }
    for (int pass = 0; pass < 2; pass++) {
      for (int start = 0; start < 2048; start += 512) {
        INDArray xs = x.get(NDArrayIndex.interval(start, start + 512), NDArrayIndex.all());
        critic.fit(new DataSet(xs, Nd4j.create(value, new long[] {2048, 1}, 'c')
            .get(NDArrayIndex.interval(start, start + 512), NDArrayIndex.all())));
        actor.fit(new DataSet(xs, Nd4j.create(advantage, new long[] {2048, 2}, 'c')
            .get(NDArrayIndex.interval(start, start + 512), NDArrayIndex.all())));
      }
    }
    System.out.println("weights " + Arrays.hashCode(actor.params().dup().data().asFloat()) + " "
        + Arrays.hashCode(critic.params().dup().data().asFloat()));
    Learner learner = new Learner(config, Networks.actor(4, 2, config), Networks.critic(4, config));
    for (int round = 0; round < 2; round++) {
      learner.update(syntheticRound(2048), round, null);
    }
    System.out.println("learner " + Arrays.hashCode(learner.actor().params().dup().data().asFloat()) + " "
        + Arrays.hashCode(learner.critic().params().dup().data().asFloat()));
  }

  /** Rows of 16 actors, episodes of 50 steps, from a fixed seed. */
  static RowBatch syntheticRound(int n) {
    SplittableRandom rng = new SplittableRandom(7);
    int obsSize = 4;
    RowBatch d = new RowBatch(n, obsSize, 0);
    int[] actor = d.actorId();
    float[] obs = d.obs();
    float[] next = d.nextObs();
    int[] action = d.action();
    double[] reward = d.reward();
    boolean[] terminated = d.terminated();
    boolean[] truncated = d.truncated();
    boolean[] continues = d.continues();
    double[] logp = d.logp();
    for (int i = 0; i < n; i++) {
      actor[i] = i / (n / 16);
      for (int k = 0; k < obsSize; k++) {
        obs[i * obsSize + k] = (float) rng.nextGaussian();
        next[i * obsSize + k] = (float) rng.nextGaussian();
      }
      action[i] = rng.nextInt(2);
      reward[i] = rng.nextDouble();
      terminated[i] = i % 50 == 49;
      logp[i] = Math.log(0.5);
    }
    for (int i = 0; i + 1 < n; i++) {
      continues[i] = !terminated[i] && actor[i + 1] == actor[i];
    }
    return d;
  }

  record Child(String threads, String warning, String weights, String learner) {}

  Child child(String how, Map<String, String> env) throws Exception {
    Map<String, String> all = new HashMap<>();
    all.put("OMP_NUM_THREADS", null);
    all.put("SD_MAX_THREADS", null);
    all.put("SD_MASTER_THREADS", null);
    all.putAll(env);
    String name = how + "-" + env.toString().replaceAll("[^A-Za-z0-9=]+", "_");
    ChildJvm.Result r = ChildJvm.run(Nd4jThreadsTest.class.getName(), List.of(), List.of(how,
        tmp.resolve(name).toString()), all, tmp.resolve(name + ".log"), 300);
    assertThat(r.exitStatus()).as("exit status of %s; output:%n%s", name, r.output()).isZero();
    return new Child(line(r.output(), "threads "), line(r.output(), "warning: "), line(r.output(), "weights "),
        line(r.output(), "learner "));
  }

  static String line(String output, String prefix) {
    Matcher m = Pattern.compile("(?m)^" + prefix + "(.*)$").matcher(output);
    assertThat(m.find()).as("a line starting with '%s' in:%n%s", prefix, output).isTrue();
    return m.group(1);
  }

  @Test
  void theTrainerFixesTheThreadCountsThatCanBeFixedAndWarnsAboutTheOneThatCannot() throws Exception {
    Child reference = child("pin", Map.of("OMP_NUM_THREADS", "1"));
    Child poolOfOne = child("trainer", Map.of("OMP_NUM_THREADS", "4", "SD_MAX_THREADS", "1"));
    Child unpinned = child("nopin", Map.of("OMP_NUM_THREADS", "4", "SD_MAX_THREADS", "1"));
    Child poolOfFour = child("pin", Map.of("OMP_NUM_THREADS", "4"));

    assertThat(reference.threads()).isEqualTo("pool=1 master=1 omp=1 blas=1");
    assertThat(reference.warning()).isEqualTo("null");
    // OpenMP and OpenBLAS threads change the learner's bits...
    assertThat(unpinned.threads()).startsWith("pool=1 master=1 omp=4 blas=");
    assertThat(unpinned.weights()).as("weights with OpenMP and OpenBLAS left at their defaults")
        .isNotEqualTo(reference.weights());
    // ... so the trainer sets them to one thread, and a driver whose libnd4j pool has one thread
    // gives the reference weights however OMP_NUM_THREADS is set.
    assertThat(poolOfOne.threads()).isEqualTo("pool=1 master=1 omp=1 blas=1");
    assertThat(poolOfOne.weights()).isEqualTo(reference.weights());
    assertThat(poolOfOne.warning()).isEqualTo("null");
    // libnd4j's pool is sized once, from the environment, when the library loads: the trainer
    // cannot change it, and says so.
    assertThat(poolOfFour.threads()).isEqualTo("pool=4 master=1 omp=1 blas=1");
    assertThat(poolOfFour.warning()).startsWith("ND4J started with a pool of 4 threads (OMP_NUM_THREADS and"
        + " SD_MAX_THREADS are not 1 in the driver's environment)");
    // The driver learner's fits do not run in ND4J: the same weights whatever its threads.
    assertThat(List.of(poolOfOne.learner(), unpinned.learner(), poolOfFour.learner()))
        .containsOnly(reference.learner());
  }
}
