package io.sparkac.learner;

import io.sparkac.advantage.Advantages;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.trajectory.RowBatch;

/**
 * What a learner computes from a round's rows before it fits anything, row by row, with the
 * networks as they were before the update: the network inputs (observations normalised with the
 * statistics the round was sampled with), V(s) and V(s'), the GAE(lambda) advantages and critic
 * targets (terminated bootstraps with 0, truncated and the end of an actor's rows with V(s')),
 * and log pi(a|s) and the policy's entropy of the actor.
 *
 * <p>Every learner computes them here: {@link Learner} on the driver over the collected round,
 * {@link SparkLearner} and {@link StreamingLearner} on the executors ({@link TargetBlocks}), over
 * rows that hold each of their actors' rows whole and in (actor_id, episode_id, t) order, so
 * every value depends on its actor's rows only, not on how actors were spread over partitions:
 * the forward passes compute each row on its own, and the GAE recursion stops where an actor's
 * rows end.
 *
 * @param inputs network inputs, {@code rows * obsSize}
 * @param logp log pi(a|s) of the actor before the update
 * @param entropy the entropy of the actor's distribution at each row
 */
record RoundTargets(float[] inputs, double[] value, double[] target, double[] advantage, double[] logp,
    double[] entropy) {
  /** V of {@code n} rows of (normalised) observations with the critic's weights, widened to double. */
  static double[] values(MlpWeights critic, float[] obs, int n) {
    float[] v = new float[n];
    new MlpForward(critic).forward(obs, n, v);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = v[i];
    }
    return out;
  }

  static RoundTargets of(RowBatch d, MlpWeights critic, MlpWeights actor, ObservationNormalizer normalizer,
      double gamma, double lambda) {
    return of(d, d.reward(), critic, actor, normalizer, gamma, lambda);
  }

  /** The same with {@code reward} in place of the round's rewards (scaled ones). */
  static RoundTargets of(RowBatch d, double[] reward, MlpWeights critic, MlpWeights actor,
      ObservationNormalizer normalizer, double gamma, double lambda) {
    int n = d.rows();
    float[] obs = normalizer == null ? d.obs() : normalizer.applied(d.obs(), n);
    float[] nextObs = normalizer == null ? d.nextObs() : normalizer.applied(d.nextObs(), n);

    // ---- V(s) and V(s') from the critic as it was before the fit ----
    double[] value = values(critic, obs, n);
    double[] nextValue = values(critic, nextObs, n);

    // ---- targets and advantages: terminated bootstraps with 0, truncated with V(s') ----
    Advantages.Estimates est = Advantages.gae(reward, d.terminated(), d.continues(), value, nextValue, gamma, lambda);

    // ---- log pi(a|s) and entropy of the actor before the update ----
    Actions actions = Actions.of(d, actor.outputSize());
    float[] out = new float[n * actions.outputs()];
    new MlpForward(actor).forward(obs, n, out);
    double[] scratch = new double[actions.outputs()];
    double[] logp = new double[n];
    double[] entropy = new double[n];
    for (int i = 0; i < n; i++) {
      logp[i] = actions.logProb(out, i, i, scratch);
      entropy[i] = actions.entropy(out, i, scratch);
    }
    return new RoundTargets(obs, value, est.targets(), est.advantages(), logp, entropy);
  }
}
