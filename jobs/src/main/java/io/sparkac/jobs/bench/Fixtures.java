package io.sparkac.jobs.bench;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.CartPole;
import io.sparkac.env.StepResult;
import io.sparkac.nn.MlpWeights;
import io.sparkac.nn.Networks;
import io.sparkac.trajectory.RowBatch;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Shared inputs of the JMH benchmarks: the default 64x64 CartPole networks and a real round. */
final class Fixtures {
  private Fixtures() {}

  static TrainConfig config(String... overrides) {
    return ConfigLoader.parse("", List.of(overrides));
  }

  static MlpWeights actorWeights(TrainConfig c) {
    MultiLayerNetwork actor = Networks.actor(4, 2, c);
    return MlpWeights.of(actor, c.network().activation());
  }

  /** Random CartPole observations, row-major. */
  static float[] observations(int rows, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[rows * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextGaussian() * 0.5);
    }
    return x;
  }

  /** A round of random-policy CartPole steps: {@code actors} actors of {@code steps} steps. */
  static RowBatch cartPoleRound(int actors, int steps, long seed) {
    int n = actors * steps;
    RowBatch d = new RowBatch(n, 4, 0);
    float[] obs = d.obs();
    float[] next = d.nextObs();
    int[] actorId = d.actorId();
    int[] action = d.action();
    double[] reward = d.reward();
    boolean[] terminated = d.terminated();
    boolean[] truncated = d.truncated();
    boolean[] continues = d.continues();
    double[] logp = d.logp();
    SplittableRandom rng = new SplittableRandom(seed);
    float[] o = new float[4];
    StepResult r = new StepResult();
    for (int a = 0; a < actors; a++) {
      CartPole env = new CartPole();
      env.reset(rng.nextLong(), o);
      for (int t = 0; t < steps; t++) {
        int i = a * steps + t;
        System.arraycopy(o, 0, obs, i * 4, 4);
        action[i] = rng.nextInt(2);
        env.step(action[i], o, r);
        System.arraycopy(o, 0, next, i * 4, 4);
        actorId[i] = a;
        reward[i] = r.reward;
        terminated[i] = r.terminated;
        truncated[i] = r.truncated;
        logp[i] = Math.log(0.5);
        continues[i] = !r.done() && t < steps - 1;
        if (r.done()) {
          env.reset(rng.nextLong(), o);
        }
      }
    }
    return d;
  }
}
