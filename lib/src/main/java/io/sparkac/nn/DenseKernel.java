package io.sparkac.nn;

/**
 * y_k = b + x_k W for four rows k at once, W given row by row ({@code w[i]} has nOut floats).
 * Every implementation performs, for every output element, exactly the scalar operations
 * {@code y = b; for i ascending: y = y + x_i * w_ij} (a multiply, then an add, each rounded to
 * float; no fused multiply-add), so all implementations give bit-identical results and a row's
 * result does not depend on the block it is in.
 */
interface DenseKernel {
  void dense4(float[][] x, int nIn, float[][] w, float[] b, int nOut, float[][] y);

  /**
   * {@link MlpForward#tanh(float[], int)} in place on {@code v[0..n)}: implementations perform its
   * float operations in the same order, so they give the same bits.
   */
  default void tanh(float[] v, int n) {
    MlpForward.tanh(v, n);
  }

  /** The fastest kernel this JVM can run: the Vector API one when its module is present. */
  static DenseKernel best() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      try {
        return new VectorDenseKernel();
      } catch (LinkageError e) {
        return new ScalarDenseKernel();
      }
    }
    return new ScalarDenseKernel();
  }
}
