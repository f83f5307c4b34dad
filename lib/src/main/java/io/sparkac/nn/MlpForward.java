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
  /** Rows computed together: each weight row is loaded once for four rows (see {@link #dense}). */
  private static final int BLOCK = 4;
  private final MlpWeights weights;
  private final int[] sizes;
  /** weights[l][i] = row i of layer l's [nIn][nOut] matrix: same-index access vectorises. */
  private final float[][][] rows;
  private final float[][] biases;
  private final boolean tanh;
  private final float[][] bufA;
  private final float[][] bufB;
  private final DenseKernel kernel;

  public MlpForward(MlpWeights weights) {
    this(weights, DenseKernel.best());
  }

  /** With a given kernel (tests compare the kernels bit for bit). */
  MlpForward(MlpWeights weights, DenseKernel kernel) {
    this.kernel = kernel;
    this.weights = weights;
    this.sizes = weights.sizes();
    int layers = sizes.length - 1;
    this.rows = new float[layers][][];
    for (int l = 0; l < layers; l++) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      rows[l] = new float[nIn][nOut];
      for (int i = 0; i < nIn; i++) {
        System.arraycopy(weights.weights()[l], i * nOut, rows[l][i], 0, nOut);
      }
    }
    this.biases = weights.biases();
    this.tanh = weights.hidden() == Activation.TANH;
    int widest = 0;
    for (int s : sizes) {
      widest = Math.max(widest, s);
    }
    this.bufA = new float[BLOCK][widest];
    this.bufB = new float[BLOCK][widest];
  }

  public MlpWeights weights() {
    return weights;
  }

  /**
   * Computes the linear output layer (logits or values) for {@code rows} inputs stored row-major
   * in {@code x} ({@code rows * inputSize} floats) into {@code out} ({@code rows * outputSize}).
   */
  public void forward(float[] x, int rowCount, float[] out) {
    int in = sizes[0];
    int outSize = sizes[sizes.length - 1];
    int layers = sizes.length - 1;
    for (int r0 = 0; r0 < rowCount; r0 += BLOCK) {
      int live = Math.min(BLOCK, rowCount - r0);
      float[][] src = bufA;
      float[][] dst = bufB;
      for (int k = 0; k < BLOCK; k++) {
        // A partial last block repeats its last row; the copies' results are not used.
        System.arraycopy(x, (r0 + Math.min(k, live - 1)) * in, src[k], 0, in);
      }
      for (int l = 0; l < layers; l++) {
        int nOut = sizes[l + 1];
        kernel.dense4(src, sizes[l], rows[l], biases[l], nOut, dst);
        if (l < layers - 1) {
          for (int k = 0; k < BLOCK; k++) {
            if (tanh) {
              kernel.tanh(dst[k], nOut);
            } else {
              relu(dst[k], nOut);
            }
          }
          float[][] t = src;
          src = dst;
          dst = t;
        }
      }
      for (int k = 0; k < live; k++) {
        System.arraycopy(dst[k], 0, out, (r0 + k) * outSize, outSize);
      }
    }
  }

  private static void relu(float[] v, int n) {
    for (int j = 0; j < n; j++) {
      v[j] = Math.max(v[j], 0f);
    }
  }

  // Eigen's float tanh (Eigen/src/Core/MathFunctionsImpl.h, generic_fast_tanh_float): a 13/6
  // rational approximation, branch-free, so the loop vectorises, unlike Math.tanh (about 40 ns a
  // call here). Evaluated in float (about 1.6 ns an element; in double 3.5 ns, which cost 15% of
  // the whole forward pass): its rounding errors reach 6 float ulps near |tanh| = 1, at most
  // 4e-7 from tanh, well inside the 1e-5 to DL4J's output that the rollout needs. Clamped to
  // [-9, 9], where the rational is still within 3e-8 of tanh.
  static final float CLAMP = 9f;
  static final float A1 = 4.89352455891786e-03f;
  static final float A3 = 6.37261928875436e-04f;
  static final float A5 = 1.48572235717979e-05f;
  static final float A7 = 5.12229709037114e-08f;
  static final float A9 = -8.60467152213735e-11f;
  static final float A11 = 2.00018790482477e-13f;
  static final float A13 = -2.76076847742355e-16f;
  static final float B0 = 4.89352518554385e-03f;
  static final float B2 = 2.26843463243900e-03f;
  static final float B4 = 1.18534705686654e-04f;
  static final float B6 = 1.19825839466702e-06f;

  static void tanh(float[] v, int n) {
    tanh(v, 0, n);
  }

  /** The same on {@code v[from..to)}. */
  static void tanh(float[] v, int from, int to) {
    for (int j = from; j < to; j++) {
      // Math.max/min propagate NaN, so a NaN still reaches the rollout's non-finite check.
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
      // Float rounding can put p / q one ulp past 1: keep |tanh| <= 1.
      v[j] = Math.max(-1f, Math.min(1f, p / q));
    }
  }

  /**
   * The rational tanh's constants in the order {CLAMP, A1, A3, ..., A13, B0, B2, B4, B6}, for an
   * export that reproduces it operation for operation ({@code io.sparkac.export.OnnxExport}).
   */
  public static float[] tanhConstants() {
    return new float[] {CLAMP, A1, A3, A5, A7, A9, A11, A13, B0, B2, B4, B6};
  }

  /** Scalar version, for tests. */
  public static float tanh(float x) {
    float[] a = {x};
    tanh(a, 1);
    return a[0];
  }
}
