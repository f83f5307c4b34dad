package io.sparkac.jobs.bench;

import io.sparkac.advantage.Advantages;
import io.sparkac.trajectory.RowBatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** GAE(lambda) targets and advantages over a 65,536-step round, in nanoseconds per step. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AdvantageBenchmark {
  static final int ROWS = 65_536;
  RowBatch round;
  double[] values;
  double[] nextValues;

  @Setup
  public void setUp() {
    round = Fixtures.cartPoleRound(256, 256, 1);
    values = new double[ROWS];
    nextValues = new double[ROWS];
    for (int i = 0; i < ROWS; i++) {
      values[i] = (i % 97) * 0.3;
      nextValues[i] = (i % 89) * 0.3;
    }
  }

  @Benchmark
  @OperationsPerInvocation(ROWS)
  public Advantages.Estimates gae() {
    return Advantages.gae(round.reward(), round.terminated(), round.continues(), values, nextValues, 0.99, 0.95);
  }
}
