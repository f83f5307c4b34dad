package io.sparkac.nn;

import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.LayerConstraint;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Makes the Gaussian actor's log-std state-independent, as SB3's and CleanRL's {@code log_std}
 * parameter: the output layer's weights into the d log-std units (columns d..2d of its
 * [nIn, 2d] matrix W) are held at exactly zero, so each log-std unit outputs its bias alone,
 * the same for every state, and only that bias learns.
 *
 * <p>Why a constraint on a standard {@code OutputLayer} rather than a custom layer with a free
 * [1, d] parameter: DL4J 1.0.0-M2's layers hold no parameter that is not connected to the
 * input, and a new layer type would need its own parameter initializer, flattened-view
 * bookkeeping, backprop, JSON type and a {@link MlpWeights} export of its own; dl4j-spark's
 * network clones and every checkpoint would then depend on it. With the constraint the network
 * stays a plain dense MLP: checkpoints, the updater state, {@link MlpWeights} and
 * {@link MlpForward} are unchanged and still agree with DL4J's {@code output()} (0 * x + b is b).
 * The price is that back-propagation still computes a gradient for the zeroed weights; DL4J
 * applies constraints after every parameter update ({@code StochasticGradientDescent.optimize}),
 * so that gradient never reaches the outputs, and {@link GlobalGradientClip} leaves it out of
 * the norm it clips ({@link #zeroGradient}) so that it does not shrink the real gradient.
 * Hidden layers get nothing from the log-std units: their weights, through which the loss's
 * log-std gradient would flow back, are zero.
 */
public final class StateIndependentLogStd implements LayerConstraint {
  private final int actionDims;
  private Set<String> params;

  /** For a Gaussian over {@code actionDims} dimensions (an output layer of 2 * actionDims units). */
  @JsonCreator
  public StateIndependentLogStd(@JsonProperty("actionDims") int actionDims,
      @JsonProperty("params") Set<String> params) {
    if (actionDims < 1) {
      throw new IllegalArgumentException("action dimensions must be >= 1, got: " + actionDims);
    }
    this.actionDims = actionDims;
    this.params = params == null ? Set.of("W") : Set.copyOf(params);
  }

  public StateIndependentLogStd(int actionDims) {
    this(actionDims, null);
  }

  @JsonProperty("actionDims")
  public int getActionDims() {
    return actionDims;
  }

  /** Zeroes the log-std columns of a layer's weights (at initialisation and after every update). */
  @Override
  public void applyConstraint(Layer layer, int iteration, int epoch) {
    zeroLogStdColumns(layer.getParam("W"));
  }

  /** Zeroes columns d..2d of a [nIn, 2d] weight matrix or of its gradient, in place. */
  void zeroLogStdColumns(INDArray w) {
    if (w.rank() != 2 || w.size(1) != 2L * actionDims) {
      throw new IllegalStateException("StateIndependentLogStd needs a [nIn, " + 2 * actionDims
          + "] weight matrix, got: " + java.util.Arrays.toString(w.shape()));
    }
    w.get(NDArrayIndex.all(), NDArrayIndex.interval(actionDims, 2 * actionDims)).assign(0);
  }

  /**
   * Zeroes the gradient of the held weights in {@code layer}'s weight gradient (a view of the
   * network's flattened gradient), so that a global norm measures only parameters that learn.
   */
  public void zeroGradient(INDArray weightGradient) {
    zeroLogStdColumns(weightGradient);
  }

  @Override
  public void setParams(Set<String> params) {
    this.params = Set.copyOf(params);
  }

  @Override
  @JsonProperty("params")
  public Set<String> getParams() {
    return params;
  }

  @Override
  public StateIndependentLogStd clone() {
    return new StateIndependentLogStd(actionDims, params);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateIndependentLogStd c && c.actionDims == actionDims && c.params.equals(params);
  }

  @Override
  public int hashCode() {
    return actionDims * 31 + params.hashCode();
  }

  @Override
  public String toString() {
    return "StateIndependentLogStd(actionDims=" + actionDims + ")";
  }
}
