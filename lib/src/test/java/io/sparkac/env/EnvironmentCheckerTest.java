package io.sparkac.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EnvironmentCheckerTest {

  static Stream<String> registeredIds() {
    return EnvRegistry.ids().stream();
  }

  @ParameterizedTest
  @MethodSource("registeredIds")
  void everyRegisteredEnvironmentPasses(String id) {
    EnvironmentChecker.Report report = EnvironmentChecker.check(EnvRegistry.create(id));

    assertThat(report.environment()).startsWith(id + " (io.sparkac.env.");
    assertThat(report.warnings()).as("warnings for %s", id).isEmpty();
    assertThat(report.steps()).isBetween(EnvironmentChecker.ROLLOUT_STEPS, 2 * EnvironmentChecker.ROLLOUT_STEPS + 10);
  }

  @Test
  void aWellBehavedTestEnvironmentPasses() {
    assertThat(EnvironmentChecker.check(new LineWalk()).warnings()).isEmpty();
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> EnvironmentChecker.check(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("env must not be null");
  }

  // --- one broken environment per problem -----------------------------------------------------------

  @Test
  void nanObservation() {
    assertFails(new NanObservation())
        .hasMessage("NanObs-v0 (io.sparkac.env.EnvironmentCheckerTest$NanObservation): "
            + "step 3 after reset(seed=0) (action 0) wrote NaN at obs[1]");
  }

  @Test
  void observationShorterThanTheSpace() {
    assertFails(new ShortObservation())
        .hasMessage("ShortObs-v0 (io.sparkac.env.EnvironmentCheckerTest$ShortObservation): "
            + "reset(seed=0) did not write obs[1]; the observation space has 2 values");
  }

  @Test
  void observationLongerThanTheSpace() {
    assertFails(new LongObservation())
        .hasMessageStartingWith("LongObs-v0 (io.sparkac.env.EnvironmentCheckerTest$LongObservation): "
            + "reset(seed=0) threw java.lang.ArrayIndexOutOfBoundsException")
        .hasMessageEndingWith("; does it write more than the 2 values of its observation space?")
        .hasCauseInstanceOf(ArrayIndexOutOfBoundsException.class);
  }

  @Test
  void observationOutsideTheBox() {
    assertFails(new UnboundedObservation())
        .hasMessageContaining("UnboundedObs-v0")
        .hasMessageContaining("wrote obs[0] = ")
        .hasMessageEndingWith("outside the observation space's bounds [-5.0, 5.0]");
  }

  @Test
  void resetThatReadsTheClock() {
    assertFails(new ClockSeededReset())
        .hasMessageStartingWith("ClockReset-v0 (io.sparkac.env.EnvironmentCheckerTest$ClockSeededReset): "
            + "reset(seed=0) twice gave different starts: obs[0] = ")
        .hasMessageEndingWith("; reset must draw only from its seed (no clock, no shared Random)");
  }

  @Test
  void stepThatDrawsRandomNumbers() {
    assertFails(new NoisyStep())
        .hasMessageStartingWith("NoisyStep-v0 (io.sparkac.env.EnvironmentCheckerTest$NoisyStep): "
            + "reset(seed=0) and the same 200 actions twice gave different trajectories: "
            + "step 1 after reset(seed=0) (action 1) gave obs[0] = ")
        .hasMessageEndingWith("; an environment may draw random numbers only in reset, from its seed");
  }

  @Test
  void resetThatIgnoresItsSeed() {
    assertFails(new FixedStart())
        .hasMessageStartingWith("FixedStart-v0 (io.sparkac.env.EnvironmentCheckerTest$FixedStart): "
            + "reset ignores its seed: seeds 0, 1, 2, 3, 4 all gave the same start (obs [0.25, 0.0], state [0.25]); draw the start from a SplittableRandom seeded with it");
  }

  @Test
  void seedsThatShareAStartAreOnlyAWarning() {
    EnvironmentChecker.Report report = EnvironmentChecker.check(new TwoStarts());

    assertThat(report.warnings()).containsExactly("seeds 0, 2, 4 gave the same start", "seeds 1, 3 gave the same start");
  }

  @Test
  void restoreThatDoesNotRestore() {
    assertFails(new ForgetfulRestore())
        .hasMessageStartingWith("ForgetfulRestore-v0 (io.sparkac.env.EnvironmentCheckerTest$ForgetfulRestore): "
            + "restore(state(), 5) from another episode did not bring the state back: state() then returned [");
  }

  @Test
  void restoreThatKeepsTheCallersArray() {
    assertFails(new AliasingRestore())
        .hasMessageContaining("AliasingRestore-v0")
        .hasMessageContaining("restore(state(), 5) from another episode did not bring the state back: "
            + "state() then returned [NaN]")
        .hasMessageEndingWith("keep no reference to the caller's array)");
  }

  @Test
  void stateThatHandsOutItsInternalArray() {
    assertFails(new AliasingState())
        .hasMessage("AliasingState-v0 (io.sparkac.env.EnvironmentCheckerTest$AliasingState): state() returned its "
            + "internal array (writing to the result changed the environment); it must return a copy");
  }

  @Test
  void timeLimitThatNeverTruncates() {
    assertFails(new EndlessEpisode())
        .hasMessageStartingWith("Endless-v0 (io.sparkac.env.EnvironmentCheckerTest$EndlessEpisode): "
            + "step 20 after reset(seed=0) (action ")
        .hasMessageEndingWith(") reached maxEpisodeSteps() = 20 but reported truncated = false (and terminated = false);"
            + " the step that reaches the time limit must be truncated");
  }

  @Test
  void timeLimitBeyondTheRolloutIsCheckedThroughRestore() {
    assertFails(new LongEndlessEpisode())
        .hasMessageStartingWith("LongEndless-v0 (io.sparkac.env.EnvironmentCheckerTest$LongEndlessEpisode): "
            + "the step after restore(state(), 999) (action ")
        .hasMessageContaining("reached maxEpisodeSteps() = 1000 but reported truncated = false");
  }

  @Test
  void infiniteReward() {
    assertFails(new InfiniteReward())
        .hasMessage("InfiniteReward-v0 (io.sparkac.env.EnvironmentCheckerTest$InfiniteReward): "
            + "step 2 after reset(seed=0) (action 0) returned reward Infinity; rewards must be finite");
  }

  @Test
  void discreteActionSpaceWithNoActions() {
    assertFails(new NoActions())
        .hasMessage("NoActions-v0 (io.sparkac.env.EnvironmentCheckerTest$NoActions): actionSpace() threw "
            + "java.lang.IllegalArgumentException: Discrete space needs n >= 1, got: 0")
        .hasCauseInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void outOfRangeActionAccepted() {
    assertFails(new LenientActions())
        .hasMessage("LenientActions-v0 (io.sparkac.env.EnvironmentCheckerTest$LenientActions): step(2) was "
            + "accepted, but the action space is Discrete[n=2] (actions 0 to 1): it must throw IllegalArgumentException");
  }

  @Test
  void outOfRangeActionRejectedWithTheWrongException() {
    assertFails(new IndexingActions())
        .hasMessageStartingWith("IndexingActions-v0 (io.sparkac.env.EnvironmentCheckerTest$IndexingActions): "
            + "step(2) threw java.lang.ArrayIndexOutOfBoundsException")
        .hasMessageEndingWith("reject it with an IllegalArgumentException that names the action");
  }

  @Test
  void continuousActionOfTheWrongLengthAccepted() {
    assertFails(new LenientVector())
        .hasMessage("LenientVector-v0 (io.sparkac.env.EnvironmentCheckerTest$LenientVector): step(float[2]) was "
            + "accepted, but an action of Box(low=[-1.0], high=[1.0]) has 1 value: it must throw IllegalArgumentException");
  }

  @Test
  void noTimeLimit() {
    assertFails(new ZeroTimeLimit())
        .hasMessage("ZeroLimit-v0 (io.sparkac.env.EnvironmentCheckerTest$ZeroTimeLimit): "
            + "maxEpisodeSteps() must be >= 1, got: 0");
  }

  @Test
  void discreteObservationSpace() {
    assertFails(new DiscreteObservation())
        .hasMessage("DiscreteObs-v0 (io.sparkac.env.EnvironmentCheckerTest$DiscreteObservation): the observation "
            + "space must be a Box (the policy reads a vector of floats), got: Discrete[n=4]");
  }

  @Test
  void blankId() {
    assertFails(new ForwardingEnvironment(" ") {})
        .hasMessageStartingWith("io.sparkac.env.EnvironmentCheckerTest$")
        .hasMessageEndingWith(": id() must return a non-blank id, got: ' '");
  }

  @Test
  void unboundedContinuousActions() {
    assertFails(new UnboundedActions())
        .hasMessageEndingWith("UnboundedActions): the continuous action space needs finite bounds (actions are "
            + "sampled and clipped to them), got [-Infinity, Infinity] for action[0]");
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertFails(Environment env) {
    return assertThatThrownBy(() -> EnvironmentChecker.check(env)).isInstanceOf(InvalidEnvironmentException.class);
  }

  // --- the broken environments: each overrides the one method it breaks --------------------------------

  static final class NanObservation extends ForwardingEnvironment {
    NanObservation() {
      super("NanObs-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      if (elapsedSteps() == 3) {
        obs[1] = Float.NaN;
      }
    }
  }

  static final class ShortObservation extends ForwardingEnvironment {
    ShortObservation() {
      super("ShortObs-v0");
    }

    @Override
    public void observe(float[] obs) {
      obs[0] = (float) state()[0];
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, new float[2]);
      observe(obs);
    }
  }

  static final class LongObservation extends ForwardingEnvironment {
    LongObservation() {
      super("LongObs-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, obs);
      obs[2] = 0f; // a third value the space does not declare
    }
  }

  static final class UnboundedObservation extends ForwardingEnvironment {
    UnboundedObservation() {
      super("UnboundedObs-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, obs);
      obs[0] += 10;
    }
  }

  static final class ClockSeededReset extends ForwardingEnvironment {
    ClockSeededReset() {
      super("ClockReset-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(System.nanoTime(), obs);
    }
  }

  static final class NoisyStep extends ForwardingEnvironment {
    private final Random random = new Random();

    NoisyStep() {
      super("NoisyStep-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      double[] s = state();
      s[0] += 1e-3 * random.nextGaussian();
      restore(s, elapsedSteps());
      observe(obs);
    }
  }

  static final class FixedStart extends ForwardingEnvironment {
    FixedStart() {
      super("FixedStart-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, obs);
      restore(new double[] {0.25}, 0);
      observe(obs);
    }
  }

  /** Only the seed's parity matters: a warning, not a failure. */
  static final class TwoStarts extends ForwardingEnvironment {
    TwoStarts() {
      super("TwoStarts-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed % 2, obs);
    }
  }

  static final class ForgetfulRestore extends ForwardingEnvironment {
    ForgetfulRestore() {
      super("ForgetfulRestore-v0");
    }

    @Override
    public void restore(double[] state, int elapsedSteps) {
      // forgets the state, keeps only the counter
      super.restore(inner.state(), elapsedSteps);
    }
  }

  static final class AliasingRestore extends ForwardingEnvironment {
    private double[] state;

    AliasingRestore() {
      super("AliasingRestore-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, obs);
      state = null;
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      if (state != null) {
        super.restore(state.clone(), elapsedSteps());
        state = null;
      }
      super.step(action, obs, result);
    }

    @Override
    public double[] state() {
      return state != null ? state.clone() : super.state();
    }

    @Override
    public void restore(double[] state, int elapsedSteps) {
      super.restore(state, elapsedSteps);
      this.state = state; // keeps the caller's array
    }
  }

  /** Keeps its state in an array that {@code state()} hands out as is. */
  static final class AliasingState extends ForwardingEnvironment {
    private final double[] state = new double[1];

    AliasingState() {
      super("AliasingState-v0");
    }

    @Override
    public void reset(long seed, float[] obs) {
      super.reset(seed, obs);
      state[0] = inner.state()[0];
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      inner.restore(state.clone(), elapsedSteps());
      super.step(action, obs, result);
      state[0] = inner.state()[0];
    }

    @Override
    public double[] state() {
      return state;
    }

    @Override
    public void restore(double[] state, int elapsedSteps) {
      super.restore(state, elapsedSteps);
      this.state[0] = state[0];
    }
  }

  static final class EndlessEpisode extends ForwardingEnvironment {
    EndlessEpisode() {
      super("Endless-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      result.truncated = false;
    }
  }

  /** Never truncates either, but its limit is beyond what the rollout reaches. */
  static final class LongEndlessEpisode extends ForwardingEnvironment {
    LongEndlessEpisode() {
      super("LongEndless-v0");
    }

    @Override
    public int maxEpisodeSteps() {
      return 1000;
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      result.truncated = false;
      obs[1] = 0f; // the observation's time feature assumes 20 steps
    }

    @Override
    public void observe(float[] obs) {
      super.observe(obs);
      obs[1] = 0f;
    }
  }

  static final class InfiniteReward extends ForwardingEnvironment {
    InfiniteReward() {
      super("InfiniteReward-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(action, obs, result);
      if (elapsedSteps() == 2) {
        result.reward = Double.POSITIVE_INFINITY;
      }
    }
  }

  static final class NoActions extends ForwardingEnvironment {
    NoActions() {
      super("NoActions-v0");
    }

    @Override
    public Space actionSpace() {
      return new Space.Discrete(0);
    }
  }

  static final class LenientActions extends ForwardingEnvironment {
    LenientActions() {
      super("LenientActions-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(Math.floorMod(action, 2), obs, result);
    }
  }

  static final class IndexingActions extends ForwardingEnvironment {
    private static final int[] DIRECTIONS = {0, 1};

    IndexingActions() {
      super("IndexingActions-v0");
    }

    @Override
    public void step(int action, float[] obs, StepResult result) {
      super.step(DIRECTIONS[action], obs, result);
    }
  }

  /** Continuous actions in [-1, 1], of which only the first value is read. */
  static final class LenientVector extends ForwardingEnvironment {
    LenientVector() {
      super("LenientVector-v0");
    }

    @Override
    public Space actionSpace() {
      return Space.Box.symmetric(1f, 1);
    }

    @Override
    public void step(float[] action, float[] obs, StepResult result) {
      super.step(action[0] > 0 ? 1 : 0, obs, result);
    }
  }

  static final class UnboundedActions extends ForwardingEnvironment {
    UnboundedActions() {
      super("UnboundedActions-v0");
    }

    @Override
    public Space actionSpace() {
      return Space.Box.symmetric(Float.POSITIVE_INFINITY, 1);
    }
  }

  static final class ZeroTimeLimit extends ForwardingEnvironment {
    ZeroTimeLimit() {
      super("ZeroLimit-v0");
    }

    @Override
    public int maxEpisodeSteps() {
      return 0;
    }
  }

  static final class DiscreteObservation extends ForwardingEnvironment {
    DiscreteObservation() {
      super("DiscreteObs-v0");
    }

    @Override
    public Space observationSpace() {
      return new Space.Discrete(4);
    }
  }
}
