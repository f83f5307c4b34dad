package io.sparkac.rollout;

import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.trajectory.RowBatch;
import java.util.SplittableRandom;

/**
 * Turns one row of the actor's outputs into an action for an environment: a softmax sample
 * over discrete actions, or a diagonal Gaussian sample clipped to the Box for the environment
 * (the row keeps the unclipped sample and its log-probability). Not thread-safe: per task.
 */
abstract sealed class ActionHead permits ActionHead.Discrete, ActionHead.Continuous {

  static ActionHead of(Space actionSpace) {
    if (actionSpace instanceof Space.Discrete d) {
      return new Discrete(d.n());
    }
    if (actionSpace instanceof Space.Box b) {
      return new Continuous(b);
    }
    throw new IllegalArgumentException("unsupported action space " + actionSpace);
  }

  /** Floats per action in {@code action_vec}: 0 for discrete actions. */
  abstract int vectorSize();

  /**
   * Samples an action from {@code out[offset..]}, records it in {@code batch} at {@code row}, steps
   * {@code env} (next observation into {@code obs}) and returns the action's log-probability.
   */
  abstract double sampleAndStep(Environment env, float[] out, int offset, SplittableRandom rng, RowBatch batch,
      int row, float[] obs, StepResult result);

  /**
   * Samples an action from {@code out[offset..]} as {@link #sampleAndStep} does, records it in
   * {@code batch} at {@code row}, and puts what the environment is given into slot {@code j} of a
   * batched step: {@code actions[j]}, or the clipped vector at {@code vectors[j * d]}. Returns the
   * action's log-probability.
   */
  abstract double sample(float[] out, int offset, SplittableRandom rng, RowBatch batch, int row, int[] actions,
      float[] vectors, int j);

  /** The mean clipped to the box into {@code vectors[j * d ..]}, for a batched step; continuous actions only. */
  void greedy(float[] out, int offset, float[] vectors, int j) {
    throw new UnsupportedOperationException("greedy vectors are for continuous actions");
  }

  /** The greedy action (argmax, or the mean clipped to the box), stepped; evaluation only. */
  abstract void greedyStep(Environment env, float[] out, int offset, float[] obs, StepResult result);

  static final class Discrete extends ActionHead {
    private final int n;
    private final double[] logp = new double[1];

    Discrete(int n) {
      this.n = n;
    }

    @Override
    int vectorSize() {
      return 0;
    }

    @Override
    double sampleAndStep(Environment env, float[] out, int offset, SplittableRandom rng, RowBatch batch, int row,
        float[] obs, StepResult result) {
      int a = CategoricalPolicy.sample(out, offset, n, rng.nextDouble(), logp);
      batch.action()[row] = a;
      env.step(a, obs, result);
      return logp[0];
    }

    @Override
    void greedyStep(Environment env, float[] out, int offset, float[] obs, StepResult result) {
      env.step(CategoricalPolicy.greedy(out, offset, n, logp), obs, result);
    }

    @Override
    double sample(float[] out, int offset, SplittableRandom rng, RowBatch batch, int row, int[] actions,
        float[] vectors, int j) {
      int a = CategoricalPolicy.sample(out, offset, n, rng.nextDouble(), logp);
      batch.action()[row] = a;
      actions[j] = a;
      return logp[0];
    }
  }

  static final class Continuous extends ActionHead {
    private final int d;
    private final float[] low;
    private final float[] high;
    private final float[] sampled;
    private final float[] clipped;

    Continuous(Space.Box box) {
      this.d = box.dims();
      this.low = box.low();
      this.high = box.high();
      this.sampled = new float[d];
      this.clipped = new float[d];
    }

    @Override
    int vectorSize() {
      return d;
    }

    @Override
    double sampleAndStep(Environment env, float[] out, int offset, SplittableRandom rng, RowBatch batch, int row,
        float[] obs, StepResult result) {
      double logp = GaussianPolicy.sample(out, offset, d, rng, sampled);
      System.arraycopy(sampled, 0, batch.actionVec(), row * d, d);
      GaussianPolicy.clip(sampled, low, high, clipped);
      env.step(clipped, obs, result);
      return logp;
    }

    @Override
    double sample(float[] out, int offset, SplittableRandom rng, RowBatch batch, int row, int[] actions,
        float[] vectors, int j) {
      double logp = GaussianPolicy.sample(out, offset, d, rng, sampled);
      System.arraycopy(sampled, 0, batch.actionVec(), row * d, d);
      GaussianPolicy.clip(sampled, low, high, clipped);
      System.arraycopy(clipped, 0, vectors, j * d, d);
      return logp;
    }

    @Override
    void greedy(float[] out, int offset, float[] vectors, int j) {
      GaussianPolicy.mean(out, offset, d, sampled);
      GaussianPolicy.clip(sampled, low, high, clipped);
      System.arraycopy(clipped, 0, vectors, j * d, d);
    }

    @Override
    void greedyStep(Environment env, float[] out, int offset, float[] obs, StepResult result) {
      GaussianPolicy.mean(out, offset, d, sampled);
      GaussianPolicy.clip(sampled, low, high, clipped);
      env.step(clipped, obs, result);
    }
  }
}
