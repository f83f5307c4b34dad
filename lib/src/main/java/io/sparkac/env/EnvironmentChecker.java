package io.sparkac.env;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Checks that an {@link Environment} keeps the contract the rollout relies on, after
 * Stable-Baselines3's {@code check_env} and Gymnasium's {@code utils/env_checker.py}, with the
 * parts of our contract they do not have: determinism from the seed alone (every random draw
 * derives from the run seed and the actor's index), {@code state()}/{@code restore()} (episodes
 * continue across rounds on other executors) and the time limit built into the environment.
 *
 * <p>Meant for the driver, before a run with a custom {@code env.class} starts: a broken
 * environment then fails at once with a message that names it and the exact problem (e.g.
 * {@code "MyEnv-v0 (com.example.MyEnv): reset(seed=7) wrote NaN at obs[2]"}), instead of as NaN
 * losses or irreproducible rounds later. It checks, in this order:
 * <ol>
 *   <li>{@code id()} is not blank; both spaces are non-null, the observation space is a
 *       {@link Space.Box} and a continuous action space has finite bounds (actions are sampled and
 *       clipped to them); {@code maxEpisodeSteps() >= 1}.
 *   <li>A rollout of {@value #ROLLOUT_STEPS} steps of fixed pseudo-random actions (resetting
 *       with the next seed whenever an episode ends): every observation written completely
 *       (exactly the Box's length), finite and inside the Box (infinite bounds allowed), every
 *       reward finite, {@code elapsedSteps()} 0 after {@code reset} and one more after each step,
 *       the step that reaches {@code maxEpisodeSteps()} ends the episode, and {@code observe()}
 *       writes what the last call wrote.
 *   <li>The same rollout again gives the same trajectory bit for bit (reset draws only from its
 *       seed, step draws nothing).
 *   <li>Different seeds give different starts: one repeat among {@link #SEEDS} is a warning in
 *       the {@link Report}, all of them equal is a failure (the seed is ignored).
 *   <li>{@code state()} returns a copy; {@code restore(state, elapsed)} from another episode
 *       brings back the state, the step counter and the observation, and the next step equals
 *       the one first taken from that state; restored to {@code maxEpisodeSteps() - 1}, the next
 *       step ends the episode.
 *   <li>An out-of-range discrete action, or a continuous action of the wrong length, throws
 *       {@link IllegalArgumentException}.
 * </ol>
 * It takes at most {@code 2 * ROLLOUT_STEPS + 10} steps.
 */
public final class EnvironmentChecker {

  /** The seeds whose starts are compared; the rollout resets with 0, 1, 2, ... */
  static final long[] SEEDS = {0, 1, 2, 3, 4};

  /**
   * Steps of the rollout that runs twice. 200 reaches the time limit of MountainCar-v0 and
   * Pendulum-v1 within one episode; longer limits are checked through {@code restore}.
   */
  static final int ROLLOUT_STEPS = 200;

  /** Steps taken into an episode before its state is saved for the restore check. */
  private static final int STEPS_BEFORE_SAVE = 5;

  /** Seeds the checker's own action sequence; any fixed value does, the same for every run. */
  private static final long ACTION_SEED = 12345;

  /**
   * Written into an observation array before each call: a quiet NaN with a payload no
   * arithmetic produces, so that an entry still holding it was not written at all, while a NaN
   * the environment computed has the canonical bits.
   */
  private static final int UNWRITTEN_BITS = 0x7fc0_5a5a;
  private static final float UNWRITTEN = Float.intBitsToFloat(UNWRITTEN_BITS);

  /** What a check that passed found worth a look: the environment, steps taken, warnings. */
  public record Report(String environment, int steps, List<String> warnings) {
    public Report {
      warnings = List.copyOf(warnings);
    }
  }

  private EnvironmentChecker() {}

  /**
   * Checks {@code env} (which it resets and steps; use a fresh instance afterwards or reset it).
   *
   * @throws InvalidEnvironmentException naming the environment and the first problem found
   */
  public static Report check(Environment env) {
    if (env == null) {
      throw new IllegalArgumentException("env must not be null");
    }
    return new Run(env).check();
  }

  /** One check of one environment: the state the checks share. */
  private static final class Run {
    private final Environment env;
    private String name;
    private Space.Box obsSpace;
    private Space actionSpace;
    private int maxSteps;
    private int steps;
    private final List<String> warnings = new ArrayList<>();

    /**
     * A Python environment's state() is its pickle, whose bytes are not canonical (an unpickled
     * environment may pickle to other bytes): its restore is checked by what the environment then
     * does, not by comparing states.
     */
    private final boolean opaqueState;

    Run(Environment env) {
      this.env = env;
      this.name = env.getClass().getName();
      this.opaqueState = env instanceof io.sparkac.env.python.PythonEnvironment;
    }

    Report check() {
      checkIdentityAndSpaces();
      List<Action> actions = sampleActions(ROLLOUT_STEPS + STEPS_BEFORE_SAVE + 1);
      List<Frame> first = rollout(actions);
      List<Frame> second = rollout(actions);
      checkSameTrajectory(first, second);
      checkSeedsGiveDifferentStarts();
      if (!(env instanceof io.sparkac.env.python.PythonEnvironment p && p.spec().restartEpisodes())) {
        checkStateAndRestore(actions); // a Python environment with env.python-episodes = restart keeps no state
      }
      checkInvalidActionsAreRejected();
      return new Report(name, steps, warnings);
    }

    // --- identity and spaces --------------------------------------------------------------------

    private void checkIdentityAndSpaces() {
      String id = call("id()", env::id);
      if (id == null || id.isBlank()) {
        throw fail("id() must return a non-blank id, got: " + (id == null ? "null" : "'" + id + "'"));
      }
      name = id + " (" + (env instanceof io.sparkac.env.python.PythonEnvironment p ? p.spec().describe()
          : env.getClass().getName()) + ")";

      Space obs = call("observationSpace()", env::observationSpace);
      if (obs == null) {
        throw fail("observationSpace() returned null");
      }
      if (!(obs instanceof Space.Box box)) {
        throw fail("the observation space must be a Box (the policy reads a vector of floats), got: " + obs);
      }
      obsSpace = box;
      if (!obs.equals(call("observationSpace()", env::observationSpace))) {
        throw fail("observationSpace() returned a different space on a second call");
      }

      actionSpace = call("actionSpace()", env::actionSpace);
      if (actionSpace == null) {
        throw fail("actionSpace() returned null");
      }
      if (actionSpace instanceof Space.Box a) {
        for (int i = 0; i < a.dims(); i++) {
          if (!Float.isFinite(a.low(i)) || !Float.isFinite(a.high(i))) {
            throw fail("the continuous action space needs finite bounds (actions are sampled and clipped"
                + " to them), got [" + a.low(i) + ", " + a.high(i) + "] for action[" + i + "]");
          }
        }
      }
      if (!actionSpace.equals(call("actionSpace()", env::actionSpace))) {
        throw fail("actionSpace() returned a different space on a second call");
      }

      maxSteps = call("maxEpisodeSteps()", env::maxEpisodeSteps);
      if (maxSteps < 1) {
        throw fail("maxEpisodeSteps() must be >= 1, got: " + maxSteps);
      }
    }

    // --- rollout ----------------------------------------------------------------------------------

    /** What one reset or step produced. */
    private record Frame(String call, float[] obs, double[] state, double reward, boolean terminated,
        boolean truncated) {}

    /** Resets with seeds 0, 1, 2, ... and takes {@link #ROLLOUT_STEPS} steps, checking each. */
    private List<Frame> rollout(List<Action> actions) {
      List<Frame> frames = new ArrayList<>();
      long seed = SEEDS[0];
      frames.add(reset(seed));
      int inEpisode = 0;
      for (int i = 0; i < ROLLOUT_STEPS; i++) {
        inEpisode++;
        Frame frame = step(actions.get(i), "step " + inEpisode + " after reset(seed=" + seed + ")");
        frames.add(frame);
        if (frame.terminated() || frame.truncated()) {
          seed++;
          frames.add(reset(seed));
          inEpisode = 0;
        }
      }
      return frames;
    }

    private Frame reset(long seed) {
      String what = "reset(seed=" + seed + ")";
      float[] obs = unwritten();
      call(what, () -> env.reset(seed, obs), true);
      checkObservation(what, obs);
      int elapsed = call("elapsedSteps()", env::elapsedSteps);
      if (elapsed != 0) {
        throw fail(what + " left elapsedSteps() = " + elapsed + ", expected 0");
      }
      checkObserveRepeats(what, obs);
      return new Frame(what, obs, state(what), 0, false, false);
    }

    /** One step, checked: observation, reward, step counter, time limit, observe(). */
    private Frame step(Action action, String where) {
      String what = where + " (action " + action + ")";
      int before = call("elapsedSteps()", env::elapsedSteps);
      float[] obs = unwritten();
      StepResult result = new StepResult();
      call(what, () -> action.apply(env, obs, result), true);
      steps++;
      checkObservation(what, obs);
      if (!Double.isFinite(result.reward)) {
        throw fail(what + " returned reward " + result.reward + "; rewards must be finite");
      }
      int elapsed = call("elapsedSteps()", env::elapsedSteps);
      if (elapsed != before + 1) {
        throw fail(what + ": elapsedSteps() went from " + before + " to " + elapsed + ", expected " + (before + 1));
      }
      if (elapsed >= maxSteps && !result.done()) {
        throw fail(what + " reached maxEpisodeSteps() = " + maxSteps + " but reported truncated = false"
            + " (and terminated = false); the step that reaches the time limit must be truncated");
      }
      checkObserveRepeats(what, obs);
      return new Frame(what, obs, state(what), result.reward, result.terminated, result.truncated);
    }

    private void checkObservation(String what, float[] obs) {
      for (int i = 0; i < obs.length; i++) {
        float v = obs[i];
        if (Float.floatToRawIntBits(v) == UNWRITTEN_BITS) {
          throw fail(what + " did not write obs[" + i + "]; the observation space has " + obs.length + " values");
        }
        if (Float.isNaN(v) || Float.isInfinite(v)) {
          throw fail(what + " wrote " + v + " at obs[" + i + "]");
        }
        if (v < obsSpace.low(i) || v > obsSpace.high(i)) {
          throw fail(what + " wrote obs[" + i + "] = " + v + ", outside the observation space's bounds ["
              + obsSpace.low(i) + ", " + obsSpace.high(i) + "]");
        }
      }
    }

    /** {@code observe()} must write what the reset or step just wrote. */
    private void checkObserveRepeats(String what, float[] written) {
      float[] again = unwritten();
      call("observe() after " + what, () -> env.observe(again), true);
      int i = firstDifference(written, again);
      if (i >= 0) {
        throw fail("observe() after " + what + " wrote obs[" + i + "] = " + again[i] + ", but " + what
            + " wrote " + written[i] + "; the observation must be a function of the state");
      }
    }

    private void checkSameTrajectory(List<Frame> first, List<Frame> second) {
      for (int f = 0; f < Math.min(first.size(), second.size()); f++) {
        Frame a = first.get(f);
        Frame b = second.get(f);
        String difference = difference(a, b);
        if (difference == null) {
          continue;
        }
        if (f == 0) {
          throw fail(a.call() + " twice gave different starts: " + difference
              + "; reset must draw only from its seed (no clock, no shared Random)");
        }
        throw fail(first.get(0).call() + " and the same " + ROLLOUT_STEPS + " actions twice gave different "
            + "trajectories: " + a.call() + " gave " + difference + "; an environment may draw random "
            + "numbers only in reset, from its seed");
      }
      if (first.size() != second.size()) {
        throw fail("the same seeds and actions twice gave episodes of different lengths");
      }
    }

    /** How two frames differ, as "obs[1] = 0.1 then 0.2", or null if they are bit for bit equal. */
    private String difference(Frame a, Frame b) {
      int i = firstDifference(a.obs(), b.obs());
      if (i >= 0) {
        return "obs[" + i + "] = " + a.obs()[i] + " then " + b.obs()[i];
      }
      if (opaqueState) {
        // compare what the environment did, below
      } else if (a.state().length != b.state().length) {
        return "state() of " + a.state().length + " then " + b.state().length + " values";
      } else {
        for (int k = 0; k < a.state().length; k++) {
          if (Double.doubleToLongBits(a.state()[k]) != Double.doubleToLongBits(b.state()[k])) {
            return "state()[" + k + "] = " + a.state()[k] + " then " + b.state()[k];
          }
        }
      }
      if (Double.doubleToLongBits(a.reward()) != Double.doubleToLongBits(b.reward())) {
        return "reward " + a.reward() + " then " + b.reward();
      }
      if (a.terminated() != b.terminated() || a.truncated() != b.truncated()) {
        return "terminated/truncated " + a.terminated() + "/" + a.truncated() + " then " + b.terminated()
            + "/" + b.truncated();
      }
      return null;
    }

    // --- seeds ------------------------------------------------------------------------------------

    private void checkSeedsGiveDifferentStarts() {
      Map<String, List<Long>> seedsByStart = new LinkedHashMap<>();
      for (long seed : SEEDS) {
        Frame start = reset(seed);
        String key = "obs " + Arrays.toString(start.obs())
            + (opaqueState ? "" : ", state " + Arrays.toString(start.state()));
        seedsByStart.computeIfAbsent(key, k -> new ArrayList<>()).add(seed);
      }
      if (seedsByStart.size() == 1) {
        throw fail("reset ignores its seed: seeds " + join(SEEDS) + " all gave the same start ("
            + seedsByStart.keySet().iterator().next() + "); draw the start from a SplittableRandom seeded with it");
      }
      for (List<Long> same : seedsByStart.values()) {
        if (same.size() > 1) {
          warnings.add("seeds " + same.stream().map(String::valueOf).collect(Collectors.joining(", "))
              + " gave the same start");
        }
      }
    }

    // --- state and restore --------------------------------------------------------------------------

    private void checkStateAndRestore(List<Action> actions) {
      reset(SEEDS[0]);
      Frame last = null;
      for (int i = 0; i < STEPS_BEFORE_SAVE; i++) {
        last = step(actions.get(i), "step " + (i + 1) + " after reset(seed=" + SEEDS[0] + ")");
        if (last.terminated() || last.truncated()) {
          last = reset(SEEDS[0]); // save at the start instead: stepping past the end is undefined
          break;
        }
      }
      double[] saved = state("state()");
      int savedElapsed = call("elapsedSteps()", env::elapsedSteps);
      float[] savedObs = last.obs();

      double[] alias = call("state()", env::state); // as returned, not copied
      if (alias.length > 0) {
        alias[0] = alias[0] == 1.0 ? 2.0 : 1.0;
        if (!Arrays.equals(state("state()"), saved)) {
          throw fail("state() returned its internal array (writing to the result changed the environment);"
              + " it must return a copy");
        }
      }

      Action action = actions.get(STEPS_BEFORE_SAVE);
      String where = "the first step from the state saved after " + savedElapsed + " steps";
      Frame original = step(action, where);

      // Move elsewhere, then come back.
      reset(SEEDS[1]);
      String restore = "restore(state(), " + savedElapsed + ")";
      double[] handedOver = saved.clone();
      call(restore, () -> env.restore(handedOver, savedElapsed), false);
      Arrays.fill(handedOver, Double.NaN); // the caller may reuse its array
      double[] restored = state(restore);
      if (!opaqueState && !Arrays.equals(restored, saved)) {
        throw fail(restore + " from another episode did not bring the state back: state() then returned "
            + Arrays.toString(restored) + ", expected " + Arrays.toString(saved)
            + " (restore must copy every value of the state, and keep no reference to the caller's array)");
      }
      int elapsed = call("elapsedSteps()", env::elapsedSteps);
      if (elapsed != savedElapsed) {
        throw fail(restore + " did not bring the step counter back: elapsedSteps() then returned " + elapsed);
      }
      float[] obs = unwritten();
      call("observe() after " + restore, () -> env.observe(obs), true);
      int i = firstDifference(savedObs, obs);
      if (i >= 0) {
        throw fail("observe() after " + restore + " wrote obs[" + i + "] = " + obs[i]
            + ", but the saved state's observation was " + savedObs[i]);
      }
      Frame again = step(action, "the step after " + restore);
      String difference = difference(original, again);
      if (difference != null) {
        throw fail(restore + " then step(" + action + ") differed from " + where + ": " + difference
            + " (state() must hold everything step reads)");
      }

      // The time limit, however long, through restore.
      String nearLimit = "restore(state(), " + (maxSteps - 1) + ")";
      call(nearLimit, () -> env.restore(saved.clone(), maxSteps - 1), false);
      step(action, "the step after " + nearLimit);
    }

    // --- invalid actions ------------------------------------------------------------------------------

    private void checkInvalidActionsAreRejected() {
      if (actionSpace instanceof Space.Discrete d) {
        for (int invalid : new int[] {d.n(), -1}) {
          expectRejected("step(" + invalid + ")", "the action space is " + d + " (actions 0 to " + (d.n() - 1) + ")",
              () -> env.step(invalid, unwritten(), new StepResult()));
        }
      } else {
        int dims = actionSpace.flatSize();
        expectRejected("step(float[" + (dims + 1) + "])",
            "an action of " + actionSpace + " has " + dims + (dims == 1 ? " value" : " values"),
            () -> env.step(new float[dims + 1], unwritten(), new StepResult()));
      }
    }

    private void expectRejected(String what, String why, Runnable call) {
      reset(SEEDS[0]);
      try {
        call.run();
      } catch (IllegalArgumentException expected) {
        return;
      } catch (RuntimeException e) {
        throw fail(what + " threw " + e + ", but " + why + ": reject it with an IllegalArgumentException"
            + " that names the action", e);
      }
      throw fail(what + " was accepted, but " + why + ": it must throw IllegalArgumentException");
    }

    // --- helpers ----------------------------------------------------------------------------------

    /** A fixed sequence of actions drawn uniformly from the action space. */
    private List<Action> sampleActions(int count) {
      SplittableRandom rng = new SplittableRandom(ACTION_SEED);
      List<Action> actions = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        if (actionSpace instanceof Space.Discrete d) {
          actions.add(new Action(rng.nextInt(d.n()), null));
        } else {
          Space.Box box = (Space.Box) actionSpace;
          float[] a = new float[box.dims()];
          for (int k = 0; k < a.length; k++) {
            a[k] = (float) (box.low(k) + ((double) box.high(k) - box.low(k)) * rng.nextDouble());
            a[k] = Math.min(Math.max(a[k], box.low(k)), box.high(k)); // the float cast may round past a bound
          }
          actions.add(new Action(0, a));
        }
      }
      return actions;
    }

    private float[] unwritten() {
      float[] obs = new float[obsSpace.dims()];
      Arrays.fill(obs, UNWRITTEN);
      return obs;
    }

    /** A copy of {@code state()}, so that what the checker keeps cannot change under it. */
    private double[] state(String after) {
      double[] state = call("state() after " + after, env::state);
      if (state == null) {
        throw fail("state() after " + after + " returned null");
      }
      return state.clone();
    }

    private <T> T call(String what, Supplier<T> method) {
      try {
        return method.get();
      } catch (RuntimeException e) {
        throw fail(what + " threw " + e, e);
      }
    }

    private void call(String what, Runnable method, boolean writesObs) {
      try {
        method.run();
      } catch (ArrayIndexOutOfBoundsException e) {
        throw fail(what + " threw " + e + (writesObs ? "; does it write more than the " + obsSpace.dims()
            + " values of its observation space?" : ""), e);
      } catch (RuntimeException e) {
        throw fail(what + " threw " + e, e);
      }
    }

    private InvalidEnvironmentException fail(String problem) {
      return new InvalidEnvironmentException(name + ": " + problem);
    }

    private InvalidEnvironmentException fail(String problem, Throwable cause) {
      return new InvalidEnvironmentException(name + ": " + problem, cause);
    }

    private static int firstDifference(float[] a, float[] b) {
      for (int i = 0; i < Math.min(a.length, b.length); i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          return i;
        }
      }
      return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }

    private static String join(long[] values) {
      return Arrays.stream(values).mapToObj(String::valueOf).collect(Collectors.joining(", "));
    }
  }

  /** A discrete index or a continuous vector, whichever the action space takes. */
  private record Action(int index, float[] vector) {
    void apply(Environment env, float[] obs, StepResult result) {
      if (vector == null) {
        env.step(index, obs, result);
      } else {
        env.step(vector.clone(), obs, result);
      }
    }

    @Override
    public String toString() {
      return vector == null ? Integer.toString(index) : Arrays.toString(vector);
    }
  }
}
