package io.sparkac.rollout;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.Environment;
import io.sparkac.env.StepResult;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.trajectory.StepBatch;
import io.sparkac.random.Seeds;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Evaluation episodes on an executor: a range of episode indices run side by side with one
 * batched forward pass per step. Episode e starts from the seed (run seed, EVAL, e), and a
 * stochastic evaluation draws its actions from (run seed, EVAL, e, 1), so the figures are the
 * same whatever the partitioning.
 */
public final class EvalTask implements FlatMapFunction<Iterator<ActorRange>, EvalTask.Episode> {
  private final TrainConfig config;
  private final MlpWeights actorWeights;
  private final ObservationNormalizer normalizer;
  private final boolean greedy;

  /** One finished evaluation episode. */
  public record Episode(int index, double episodeReturn, int length, boolean terminated)
      implements java.io.Serializable {}

  public EvalTask(TrainConfig config, MlpWeights actorWeights, ObservationNormalizer normalizer, boolean greedy) {
    this.config = config;
    this.actorWeights = actorWeights;
    this.normalizer = normalizer;
    this.greedy = greedy;
  }

  @Override
  public Iterator<Episode> call(Iterator<ActorRange> ranges) {
    List<Episode> out = new ArrayList<>();
    while (ranges.hasNext()) {
      run(ranges.next(), out);
    }
    return out.iterator();
  }

  private void run(ActorRange range, List<Episode> out) {
    int n = range.size();
    long seed = config.run().seed();
    Environment[] envs = new Environment[n];
    for (int i = 0; i < n; i++) {
      envs[i] = Environments.create(config.env());
    }
    ActionHead head = ActionHead.of(envs[0].actionSpace());
    int outSize = actorWeights.outputSize();
    int obsSize = envs[0].observationSpace().flatSize();
    float[] obs = new float[n * obsSize];
    float[] netIn = normalizer == null ? obs : new float[n * obsSize];
    float[] one = new float[obsSize];
    SplittableRandom[] rng = new SplittableRandom[n];
    double[] ret = new double[n];
    int[] len = new int[n];
    boolean[] running = new boolean[n];
    for (int i = 0; i < n; i++) {
      int e = range.from() + i;
      envs[i].reset(Seeds.mix(seed, Seeds.EVAL, e), one);
      System.arraycopy(one, 0, obs, i * obsSize, obsSize);
      rng[i] = new SplittableRandom(Seeds.mix(seed, Seeds.EVAL, e, 1));
      running[i] = true;
    }
    MlpForward actor = new MlpForward(actorWeights);
    float[] outputs = new float[n * outSize];
    StepResult result = new StepResult();
    // Stochastic evaluation records its samples in a scratch one-row batch.
    StepBatch scratch = new StepBatch("", 0, 1, 1, obsSize, head.vectorSize(), "");
    int live = n;
    while (live > 0) {
      // Finished episodes keep their last observation in the batch; their rows are ignored.
      if (normalizer != null) {
        normalizer.apply(obs, netIn, n);
      }
      actor.forward(netIn, n, outputs);
      for (int i = 0; i < n; i++) {
        if (!running[i]) {
          continue;
        }
        if (greedy) {
          head.greedyStep(envs[i], outputs, i * outSize, one, result);
        } else {
          head.sampleAndStep(envs[i], outputs, i * outSize, rng[i], scratch, 0, one, result);
        }
        ret[i] += result.reward;
        len[i]++;
        System.arraycopy(one, 0, obs, i * obsSize, obsSize);
        if (result.done()) {
          running[i] = false;
          live--;
          out.add(new Episode(range.from() + i, ret[i], len[i], result.terminated));
        }
      }
    }
  }
}
