package io.sparkac.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.env.python.PythonEnvSpec;
import io.sparkac.env.python.PythonEnvironment;
import io.sparkac.env.python.PythonTestEnvs;
import io.sparkac.env.python.PythonWorker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every CartPole golden trace replayed THROUGH the Python worker, with {@link GymConformanceTest}'s
 * checks and tolerances (one-step: state to 1e-9, observation to one float ulp, reward and flags
 * exactly; free-running over its prefix): the numpy-only test CartPole
 * ({@code sparkac_test_envs.cartpole:CartPole}) always, and {@code env.gymnasium = CartPole-v1}
 * where Gymnasium is importable (skipped with the reason otherwise). The internal state is set
 * and read through the worker's trace requests ({@code env.unwrapped.state}).
 */
class PythonGymConformanceTest {

  @TestFactory
  List<DynamicNode> testCartPoleReplaysEveryCartPoleTrace() throws IOException {
    PythonTestEnvs.assumePython();
    return replays(PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE));
  }

  @TestFactory
  List<DynamicNode> gymnasiumCartPoleReplaysEveryCartPoleTrace() throws IOException {
    PythonTestEnvs.assumePython();
    Assumptions.assumeTrue(PythonTestEnvs.importable("gymnasium"),
        "skipped: gymnasium is not importable by python3 (pip install gymnasium==1.0.0 to run this test)");
    return replays(new PythonEnvSpec("", "CartPole-v1", Map.of(), "python3", List.of(), 60_000, false));
  }

  private static List<DynamicNode> replays(PythonEnvSpec spec) throws IOException {
    List<DynamicNode> out = new ArrayList<>();
    for (Path file : GymConformanceTest.traceFiles(GymConformanceTest.bundledDir())) {
      if (!GoldenTrace.envIdOf(file).equals(CartPole.ID)) {
        continue;
      }
      GoldenTrace trace = GoldenTrace.read(file);
      out.add(DynamicTest.dynamicTest(trace.name() + " one step at a time", () -> {
        try (PythonWorker worker = PythonWorker.start(spec, 1)) {
          GymConformanceTest.replayOneStep(trace, new Traced(new PythonEnvironment(worker, 0)));
        }
      }));
      out.add(DynamicTest.dynamicTest(trace.name() + " free running", () -> {
        try (PythonWorker worker = PythonWorker.start(spec, 1)) {
          GymConformanceTest.replayFreeRunning(trace, new Traced(new PythonEnvironment(worker, 0)));
        }
      }));
    }
    // an empty factory would pass silently: the bundled traces must hold CartPole's
    assertThat(out).as("CartPole traces in " + GymConformanceTest.bundledDir()).isNotEmpty();
    return out;
  }

  /** A Python environment whose state() and restore() are Gymnasium's {@code env.unwrapped.state}. */
  private record Traced(PythonEnvironment env) implements Environment {
    @Override
    public String id() {
      return env.id();
    }

    @Override
    public Space observationSpace() {
      return env.observationSpace();
    }

    @Override
    public Space actionSpace() {
      return env.actionSpace();
    }

    @Override
    public int maxEpisodeSteps() {
      return env.maxEpisodeSteps();
    }

    @Override
    public void reset(long seed, float[] obs) {
      env.reset(seed, obs);
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      env.step(action, obs, result);
    }

    @Override
    public double[] state() {
      return env.worker().traceState(env.slot());
    }

    @Override
    public int elapsedSteps() {
      return env.elapsedSteps();
    }

    @Override
    public void restore(double[] state, int elapsedSteps) {
      env.worker().setTraceState(env.slot(), state, elapsedSteps);
    }

    @Override
    public void observe(float[] obs) {
      env.observe(obs);
    }
  }
}
