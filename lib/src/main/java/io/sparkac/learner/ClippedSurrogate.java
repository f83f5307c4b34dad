package io.sparkac.learner;

import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * PPO's clipped surrogate (Schulman et al. 2017, eq. 7) for {@code learner.objective = clipped}:
 *
 * <pre>  L = min(rho A, clip(rho, 1 - eps, 1 + eps) A),   rho = pi(a|s) / pi_old(a|s)</pre>
 *
 * with pi_old the sampling policy ({@code action_logp}). Its gradient at the current weights is
 * {@code w A grad log pi} with {@code w} from {@link OffPolicyCorrection}'s clipped mode (rho
 * where the min takes {@code rho A}, 0 where it takes the clipped constant). So, as for the
 * asynchronous correction, no loss function of its own is needed: the actor's labels carry
 * {@code w A} in place of A. Unlike that correction, which weights once per update, the weights
 * here are recomputed before every minibatch step from the actor as it is then ({@link #relabel}),
 * which is what lets several epochs over one round stop pushing a sample once its ratio has left
 * [1 - eps, 1 + eps]. At the first step rho is exactly 1: the learner's inputs, weights and
 * forward pass are those the rollout sampled with.
 *
 * <p>Driver only, one instance per update; it keeps the fraction of zeroed weights for tests.
 */
final class ClippedSurrogate {
  private final double clip;
  private final TrainConfig.Activation hidden;
  private final Actions actions;
  private final double[] advantages;
  private final double[] logpOld;
  private long weighted;
  private long zeroed;

  /**
   * @param advantages the advantages the labels were built from (normalised where configured), per row
   * @param logpOld the sampling policy's {@code action_logp}, per row
   * @param outputs outputs per row of the actor (and label width)
   */
  ClippedSurrogate(double clip, TrainConfig.Activation hidden, int outputs, boolean continuous, int actionSize,
      int[] action, float[] actionVec, double[] advantages, double[] logpOld) {
    if (advantages.length != logpOld.length) {
      throw new IllegalArgumentException("clipped surrogate: " + advantages.length + " advantages but "
          + logpOld.length + " stored log-probabilities");
    }
    this.clip = clip;
    this.hidden = hidden;
    this.actions = new Actions(outputs, continuous ? actionSize : 0, action, actionVec);
    this.advantages = advantages;
    this.logpOld = logpOld;
  }

  /**
   * Rewrites the advantage entries of a minibatch's labels to {@code w A} for the actor's current
   * weights. {@code rows[from .. from + size)} are the minibatch's sample indices, {@code x} its
   * (normalised) observations and {@code labels} its labels, both in that order. The DL4J learner's
   * form (the reference the training kernel is tested against).
   */
  void relabel(MultiLayerNetwork actor, int[] rows, int from, int size, float[] x, float[] labels) {
    float[] out = new float[size * actions.outputs()];
    new MlpForward(MlpWeights.of(actor, hidden)).forward(x, size, out);
    relabel(out, rows, from, size, labels);
  }

  /**
   * The same from the actor's outputs for the minibatch, {@code out} ({@code size * outputs}
   * floats, row-major): the training kernel's forward pass ({@link io.sparkac.nn.MlpTrainer#forward}),
   * which the step then reuses.
   */
  void relabel(float[] out, int[] rows, int from, int size, float[] labels) {
    int outputs = actions.outputs();
    double[] logpNow = new double[size];
    double[] adv = new double[size];
    double[] old = new double[size];
    double[] scratch = new double[outputs];
    for (int r = 0; r < size; r++) {
      int i = rows[from + r];
      logpNow[r] = actions.logProb(out, r, i, scratch);
      adv[r] = advantages[i];
      old[r] = logpOld[i];
    }
    double[] w = OffPolicyCorrection.weights(TrainConfig.Correction.CLIPPED, clip, 1.0, adv, logpNow, old);
    for (int r = 0; r < size; r++) {
      labels[r * outputs + actions.column(rows[from + r])] = (float) (w[r] * adv[r]);
      weighted++;
      if (w[r] == 0) {
        zeroed++;
      }
    }
  }

  /** The fraction of minibatch samples whose weight the clip set to zero, over all relabels. */
  double zeroedFraction() {
    return weighted == 0 ? 0 : (double) zeroed / weighted;
  }
}
