package io.sparkac.train;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Fixes ND4J's thread counts for the learner's DL4J fits on the driver (the rollout does not use
 * ND4J: its forward pass is {@code MlpForward}, plain Java, one thread per task).
 *
 * <p>Why: a reduction that libnd4j, OpenMP or OpenBLAS splits over threads adds its partial sums
 * in an order that depends on the number of threads, so the weights after a fit would depend on
 * how many threads the driver's ND4J uses, that is on its core count. Measured here (two learner
 * updates of 2048 rows): with libnd4j's pool at one thread, leaving OpenMP and OpenBLAS at 4
 * threads changes the weights; with them at one thread the weights equal those of a driver
 * started with {@code OMP_NUM_THREADS=1}.
 *
 * <p>What can be set at run time is set here: libnd4j's "master" threads (its parallel loops),
 * OpenMP's and OpenBLAS's thread counts. What cannot: libnd4j 1.0.0-M2 sizes its thread pool
 * once, from {@code SD_MAX_THREADS} or {@code OMP_NUM_THREADS} when the native library loads,
 * else from the core count ({@code Environment.setMaxThreads} is a no-op in this version), and
 * some of its reductions keep one partial sum per pool thread. So the learner is reproducible
 * across machines only when the driver starts with {@code OMP_NUM_THREADS=1} (as
 * {@code jobs/sparkac} and the test configuration do) or {@code SD_MAX_THREADS=1};
 * {@link #warning()} says so otherwise. Driver only.
 */
final class Nd4jThreads {
  private Nd4jThreads() {}

  /** Sets libnd4j's master threads, OpenMP and OpenBLAS to one thread. */
  static void pinToOne() {
    Nd4j.getEnvironment().setMaxThreads(1); // a no-op in libnd4j 1.0.0-M2; honoured by later versions
    Nd4j.getEnvironment().setMaxMasterThreads(1);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
  }

  /** What to tell the user when libnd4j's pool was not started with one thread; null when it was. */
  static String warning() {
    int pool = Nd4j.getEnvironment().maxThreads();
    if (pool == 1) {
      return null;
    }
    return "ND4J started with a pool of " + pool + " threads (OMP_NUM_THREADS and SD_MAX_THREADS are not 1 in the"
        + " driver's environment): the learner's weights will differ in the last bits from those of a driver whose"
        + " pool has another size, e.g. one started by jobs/sparkac; set OMP_NUM_THREADS=1 in the driver's"
        + " environment (spark.yarn.appMasterEnv.OMP_NUM_THREADS or spark.kubernetes.driverEnv.OMP_NUM_THREADS in"
        + " cluster mode) for weights that do not depend on the driver's machine";
  }
}
