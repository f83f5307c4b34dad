package io.sparkac.nn;

/**
 * The plain-Java kernel. All accesses in the inner loop use the same index j, which lets C2
 * vectorise it although it cannot prove the arrays distinct; each weight row is loaded once per
 * four rows.
 */
final class ScalarDenseKernel implements DenseKernel {
  @Override
  public void dense4(float[][] x, int nIn, float[][] w, float[] b, int nOut, float[][] y) {
    float[] y0 = y[0];
    float[] y1 = y[1];
    float[] y2 = y[2];
    float[] y3 = y[3];
    float[] x0 = x[0];
    float[] x1 = x[1];
    float[] x2 = x[2];
    float[] x3 = x[3];
    System.arraycopy(b, 0, y0, 0, nOut);
    System.arraycopy(b, 0, y1, 0, nOut);
    System.arraycopy(b, 0, y2, 0, nOut);
    System.arraycopy(b, 0, y3, 0, nOut);
    for (int i = 0; i < nIn; i++) {
      float a0 = x0[i];
      float a1 = x1[i];
      float a2 = x2[i];
      float a3 = x3[i];
      float[] wi = w[i];
      for (int j = 0; j < nOut; j++) {
        float wj = wi[j];
        y0[j] += a0 * wj;
        y1[j] += a1 * wj;
        y2[j] += a2 * wj;
        y3[j] += a3 * wj;
      }
    }
  }
}
