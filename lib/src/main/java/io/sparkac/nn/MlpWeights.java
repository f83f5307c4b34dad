package io.sparkac.nn;

import io.sparkac.config.TrainConfig.Activation;
import java.io.Serializable;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights of a dense network as plain float arrays: what travels to the executors in a
 * broadcast. Never an {@code INDArray}: Spark closes {@code AutoCloseable} broadcast values when
 * it cleans them up (SPARK-35396), which frees ND4J memory still in use.
 *
 * <p>{@code weights[l]} is layer l's matrix in row-major [nIn][nOut] order (input-major), so
 * that the forward pass can run {@code out[j] += x[i] * w[i * nOut + j]} over contiguous memory.
 *
 * @param sizes layer widths, input first and output last
 * @param hidden activation of the hidden layers; the output layer is linear (logits or values)
 */
public record MlpWeights(int[] sizes, float[][] weights, float[][] biases, Activation hidden) implements Serializable {

  public MlpWeights {
    if (sizes.length < 2 || weights.length != sizes.length - 1 || biases.length != sizes.length - 1) {
      throw new IllegalArgumentException("MlpWeights: " + sizes.length + " sizes need " + (sizes.length - 1)
          + " weight matrices and bias vectors, got " + weights.length + " and " + biases.length);
    }
    for (int l = 0; l < weights.length; l++) {
      if (weights[l].length != sizes[l] * sizes[l + 1] || biases[l].length != sizes[l + 1]) {
        throw new IllegalArgumentException("MlpWeights: layer " + l + " is " + sizes[l] + "x" + sizes[l + 1]
            + " but has " + weights[l].length + " weights and " + biases[l].length + " biases");
      }
    }
  }

  public int inputSize() {
    return sizes[0];
  }

  public int outputSize() {
    return sizes[sizes.length - 1];
  }

  /** Exports the dense layers of a DL4J network (each layer's "W" [nIn, nOut] and "b"). */
  public static MlpWeights of(MultiLayerNetwork net, Activation hidden) {
    int layers = net.getnLayers();
    int[] sizes = new int[layers + 1];
    float[][] w = new float[layers][];
    float[][] b = new float[layers][];
    for (int l = 0; l < layers; l++) {
      INDArray wl = net.getLayer(l).getParam("W");
      INDArray bl = net.getLayer(l).getParam("b");
      int nIn = (int) wl.size(0);
      int nOut = (int) wl.size(1);
      if (l == 0) {
        sizes[0] = nIn;
      }
      sizes[l + 1] = nOut;
      // A row-major copy: DL4J keeps W as a column-major view of the flat parameter vector.
      w[l] = wl.dup('c').data().asFloat();
      b[l] = bl.dup('c').data().asFloat();
    }
    return new MlpWeights(sizes, w, b, hidden);
  }

  /** Every parameter finite (no NaN or Inf)? */
  public boolean finite() {
    for (float[][] group : new float[][][] {weights, biases}) {
      for (float[] a : group) {
        for (float v : a) {
          if (!Float.isFinite(v)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MlpWeights m && Arrays.equals(sizes, m.sizes) && Arrays.deepEquals(weights, m.weights)
        && Arrays.deepEquals(biases, m.biases) && hidden == m.hidden;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sizes) * 31 + Arrays.deepHashCode(weights);
  }

  @Override
  public String toString() {
    return "MlpWeights" + Arrays.toString(sizes) + " " + hidden;
  }
}
