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

  /**
   * The fastest kernel this JVM can run: the Vector API one when its module is present. Chosen
   * once per JVM, and logged once (INFO) with the reason when it is the scalar one, so that each
   * executor's log says which kernel its rollouts run.
   */
  static DenseKernel best() {
    return Chosen.KERNEL;
  }

  /** What {@link #best()} returns in a JVM with or without the module, and the line it logs. */
  static String describe(DenseKernel kernel, boolean modulePresent) {
    if (kernel instanceof VectorDenseKernel) {
      return "inference kernel: Vector API (" + VectorDenseKernel.describe() + ")";
    }
    return "inference kernel: scalar Java" + (modulePresent
        ? " (the Vector API did not link on this JVM)"
        : " (this JVM lacks jdk.incubator.vector: start it with --add-modules=jdk.incubator.vector, e.g."
            + " spark.executor.extraJavaOptions, for the Vector API kernel)");
  }

  /** Initialised on first use, once per JVM (a driver or an executor). */
  final class Chosen {
    static final DenseKernel KERNEL;

    static {
      boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
      DenseKernel k = new ScalarDenseKernel();
      if (present) {
        try {
          k = new VectorDenseKernel();
        } catch (LinkageError e) {
          k = new ScalarDenseKernel();
        }
      }
      KERNEL = k;
      org.slf4j.LoggerFactory.getLogger(DenseKernel.class).info(describe(k, present));
    }

    private Chosen() {}
  }
}
