package io.sparkac.jobs.bench;

import io.sparkac.env.EnvRegistry;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** One environment step (with the reset when an episode ends), in nanoseconds. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EnvStepBenchmark {
  @Param({"CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"})
  String envId;

  Environment env;
  float[] obs;
  float[] action;
  StepResult result = new StepResult();
  long episode;
  int n;

  @Setup
  public void setUp() {
    env = EnvRegistry.create(envId);
    obs = new float[env.observationSpace().flatSize()];
    action = new float[env.actionSpace().flatSize()];
    env.reset(0, obs);
    n = env.actionSpace() instanceof Space.Discrete d ? d.n() : 0;
  }

  @Benchmark
  public double step() {
    if (n > 0) {
      env.step((int) (episode++ % n), obs, result);
    } else {
      action[0] = (episode++ % 3) - 1f;
      env.step(action, obs, result);
    }
    if (result.done()) {
      env.reset(episode, obs);
    }
    return result.reward;
  }
}
