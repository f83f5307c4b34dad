package io.sparkac.jobs.bench;

import io.sparkac.nn.MlpForward;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The rollout's policy forward pass (default 64x64 tanh actor, CartPole's 4 inputs and 2
 * logits), per sample, at the batch sizes of one rollout partition. Scores are nanoseconds per
 * sample (the benchmark counts {@code batch} operations per call).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class PolicyForwardBenchmark {
  @Param({"1", "16", "256", "4096"})
  int batch;

  MlpForward forward;
  float[] x;
  float[] out;

  @Setup(Level.Trial)
  public void setUp() {
    forward = new MlpForward(Fixtures.actorWeights(Fixtures.config()));
    x = Fixtures.observations(batch, 1);
    out = new float[batch * 2];
  }

  @Benchmark
  @OperationsPerInvocation(4096)
  public float[] forward4096() {
    // Runs 4096 samples in batches of `batch`, so every score is per sample.
    for (int done = 0; done < 4096; done += batch) {
      forward.forward(x, batch, out);
    }
    return out;
  }
}
