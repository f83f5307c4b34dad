package io.sparkac.env.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigException;
import io.sparkac.config.ConfigLoader;
import io.sparkac.env.EnvironmentChecker;
import io.sparkac.env.InvalidEnvironmentException;
import io.sparkac.env.Space;
import io.sparkac.env.StepResult;
import io.sparkac.rollout.Environments;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker without Spark: handshake, batched steps, pickled state, and each failure's message. */
class PythonWorkerTest {
  static final String FAULTY = PythonTestEnvs.PACKAGE + ".faulty:";

  @BeforeEach
  void python() {
    PythonTestEnvs.assumePython();
  }

  @Test
  void theHandshakeGivesTheEnvironmentsSpacesAndTimeLimit() {
    try (PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE), 2)) {
      assertThat(w.envId()).isEqualTo(PythonTestEnvs.CARTPOLE);
      assertThat(w.actionSpace()).isEqualTo(new Space.Discrete(2));
      Space.Box obs = (Space.Box) w.observationSpace();
      assertThat(obs.dims()).isEqualTo(4);
      assertThat(obs.high(0)).isEqualTo(4.8f);
      assertThat(obs.high(1)).isEqualTo(Float.MAX_VALUE);
      assertThat(w.maxEpisodeSteps()).isEqualTo(500);
      assertThat(w.size()).isEqualTo(2);
    }
  }

  @Test
  void boxSpacesOfAnyShapeAreFlattenedAndActionsTakeTheirShape() {
    try (PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(FAULTY + "ContinuousPoint"), 1)) {
      assertThat(w.observationSpace().flatSize()).isEqualTo(2);
      assertThat(w.actionSpace()).isEqualTo(Space.Box.symmetric(1, 1));
      PythonEnvironment env = new PythonEnvironment(w, 0);
      float[] obs = new float[2];
      env.reset(3, obs);
      float x = obs[0];
      assertThat(obs[1]).isEqualTo(Math.abs(x));
      StepResult r = new StepResult();
      env.step(new float[] {0.5f}, obs, r); // the environment asserts the (1, 1) shape
      assertThat(obs[0]).isEqualTo((float) (x + 0.05f), org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(r.reward).isEqualTo(-Math.abs(obs[0]), org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  /** One round trip for all environments, with resets, gives what they give one at a time. */
  @Test
  void aBatchedStepWithResetsEqualsSteppingEachEnvironmentAlone() {
    int n = 3;
    PythonEnvSpec spec = PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE);
    try (PythonWorker batched = PythonWorker.start(spec, n); PythonWorker alone = PythonWorker.start(spec, n)) {
      int[] all = {0, 1, 2};
      float[] obs = new float[n * 4];
      batched.reset(n, all, new long[] {10, 11, 12}, obs);
      float[] next = new float[n * 4];
      float[] resetObs = new float[n * 4];
      double[] reward = new double[n];
      boolean[] term = new boolean[n];
      boolean[] trunc = new boolean[n];
      long[] seeds = {100, 101, 102};
      PythonEnvironment[] single = new PythonEnvironment[n];
      float[] one = new float[4];
      for (int i = 0; i < n; i++) {
        single[i] = new PythonEnvironment(alone, i);
        single[i].reset(10 + i, one);
        assertThat(one).containsExactly(Arrays.copyOfRange(obs, 4 * i, 4 * i + 4));
      }
      int episodes = 0;
      StepResult r = new StepResult();
      for (int step = 0; step < 60; step++) {
        int[] actions = {step % 2, (step / 3) % 2, 1};
        int resets = batched.step(n, all, actions, null, seeds, next, reward, term, trunc, resetObs);
        int k = 0;
        for (int i = 0; i < n; i++) {
          single[i].step(actions[i], one, r);
          assertThat(one).as("step %d env %d", step, i).containsExactly(Arrays.copyOfRange(next, 4 * i, 4 * i + 4));
          assertThat(r.reward).isEqualTo(reward[i]);
          assertThat(r.terminated).isEqualTo(term[i]);
          assertThat(r.truncated).isEqualTo(trunc[i]);
          if (r.done()) {
            single[i].reset(seeds[i], one);
            assertThat(one).containsExactly(Arrays.copyOfRange(resetObs, 4 * k, 4 * k + 4));
            k++;
            episodes++;
          }
        }
        assertThat(resets).isEqualTo(k);
      }
      assertThat(episodes).as("episodes that ended (always pushing right ends within 60 steps)").isPositive();
    }
  }

  @Test
  void aPickledStateContinuesTheEpisodeBitForBitInAnotherWorker() {
    PythonEnvSpec spec = PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE);
    try (PythonWorker a = PythonWorker.start(spec, 1); PythonWorker b = PythonWorker.start(spec, 1)) {
      PythonEnvironment first = new PythonEnvironment(a, 0);
      PythonEnvironment second = new PythonEnvironment(b, 0);
      float[] obs = new float[4];
      StepResult r = new StepResult();
      first.reset(7, obs);
      for (int i = 0; i < 5; i++) {
        first.step(i % 2, obs, r);
      }
      double[] state = first.state();
      second.reset(8, new float[4]);
      second.restore(state, first.elapsedSteps());
      float[] observed = new float[4];
      second.observe(observed);
      assertThat(observed).containsExactly(obs);
      float[] x = new float[4];
      float[] y = new float[4];
      StepResult rx = new StepResult();
      StepResult ry = new StepResult();
      for (int i = 0; i < 20; i++) {
        first.step(1, x, rx);
        second.step(1, y, ry);
        assertThat(y).containsExactly(x);
        assertThat(ry.terminated).isEqualTo(rx.terminated);
      }
      assertThat(PickledState.unpack(PickledState.pack(new byte[] {1, -2, 3, 0, 127, -128, 9})))
          .containsExactly(1, -2, 3, 0, 127, -128, 9);
    }
  }

  @Test
  void environmentCheckerPassesThePythonCartPoleAndItsRestartMode() {
    EnvironmentChecker.Report report = EnvironmentChecker.check(PythonEnvironment.shared(
        PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE)));
    assertThat(report.environment()).contains("env.python = \"" + PythonTestEnvs.CARTPOLE + "\"");
    assertThat(report.steps()).isGreaterThan(400);
    EnvironmentChecker.check(PythonEnvironment.shared(
        PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE, Map.of(), 60_000, true)));
  }

  // --- failures ---------------------------------------------------------------------------------

  @Test
  void anExceptionInStepCarriesThePythonTraceback() {
    try (PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(FAULTY + "RaisesInStep"), 2)) {
      float[] obs = new float[8];
      w.reset(2, new int[] {0, 1}, new long[] {1, 2}, obs);
      stepBoth(w);
      assertThatThrownBy(() -> {
        stepBoth(w);
        stepBoth(w);
      }).isInstanceOf(PythonEnvException.class)
          .hasMessageStartingWith("env.python = \"sparkac_test_envs.faulty:RaisesInStep\": step(1) raised an exception"
              + " in Python:\nTraceback (most recent call last):")
          .hasMessageContaining("in helper_that_fails")
          .hasMessageEndingWith("ValueError: the pole fell off the cart at step 3")
          .satisfies(e -> assertThat(((PythonEnvException) e).envIndex()).isEqualTo(0));
    }
  }

  private static void stepBoth(PythonWorker w) {
    w.step(2, new int[] {0, 1}, new int[] {1, 1}, null, null, new float[8], new double[2], new boolean[2],
        new boolean[2], null);
  }

  @Test
  void aWorkerThatExitsFailsTheCallWithItsStatusAndLastWords() {
    PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(FAULTY + "ExitsInStep", Map.of("at_step", 2), 60_000,
        false), 1);
    try (w) {
      PythonEnvironment env = new PythonEnvironment(w, 0);
      env.reset(1, new float[4]);
      env.step(0, new float[4], new StepResult());
      assertThatThrownBy(() -> env.step(0, new float[4], new StepResult()))
          .isInstanceOf(PythonEnvException.class)
          .hasMessageContaining("the Python worker (pid " + w.pid() + ") exited with status 7 while step")
          .hasMessageContaining("ExitsInStep: exiting");
    }
  }

  @Test
  void aWorkerThatHangsPastTheTimeoutIsKilled() {
    PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(FAULTY + "HangsInStep", Map.of("at_step", 1), 1500,
        false), 1);
    try (w) {
      PythonEnvironment env = new PythonEnvironment(w, 0);
      env.reset(1, new float[4]);
      long start = System.nanoTime();
      assertThatThrownBy(() -> env.step(0, new float[4], new StepResult()))
          .isInstanceOf(PythonEnvException.class)
          .hasMessageContaining("did not answer within env.python-timeout-ms = 1500 while step; it was killed");
      assertThat(w.isAlive()).isFalse();
      assertThat((System.nanoTime() - start) / 1e9).as("seconds until the hang failed").isLessThan(30);
    }
  }

  @Test
  void anUnpicklableEnvironmentNamesTheRestartOption() {
    PythonEnvironment env = PythonEnvironment.shared(PythonTestEnvs.spec(FAULTY + "Unpicklable"));
    env.reset(1, new float[4]);
    assertThatThrownBy(env::state).isInstanceOf(PythonEnvException.class)
        .hasMessageStartingWith("env.python = \"sparkac_test_envs.faulty:Unpicklable\": the environment cannot be"
            + " pickled: pickle.dumps(")
        .hasMessageContaining("cannot pickle '_thread.lock' object")
        .hasMessageContaining("set env.python-episodes = restart");
    // The checker, which runs before training, reports it too.
    assertThatThrownBy(() -> EnvironmentChecker.check(
        PythonEnvironment.shared(PythonTestEnvs.spec(FAULTY + "Unpicklable"))))
        .isInstanceOf(InvalidEnvironmentException.class).hasMessageContaining("env.python-episodes = restart");
  }

  @Test
  void anUnsupportedSpaceIsNamed() {
    assertThatThrownBy(() -> PythonWorker.start(PythonTestEnvs.spec(FAULTY + "TupleObservation"), 1))
        .isInstanceOf(PythonEnvException.class)
        .hasMessage("env.python = \"sparkac_test_envs.faulty:TupleObservation\": the observation space is"
            + " Tuple(Discrete(3), Discrete(2)) (sparkac_test_envs.faulty.Tuple); sparkac supports Discrete and Box"
            + " spaces only");
  }

  @Test
  void theWrongReturnArityIsNamed() {
    try (PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(FAULTY + "WrongArity"), 1)) {
      PythonEnvironment env = new PythonEnvironment(w, 0);
      env.reset(1, new float[4]);
      assertThatThrownBy(() -> env.step(1, new float[4], new StepResult()))
          .isInstanceOf(PythonEnvException.class)
          .hasMessageEndingWith("step(1) returned 4 values; Gymnasium's API returns 5 values: (obs, reward,"
              + " terminated, truncated, info)");
    }
  }

  @Test
  void aModuleThatCannotBeImportedIsAConfigurationError() {
    var config = ConfigLoader.parse("", List.of("env.python=no_such_pkg.envs:Grid",
        "env.python-path=[\"" + PythonTestEnvs.modules() + "\"]"));
    assertThatThrownBy(() -> Environments.create(config.env()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("env.python = \"no_such_pkg.envs:Grid\": import no_such_pkg.envs raised an exception in"
            + " Python (sys.path: [")
        .hasMessageContaining("]):\nTraceback (most recent call last):")
        .hasMessageContaining(PythonTestEnvs.modules().toString())
        .hasMessageEndingWith("ModuleNotFoundError: No module named 'no_such_pkg'");
    var noPython = ConfigLoader.parse("", List.of("env.python=" + PythonTestEnvs.CARTPOLE,
        "env.python-executable=/no/such/python3"));
    assertThatThrownBy(() -> Environments.create(noPython.env()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("env.python-executable = \"/no/such/python3\": cannot start it")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("env.python"));
  }

  @Test
  void noWorkerOutlivesItsOwner() {
    PythonWorker w = PythonWorker.start(PythonTestEnvs.spec(PythonTestEnvs.CARTPOLE), 1);
    ProcessHandle handle = ProcessHandle.of(w.pid()).orElseThrow();
    w.close();
    assertThat(handle.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join().isAlive()).isFalse();
  }
}
