package io.sparkac.nn;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The actor's loss for a softmax policy: advantage-weighted negative log-likelihood with an
 * entropy bonus, per example
 *
 * <pre>  L = -A * log pi(a|s) - beta * H(pi(.|s)),   H = -sum_k pi_k log pi_k</pre>
 *
 * <p>Labels encode the action and its advantage together as {@code A * onehot(a)}: the row sum
 * is A, and when A = 0 the policy-gradient term vanishes whatever the action. DL4J's
 * {@code LossMCXENT} with such labels computes {@code p - labels}, which is only right when the
 * labels sum to 1; the gradient with respect to the logits z here is (Williams 1992; the softmax
 * Jacobian)
 *
 * <pre>  dL/dz_j = A * p_j - label_j + beta * p_j * (log p_j + H)</pre>
 *
 * <p>Scores and gradients are per example and not divided by the minibatch size: DL4J divides
 * gradients in the updater and scores in {@code computeScore(average = true)}, as for its own
 * losses. The log-softmax is computed from the pre-activations with the max subtracted, so no
 * probability is ever clipped.
 */
public final class PolicyGradientLoss implements ILossFunction {
  private final double entropyCoef;

  public PolicyGradientLoss(@JsonProperty("entropyCoef") double entropyCoef) {
    if (!(entropyCoef >= 0) || Double.isInfinite(entropyCoef)) {
      throw new IllegalArgumentException("entropy coefficient must be finite and >= 0, got: " + entropyCoef);
    }
    this.entropyCoef = entropyCoef;
  }

  @JsonProperty("entropyCoef")
  public double getEntropyCoef() {
    return entropyCoef;
  }

  private static void checkActivation(IActivation activationFn) {
    if (!(activationFn instanceof ActivationSoftmax)) {
      throw new IllegalStateException("PolicyGradientLoss needs a SOFTMAX output layer, got: " + activationFn);
    }
  }

  /** log pi = z - logsumexp(z), row-wise. */
  static INDArray logSoftmax(INDArray preOutput) {
    INDArray max = preOutput.max(true, 1);
    INDArray shifted = preOutput.subColumnVector(max);
    INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
    return shifted.subiColumnVector(lse);
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    checkActivation(activationFn);
    labels = labels.castTo(preOutput.dataType());
    INDArray logp = logSoftmax(preOutput);
    INDArray p = Transforms.exp(logp, true);
    // -A log pi(a|s) = -sum_k label_k log p_k ; entropy H = -sum_k p_k log p_k
    INDArray score = labels.mul(logp).sum(true, 1).negi();
    if (entropyCoef != 0) {
      INDArray entropy = p.mul(logp).sum(true, 1).negi();
      score.subi(entropy.muli(entropyCoef));
    }
    if (mask != null) {
      score.muli(mask.castTo(score.dataType()).reshape(score.shape()));
    }
    return score;
  }

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
    INDArray scores = computeScoreArray(labels, preOutput, activationFn, mask);
    double sum = scores.sumNumber().doubleValue();
    return average ? sum / scores.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    checkActivation(activationFn);
    labels = labels.castTo(preOutput.dataType());
    INDArray logp = logSoftmax(preOutput);
    INDArray p = Transforms.exp(logp, true);
    INDArray advantage = labels.sum(true, 1);
    INDArray grad = p.mulColumnVector(advantage).subi(labels);
    if (entropyCoef != 0) {
      INDArray entropy = p.mul(logp).sum(true, 1).negi();
      grad.addi(p.mul(logp.addColumnVector(entropy)).muli(entropyCoef));
    }
    if (mask != null) {
      grad.muliColumnVector(mask.castTo(grad.dataType()).reshape(grad.size(0), 1));
    }
    return grad;
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask, boolean average) {
    return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public String toString() {
    return "PolicyGradientLoss(entropyCoef=" + entropyCoef + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PolicyGradientLoss l && Double.compare(l.entropyCoef, entropyCoef) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(entropyCoef);
  }
}
