package io.sparkac.nn;

import io.sparkac.policy.GaussianPolicy;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The actor's loss for a diagonal Gaussian policy (see {@link GaussianPolicy}): per example
 *
 * <pre>  L = -A * log N(a; mu, sigma^2) - beta * H,   H = sum_i (s_i + 0.5 log(2 pi e)),  s = log sigma</pre>
 *
 * <p>The output layer is linear with 2d outputs {@code [mu_1..mu_d, s_1..s_d]}. Labels have the
 * same width: {@code [a_1..a_d, A, 0..0]}, the unclipped sampled action and its advantage in
 * column d. With {@code z = (a - mu) / sigma} the gradients are
 *
 * <pre>
 *   dL/dmu_i = -A * z_i / sigma_i
 *   dL/ds_i  = -A * (z_i^2 - 1) - beta        (0 where s_i is clamped)
 * </pre>
 *
 * <p>Per example, not divided by the minibatch size (DL4J divides in the updater).
 */
public final class GaussianPolicyLoss implements ILossFunction {
  private final double entropyCoef;

  public GaussianPolicyLoss(@JsonProperty("entropyCoef") double entropyCoef) {
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
    if (!(activationFn instanceof ActivationIdentity)) {
      throw new IllegalStateException("GaussianPolicyLoss needs an IDENTITY output layer, got: " + activationFn);
    }
  }

  private record Parts(INDArray mu, INDArray s, INDArray sClamped, INDArray a, INDArray adv, INDArray z) {}

  private static Parts parts(INDArray labels, INDArray preOutput) {
    long d = preOutput.size(1) / 2;
    if (preOutput.size(1) != 2 * d || !labels.equalShapes(preOutput)) {
      throw new IllegalArgumentException("GaussianPolicyLoss needs labels and outputs of the same even width, got: "
          + java.util.Arrays.toString(labels.shape()) + " and " + java.util.Arrays.toString(preOutput.shape()));
    }
    labels = labels.castTo(preOutput.dataType());
    INDArray mu = preOutput.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d));
    INDArray s = preOutput.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2 * d));
    INDArray sc = Transforms.min(Transforms.max(s, GaussianPolicy.LOG_STD_MIN, true), GaussianPolicy.LOG_STD_MAX, false);
    INDArray a = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d));
    INDArray adv = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(d, d + 1));
    INDArray z = a.sub(mu).muli(Transforms.exp(sc.neg(), false));
    return new Parts(mu, s, sc, a, adv, z);
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    checkActivation(activationFn);
    Parts p = parts(labels, preOutput);
    long d = p.mu().size(1);
    double halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
    // log N = sum_i (-0.5 z_i^2 - s_i - 0.5 log 2pi)
    INDArray logp = p.z().mul(p.z()).muli(-0.5).subi(p.sClamped()).subi(halfLog2Pi).sum(true, 1);
    INDArray score = logp.muli(p.adv()).negi();
    if (entropyCoef != 0) {
      INDArray entropy = p.sClamped().add(halfLog2Pi + 0.5).sum(true, 1);
      score.subi(entropy.muli(entropyCoef));
    }
    if (mask != null) {
      score.muli(mask.castTo(score.dataType()).reshape(score.shape()));
    }
    return score;
  }

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    INDArray scores = computeScoreArray(labels, preOutput, activationFn, mask);
    double sum = scores.sumNumber().doubleValue();
    return average ? sum / scores.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    checkActivation(activationFn);
    Parts p = parts(labels, preOutput);
    long d = p.mu().size(1);
    INDArray sigmaInv = Transforms.exp(p.sClamped().neg(), false);
    INDArray gradMu = p.z().mul(sigmaInv).muliColumnVector(p.adv()).negi();
    INDArray gradS = p.z().mul(p.z()).subi(1.0).muliColumnVector(p.adv()).negi().subi(entropyCoef);
    // The clamp passes no gradient outside [LOG_STD_MIN, LOG_STD_MAX].
    INDArray inside = p.s().gte(GaussianPolicy.LOG_STD_MIN).castTo(gradS.dataType())
        .muli(p.s().lte(GaussianPolicy.LOG_STD_MAX).castTo(gradS.dataType()));
    gradS.muli(inside);
    INDArray grad = preOutput.ulike();
    grad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).assign(gradMu);
    grad.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2 * d)).assign(gradS);
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
    return "GaussianPolicyLoss(entropyCoef=" + entropyCoef + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GaussianPolicyLoss l && Double.compare(l.entropyCoef, entropyCoef) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(entropyCoef) * 31 + 7;
  }
}
