package io.sparkac.nn;

import io.sparkac.config.TrainConfig.Activation;

/**
 * Batched inference over {@link MlpWeights} in plain Java, for the rollout's hot path (one DL4J
 * {@code output()} call costs 0.3-2 ms here even at batch 1). It matches DL4J's
 * {@code output()} to 1e-5 ({@code MlpForwardTest}); training stays in DL4J.
 *
 * <p>Each row is computed on its own, with a fixed order of operations, so a row's result does
 * not depend on the batch it is in: the rollout is bit-identical whatever the partitioning. The
 * inner loop {@code out[j] += x_i * w[i][j]} runs over contiguous memory, which C2 vectorises.
 * Not thread-safe (scratch buffers); one instance per task.
 */
public final class MlpForward {
  private final MlpWeights weights;
  private final float[] bufA;
  private final float[] bufB;

  public MlpForward(MlpWeights weights) {
    this.weights = weights;
    int widest = 0;
    for (int s : weights.sizes()) {
      widest = Math.max(widest, s);
    }
    this.bufA = new float[widest];
    this.bufB = new float[widest];
  }

  public MlpWeights weights() {
    return weights;
  }

  /**
   * Computes the linear output layer (logits or values) for {@code rows} inputs stored row-major
   * in {@code x} ({@code rows * inputSize} floats) into {@code out} ({@code rows * outputSize}).
   */
  public void forward(float[] x, int rows, float[] out) {
    int[] sizes = weights.sizes();
    int in = sizes[0];
    int outSize = sizes[sizes.length - 1];
    int layers = sizes.length - 1;
    boolean tanh = weights.hidden() == Activation.TANH;
    for (int r = 0; r < rows; r++) {
      float[] src = bufA;
      System.arraycopy(x, r * in, src, 0, in);
      float[] dst = bufB;
      for (int l = 0; l < layers; l++) {
        int nIn = sizes[l];
        int nOut = sizes[l + 1];
        dense(src, nIn, weights.weights()[l], weights.biases()[l], nOut, dst);
        if (l < layers - 1) {
          if (tanh) {
            tanh(dst, nOut);
          } else {
            relu(dst, nOut);
          }
          float[] t = src;
          src = dst;
          dst = t;
        }
      }
      System.arraycopy(dst, 0, out, r * outSize, outSize);
    }
  }

  private static void dense(float[] x, int nIn, float[] w, float[] b, int nOut, float[] y) {
    System.arraycopy(b, 0, y, 0, nOut);
    for (int i = 0; i < nIn; i++) {
      float xi = x[i];
      int base = i * nOut;
      for (int j = 0; j < nOut; j++) {
        y[j] += xi * w[base + j];
      }
    }
  }

  private static void relu(float[] v, int n) {
    for (int j = 0; j < n; j++) {
      v[j] = Math.max(v[j], 0f);
    }
  }

  // Eigen's float tanh (Eigen/src/Core/MathFunctionsImpl.h, generic_fast_tanh_float): a 13/6
  // rational approximation on [-7.9, 7.9], accurate to a few float ulps; branch-free, so the loop
  // vectorises, unlike Math.tanh (about 20 ns a call).
  private static final float CLAMP = 7.90531110763549805f;
  private static final float A1 = 4.89352455891786e-03f;
  private static final float A3 = 6.37261928875436e-04f;
  private static final float A5 = 1.48572235717979e-05f;
  private static final float A7 = 5.12229709037114e-08f;
  private static final float A9 = -8.60467152213735e-11f;
  private static final float A11 = 2.00018790482477e-13f;
  private static final float A13 = -2.76076847742355e-16f;
  private static final float B0 = 4.89352518554385e-03f;
  private static final float B2 = 2.26843463243900e-03f;
  private static final float B4 = 1.18534705686654e-04f;
  private static final float B6 = 1.19825839466702e-06f;

  static void tanh(float[] v, int n) {
    for (int j = 0; j < n; j++) {
      float x = Math.max(-CLAMP, Math.min(CLAMP, v[j]));
      float x2 = x * x;
      float p = x2 * A13 + A11;
      p = x2 * p + A9;
      p = x2 * p + A7;
      p = x2 * p + A5;
      p = x2 * p + A3;
      p = x2 * p + A1;
      p = x * p;
      float q = x2 * B6 + B4;
      q = x2 * q + B2;
      q = x2 * q + B0;
      v[j] = p / q;
    }
  }

  /** Scalar version, for tests. */
  public static float tanh(float x) {
    float[] a = {x};
    tanh(a, 1);
    return a[0];
  }
}
