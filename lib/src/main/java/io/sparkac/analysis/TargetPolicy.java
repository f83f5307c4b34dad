package io.sparkac.analysis;

import io.sparkac.nn.MlpForward;
import io.sparkac.policy.PolicyForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.policy.ObservationNormalizer;
import java.io.Serializable;

/**
 * A policy to evaluate off-policy: the actor's weights and the observation statistics it was
 * trained with, as plain arrays (what travels to the executors). It gives log pi(a|s) of logged
 * steps with the rollout's own forward pass ({@link MlpForward}, then {@link CategoricalPolicy}
 * or {@link GaussianPolicy}), so the behaviour policy scored on its own steps gives exactly the
 * {@code action_logp} it logged.
 *
 * @param description where it came from, for the output ("checkpoint round 12 of runs/cartpole")
 * @param actor the actor network (logits, or mean and log-std for continuous actions)
 * @param normalizer the observation statistics the actor saw, or null when observations are not normalised
 * @param continuousDims the dimensions of a continuous action, 0 for discrete actions
 * @param envId the environment it was trained on ({@code env.id}, or the class of {@code env.class}),
 *     or null when unknown: logged data of another environment is refused before any Spark work
 */
public record TargetPolicy(String description, MlpWeights actor, ObservationNormalizer normalizer,
    int continuousDims, String envId) implements Serializable {

  public TargetPolicy {
    if (normalizer != null && normalizer.dims() != actor.inputSize()) {
      throw new IllegalArgumentException(description + ": observation statistics of " + normalizer.dims()
          + " dimensions for an actor of " + actor.inputSize() + " inputs");
    }
    if (continuousDims > 0 && actor.outputSize() != 2 * continuousDims) {
      throw new IllegalArgumentException(description + ": an actor of " + actor.outputSize() + " outputs cannot be a"
          + " Gaussian policy over " + continuousDims + " action dimensions (needs " + 2 * continuousDims + ")");
    }
  }

  public int obsSize() {
    return actor.inputSize();
  }

  /** The scorer of one task (not thread-safe: it holds the forward pass's buffers). */
  public Scorer scorer() {
    return new Scorer(this);
  }

  /** Computes log pi(a|s) of batches of logged steps. */
  public static final class Scorer {
    private final TargetPolicy policy;
    private final PolicyForward forward;
    private float[] out = new float[0];
    private double[] logp = new double[0];

    Scorer(TargetPolicy policy) {
      this.policy = policy;
      this.forward = new PolicyForward(policy.actor(), null, policy.normalizer());
    }

    /**
     * log pi(a_i|s_i) of {@code rows} steps into {@code result}: {@code obs} holds the raw
     * observations row-major; {@code action} the discrete actions, or {@code actionVec} the
     * continuous ones as logged (row-major, unclipped).
     */
    public void logProbs(float[] obs, int rows, int[] action, float[] actionVec, double[] result) {
      int outSize = policy.actor().outputSize();
      if (out.length < rows * outSize) {
        out = new float[rows * outSize];
      }
      forward.forward(obs, rows, out, null);
      int d = policy.continuousDims();
      if (d > 0) {
        for (int i = 0; i < rows; i++) {
          result[i] = GaussianPolicy.logProb(out, i * outSize, d, actionVec, i * d);
        }
        return;
      }
      if (logp.length < outSize) {
        logp = new double[outSize];
      }
      for (int i = 0; i < rows; i++) {
        int a = action[i];
        if (a < 0 || a >= outSize) {
          throw new IllegalArgumentException("a logged action is " + a + "; " + policy.description() + " has "
              + outSize + " actions (0.." + (outSize - 1) + ")");
        }
        CategoricalPolicy.logProbs(out, i * outSize, outSize, logp);
        result[i] = logp[a];
      }
    }
  }
}
