package io.sparkac.rollout;

import io.sparkac.nn.MlpWeights;
import java.io.Serializable;

/**
 * Where an evaluation writes its trajectories, and what goes into the rows that the episodes
 * alone do not give.
 *
 * @param dir the round folder, e.g. {@code <run>/eval/round=N}; each evaluation task writes one
 *     Parquet file there, named by its episode range
 * @param policyVersion the {@code policy_version} of the evaluated policy
 * @param critic the critic whose V(obs) fills {@code vf_pred}
 */
public record EvalOutput(String dir, int policyVersion, MlpWeights critic) implements Serializable {
  public EvalOutput {
    if (dir == null || dir.isBlank()) {
      throw new IllegalArgumentException("eval output dir must be a non-empty path, got: " + dir);
    }
    if (critic == null) {
      throw new IllegalArgumentException("eval output needs the critic's weights for vf_pred, got: null");
    }
  }
}
