package io.sparkac.nn;

import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.LayerConstraint;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Clips the global L2 norm of all gradients of a network to {@code maxNorm}, as
 * {@code torch.nn.utils.clip_grad_norm_} does (DL4J only clips per layer or per parameter type).
 *
 * <p>DL4J calls {@link #onGradientCalculation} after back-propagation and before the updater; at
 * that point the gradient is summed over the minibatch and the updater divides it by the
 * minibatch size afterwards, so the norm of the mean gradient is {@code ||g|| / batchSize}.
 * Gradients of weights that a {@link StateIndependentLogStd} constraint holds at zero are set to
 * zero first: they never change a parameter, and counted in the norm they would shrink the rest.
 */
public final class GlobalGradientClip extends BaseTrainingListener implements java.io.Serializable {
  private final double maxNorm;
  private double lastNorm = Double.NaN;

  public GlobalGradientClip(double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("max gradient norm must be > 0, got: " + maxNorm);
    }
    this.maxNorm = maxNorm;
  }

  @Override
  public void onGradientCalculation(Model model) {
    Gradient gradient = model.gradient();
    if (model instanceof MultiLayerNetwork net) {
      for (int i = 0; i < net.getnLayers(); i++) {
        List<LayerConstraint> constraints = net.getLayer(i).conf().getLayer().getConstraints();
        if (constraints == null) {
          continue;
        }
        for (LayerConstraint c : constraints) {
          if (c instanceof StateIndependentLogStd s) {
            // a view of the flattened gradient that the updater applies (MultiLayerNetwork's "i_W")
            s.zeroGradient(gradient.getGradientFor(i + "_W"));
          }
        }
      }
    }
    INDArray flat = gradient.gradient();
    long batch = Math.max(1, model.batchSize());
    double norm = flat.norm2Number().doubleValue() / batch;
    lastNorm = norm;
    if (norm > maxNorm) {
      flat.muli(maxNorm / norm);
    }
  }

  /** The global norm of the mean gradient before clipping, at the last step. */
  public double lastNorm() {
    return lastNorm;
  }
}
