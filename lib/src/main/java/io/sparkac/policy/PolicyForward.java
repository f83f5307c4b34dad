package io.sparkac.policy;

import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;

/**
 * One batched forward pass of a policy over n observations: the observations normalised when
 * the policy normalises them, then the actor once and the critic (when given) once over all n
 * rows. The rollout, the Python rollout and both evaluation loops take their actions from it.
 * Not thread-safe: it owns its input buffer.
 */
public final class PolicyForward {
  private final ObservationNormalizer normalizer;
  private final MlpForward actor;
  private final MlpForward critic;
  private float[] normalized = new float[0];

  /** {@code critic} and {@code normalizer} may be null (no values; raw observations). */
  public PolicyForward(MlpWeights actor, MlpWeights critic, ObservationNormalizer normalizer) {
    this.actor = new MlpForward(actor);
    this.critic = critic == null ? null : new MlpForward(critic);
    this.normalizer = normalizer;
  }

  /**
   * The actor's outputs for the {@code n} observations of {@code obs} (row-major) into
   * {@code actorOut}, and, with a critic and a non-null {@code values}, V(s) into it.
   */
  public void forward(float[] obs, int n, float[] actorOut, float[] values) {
    float[] in = obs;
    if (normalizer != null) {
      if (normalized.length < n * normalizer.dims()) {
        normalized = new float[n * normalizer.dims()];
      }
      normalizer.apply(obs, normalized, n);
      in = normalized;
    }
    actor.forward(in, n, actorOut);
    if (critic != null && values != null) {
      critic.forward(in, n, values);
    }
  }
}
