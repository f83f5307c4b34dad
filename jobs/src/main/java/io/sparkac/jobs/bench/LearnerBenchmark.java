package io.sparkac.jobs.bench;

import io.sparkac.config.TrainConfig;
import io.sparkac.learner.Learner;
import io.sparkac.learner.LearnerStats;
import io.sparkac.nn.Networks;
import io.sparkac.trajectory.RowBatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One synchronized learner step in driver mode as a run takes it (V(s), V(s'), GAE, then the
 * critic's and the actor's fits on two threads with the training kernel {@code MlpTrainer},
 * including the copies of the networks' parameters and updater state in and out; 64x64
 * networks, one epoch) over a 16,384-sample CartPole round, in microseconds per sample, against
 * the minibatch size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class LearnerBenchmark {
  static final int ROWS = 16_384;

  @Param({"64", "256", "1024", "4096"})
  int minibatch;

  Learner learner;
  RowBatch round;
  int update;

  @Setup
  public void setUp() {
    TrainConfig c = Fixtures.config("learner.minibatch-size=" + minibatch);
    learner = new Learner(c, Networks.actor(4, 2, c), Networks.critic(4, c));
    round = Fixtures.cartPoleRound(64, 256, 2);
  }

  @Benchmark
  @OperationsPerInvocation(ROWS)
  public LearnerStats update() {
    return learner.update(round, update++, null);
  }
}
