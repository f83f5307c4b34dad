package io.sparkac.learner;

import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.trajectory.RowBatch;
import java.io.Serializable;

/**
 * A round's taken actions as the actor's outputs and labels lay them out, one row per sample:
 * a discrete action is an index ({@code actionSize} 0), the actor's outputs are logits and its
 * label is {@code A * onehot(a)} for PolicyGradientLoss; a continuous action is a vector, the
 * outputs are the Gaussian's means and log-stds and the label is {@code [a, A, 0..]} for
 * GaussianPolicyLoss. The one place every learner builds the actor's labels and log pi(a|s) from.
 */
record Actions(int outputs, int actionSize, int[] action, float[] actionVec) implements Serializable {
  static Actions of(RowBatch d, int outputs) {
    return new Actions(outputs, d.actionSize(), d.action(), d.actionVec());
  }

  boolean continuous() {
    return actionSize > 0;
  }

  /**
   * log pi(a|s) of sample {@code row}'s action under the actor's output row {@code at} of
   * {@code out}; {@code scratch} holds {@code outputs} doubles.
   */
  double logProb(float[] out, int at, int row, double[] scratch) {
    if (continuous()) {
      return GaussianPolicy.logProb(out, at * outputs, actionSize, actionVec, row * actionSize);
    }
    CategoricalPolicy.logProbs(out, at * outputs, outputs, scratch);
    return scratch[action[row]];
  }

  /** The entropy of the distribution given by the actor's output row {@code at}. */
  double entropy(float[] out, int at, double[] scratch) {
    if (continuous()) {
      return GaussianPolicy.entropy(out, at * outputs, actionSize);
    }
    CategoricalPolicy.logProbs(out, at * outputs, outputs, scratch);
    double h = 0;
    for (int j = 0; j < outputs; j++) {
      h -= Math.exp(scratch[j]) * scratch[j];
    }
    return h;
  }

  /** The label column that carries sample {@code row}'s advantage. */
  int column(int row) {
    return continuous() ? actionSize : action[row];
  }

  /** Writes sample {@code row}'s label with advantage {@code a} to label row {@code at} of {@code y} (zeros). */
  void label(int row, float a, float[] y, int at) {
    if (continuous()) {
      System.arraycopy(actionVec, row * actionSize, y, at * outputs, actionSize);
    }
    y[at * outputs + column(row)] = a;
  }
}
