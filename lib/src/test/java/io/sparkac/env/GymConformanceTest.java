package io.sparkac.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * Replays Gymnasium 1.0 step traces against our environment ports: always the traces this
 * repository carries ({@code lib/src/test/resources/gym-golden}, with their README, read from the
 * test class path), and besides them any folder named by the {@code golden.dir} system property.
 *
 * <p>One-step check (the exact one): each row's {@code prev_state} and step counter are set,
 * the action is applied, and the new internal state must match to 1e-9, the observation to
 * float32 precision (one float ulp: Gymnasium casts the float64 state to float32, and a
 * last-bit difference in {@code sin}/{@code cos} may move that cast by one ulp), the reward
 * exactly (but see {@link #REWARD_ULPS}) and both flags exactly. Every mismatching row is
 * collected, and the test fails naming how many and the first of them.
 *
 * <p>Free-running check: row 0's {@code prev_state} is set once and all actions applied open
 * loop, over the prefix {@link #FREE_RUN_PREFIX} gives per environment (chaotic dynamics
 * amplify last-bit differences exponentially; see the traces' README).
 *
 * <p>Any number of traces per environment is replayed (the file name only has to start with
 * the environment id and {@code _}). Traces of environments we have not ported are skipped, each
 * as an aborted test that names the file. Replay an extra folder with
 * {@code mvn -pl lib test -Dtest=GymConformanceTest -Dgolden.dir=<folder>} (a relative folder is
 * taken from the directory mvn runs in).
 */
class GymConformanceTest {
  static final double STATE_TOL = 1e-9;

  /**
   * Steps of free-running replay checked to {@link #STATE_TOL}, per environment. The figures are
   * the largest state error over the three seeds of the bundled traces, measured with these ports.
   * <ul>
   *   <li>CartPole-v1: 2.9e-13 after 100 steps, 6.2e-10 after 200, O(1) by 500: the balancing
   *       controller keeps the pole near the unstable upright, where the error grows sevenfold
   *       every 25 steps. 100 leaves a margin of 3000.
   *   <li>Acrobot-v1: the double pendulum is chaotic, but under random torques the error grows
   *       in bursts: on seeds 0 and 1 it stayed within 4.7e-14 for all 500 steps; on seed 2 it
   *       stayed within 6.8e-14 to step 300, then grew by four orders of magnitude in 125 steps
   *       (9.4e-10 at 425, 5.3e-7 at 475). 200 steps (largest error 1.4e-14) leave a margin of
   *       7e4, enough for such a burst to start as early as step 75 and still pass.
   *   <li>MountainCar-v0: the whole 200-step episode; largest error 1.1e-16 (the valley damps
   *       the one-ulp {@code cos} differences instead of amplifying them).
   *   <li>MountainCarContinuous-v0: the whole 999-step episode; error 0. Gymnasium rounds the
   *       state to float32 after every step, which absorbs a last-bit difference in {@code cos}
   *       (about 4e-19 on the velocity) unless the float64 value lies within that distance of a
   *       float32 rounding boundary: odds of about 1e-10 per step.
   *   <li>Pendulum-v1: the whole 200-step episode; largest error 5.9e-13 (at step 200), a margin
   *       of 1700.
   * </ul>
   */
  static final Map<String, Integer> FREE_RUN_PREFIX = Map.of(
      CartPole.ID, 100,
      Acrobot.ID, 200,
      MountainCar.ID, 200,
      MountainCarContinuous.ID, 999,
      Pendulum.ID, 200);

  /**
   * Double ulps (of Gymnasium's reward) by which our reward may differ; 0 for every environment
   * not listed. Pendulum-v1 alone needs one: its cost squares with numpy's {@code x ** 2}, which
   * calls the C library's {@code pow(x, 2)}, and glibc's {@code pow} (since 2.28) is only
   * accurate to 0.52 ulp, not correctly rounded. Gymnasium's own order of operations is kept,
   * but we square with {@code x * x}, which IEEE 754 rounds correctly; in the rare case where
   * {@code x * x} lies within 0.02 ulp of a rounding midpoint, glibc's {@code pow} rounds to the
   * other neighbour (seed 2, step 19: the square of 1.298449647621231 is 0.50002 ulp from
   * glibc's result and 0.49998 ulp from ours). Matching that bit would mean emulating one glibc
   * build's {@code pow} internals (its result even depends on whether glibc picked its FMA
   * variant for the CPU). Each of the two squares in the cost may so differ by one ulp; carried
   * through one scaling and two additions, that is at most 4 ulps of the cost, hence 4.
   * Measured: 1 reward in 600 differs, by 1 ulp.
   */
  static final Map<String, Integer> REWARD_ULPS = Map.of(Pendulum.ID, 4);

  private static final String NOT_PORTED = " (not ported)";

  /** How many mismatching rows a failure message lists in full. */
  private static final int MISMATCHES_SHOWN = 5;

  /** The traces in the repository, as the build copies them to the test class path. */
  static final String BUNDLED = "gym-golden";

  /** The folder of the bundled traces (target/test-classes/gym-golden in a Maven build). */
  static Path bundledDir() {
    URL readme = GymConformanceTest.class.getClassLoader().getResource(BUNDLED + "/README.md");
    if (readme == null || !readme.getProtocol().equals("file")) {
      throw new IllegalStateException("the bundled traces " + BUNDLED + "/ are not a folder on the test class path: "
          + readme + " (they are lib/src/test/resources/" + BUNDLED + ")");
    }
    try {
      return Path.of(readme.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bad class path URL " + readme, e);
    }
  }

  /**
   * The folders to replay: the bundled one, then {@code goldenDir} if it is not blank, resolved
   * against {@code base} (the pom passes the directory mvn runs in as {@code golden.base}).
   */
  static List<Path> goldenDirs(String goldenDir, String base) {
    List<Path> dirs = new ArrayList<>(List.of(bundledDir()));
    if (goldenDir != null && !goldenDir.isBlank()) {
      Path baseDir = base == null || base.isBlank() ? Path.of("") : Path.of(base);
      dirs.add(baseDir.resolve(goldenDir.strip()).toAbsolutePath().normalize());
    }
    return dirs;
  }

  static List<Path> goldenDirs() {
    return goldenDirs(System.getProperty("golden.dir"), System.getProperty("golden.base"));
  }

  static List<Path> traceFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("golden.dir is not a folder: " + dir);
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList();
    }
  }

  /** The traces are in the repository, so every port must have one: a port without is untested. */
  @Test
  void bundledTracesCoverEveryPortedEnvironment() throws IOException {
    List<String> traced = traceFiles(bundledDir()).stream().map(GoldenTrace::envIdOf).distinct().toList();
    assertThat(traced).as("environments with a trace in %s", bundledDir())
        .containsAll(EnvRegistry.ids());
  }

  @Test
  void everyPortedEnvironmentHasAFreeRunningPrefix() {
    assertThat(FREE_RUN_PREFIX.keySet()).as("FREE_RUN_PREFIX keys")
        .containsExactlyInAnyOrderElementsOf(EnvRegistry.ids());
  }

  @Test
  void replaysGoldenDirBesidesTheBundledTraces(@TempDir Path dir) {
    Path bundled = bundledDir();
    assertThat(goldenDirs(null, null)).containsExactly(bundled);
    assertThat(goldenDirs(" ", dir.toString())).containsExactly(bundled);
    assertThat(goldenDirs("traces/../more", dir.toString())).containsExactly(bundled, dir.resolve("more"));
    assertThat(goldenDirs(dir.toString(), "/elsewhere")).containsExactly(bundled, dir);
  }

  @Test
  void aGoldenDirThatIsNotAFolderFailsNamingIt(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-folder");
    assertThatThrownBy(() -> replayNodes(missing)).isInstanceOf(IllegalStateException.class)
        .hasMessage("golden.dir is not a folder: " + missing);
  }

  @Test
  void aGoldenDirWithoutTracesOfPortedEnvironmentsFails(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("Walker2d-v4_seed0.csv"), "step,action0\n");

    List<DynamicNode> nodes = folderNodes(dir);

    DynamicNode check = nodes.stream().filter(n -> n.getDisplayName().equals(HAS_PORTED_TRACES)).findFirst()
        .orElseThrow();
    assertThatThrownBy(() -> ((DynamicTest) check).getExecutable().execute()).isInstanceOf(AssertionError.class)
        .hasMessageContaining(dir.toString());
  }

  /** One container per folder of {@link #goldenDirs()}, holding its replays. */
  @TestFactory
  Stream<DynamicNode> replayEveryTrace() throws IOException {
    List<DynamicNode> folders = new ArrayList<>();
    for (Path dir : goldenDirs()) {
      List<DynamicNode> nodes = folderNodes(dir);
      List<String> skipped = nodes.stream().map(DynamicNode::getDisplayName)
          .filter(name -> name.endsWith(NOT_PORTED))
          .map(name -> name.substring(0, name.length() - NOT_PORTED.length())).toList();
      if (!skipped.isEmpty()) {
        System.out.println("GymConformanceTest: skipped traces of environments not ported in " + dir + ": "
            + String.join(", ", skipped));
      }
      int traces = nodes.size() - 1;
      System.out.println("GymConformanceTest: replaying " + traces + (traces == 1 ? " trace" : " traces") + " of " + dir);
      folders.add(DynamicContainer.dynamicContainer(dir.toString(), nodes));
    }
    return folders.stream();
  }

  private static final String HAS_PORTED_TRACES = "has traces of ported environments";

  /** A folder's replays, after a test that it holds any trace we can replay (a wrong folder fails). */
  static List<DynamicNode> folderNodes(Path dir) throws IOException {
    List<DynamicNode> nodes = new ArrayList<>(List.of(DynamicTest.dynamicTest(HAS_PORTED_TRACES, () ->
        assertThat(traceFiles(dir)).as("CSV traces of ported environments (%s) in %s", EnvRegistry.ids(), dir)
            .anyMatch(p -> EnvRegistry.contains(GoldenTrace.envIdOf(p))))));
    nodes.addAll(replayNodes(dir));
    return nodes;
  }

  /**
   * For each trace of a ported environment, a container with both replays; for each trace of
   * another environment, a test that is skipped and names it.
   */
  static List<DynamicNode> replayNodes(Path dir) throws IOException {
    List<DynamicNode> nodes = new ArrayList<>();
    for (Path file : traceFiles(dir)) {
      String envId = GoldenTrace.envIdOf(file);
      String name = file.getFileName().toString();
      if (!EnvRegistry.contains(envId)) {
        nodes.add(DynamicTest.dynamicTest(name + NOT_PORTED, () -> {
          throw new TestAbortedException("skipped " + name + ": no port of " + envId
              + "; ported: " + String.join(", ", EnvRegistry.ids()));
        }));
        continue;
      }
      int prefix = FREE_RUN_PREFIX.getOrDefault(envId, 0);
      nodes.add(DynamicContainer.dynamicContainer(name, Stream.of(
          DynamicTest.dynamicTest("one step at a time", () -> replayOneStep(GoldenTrace.read(file))),
          DynamicTest.dynamicTest("free running, first " + prefix + " steps",
              () -> replayFreeRunning(GoldenTrace.read(file))))));
    }
    return nodes;
  }

  static void replayOneStep(GoldenTrace trace) {
    replayOneStep(trace, EnvRegistry.create(trace.envId()));
  }

  /** The one-step check on {@code env}, whose restore() and state() are Gymnasium's internal state. */
  static void replayOneStep(GoldenTrace trace, Environment env) {
    float[] obs = new float[env.observationSpace().flatSize()];
    StepResult result = new StepResult();
    int rewardUlps = REWARD_ULPS.getOrDefault(trace.envId(), 0);
    assertThat(trace.rows()).as("%s has rows", trace.name()).isNotEmpty();
    List<String> mismatches = new ArrayList<>();
    for (GoldenTrace.Row row : trace.rows()) {
      env.restore(row.prevState(), row.step());
      apply(env, row.action(), obs, result);
      String where = trace.name() + " step " + row.step();
      List<String> problems = new ArrayList<>();
      checkState(where, env.state(), row.state(), problems);
      checkObs(where, obs, row.obs(), problems);
      checkReward(where, result.reward, row.reward(), rewardUlps, problems);
      checkFlags(where, result, row, problems);
      if (!problems.isEmpty()) {
        mismatches.add(String.join("; ", problems)); // one line per row: the count counts rows
      }
    }
    failIfAny(trace, mismatches, "one-step replay");
  }

  static void replayFreeRunning(GoldenTrace trace) {
    replayFreeRunning(trace, EnvRegistry.create(trace.envId()));
  }

  static void replayFreeRunning(GoldenTrace trace, Environment env) {
    int prefix = FREE_RUN_PREFIX.getOrDefault(trace.envId(), 0);
    assertThat(prefix).as("free-running prefix for %s must be chosen in FREE_RUN_PREFIX", trace.envId())
        .isPositive();
    float[] obs = new float[env.observationSpace().flatSize()];
    StepResult result = new StepResult();
    env.restore(trace.rows().get(0).prevState(), 0);
    int steps = Math.min(prefix, trace.rows().size());
    for (int i = 0; i < steps; i++) {
      GoldenTrace.Row row = trace.rows().get(i);
      if (row.step() != i) {
        fail("%s: row %d has step %d; free running needs the steps of one episode, 0, 1, 2, ...",
            trace.name(), i, row.step());
      }
      apply(env, row.action(), obs, result);
      List<String> mismatches = new ArrayList<>();
      String where = trace.name() + " free-running step " + row.step();
      checkState(where, env.state(), row.state(), mismatches);
      checkFlags(where, result, row, mismatches);
      // Open loop, the first divergence is the only meaningful one: later rows inherit it.
      failIfAny(trace, mismatches, "free-running replay (first " + steps + " steps)");
    }
  }

  static void apply(Environment env, double[] action, float[] obs, StepResult result) {
    if (env.actionSpace() instanceof Space.Discrete) {
      env.step((int) action[0], obs, result);
    } else {
      float[] a = new float[action.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) action[i];
      }
      env.step(a, obs, result);
    }
  }

  static void checkState(String where, double[] actual, double[] expected, List<String> mismatches) {
    if (actual.length != expected.length) {
      mismatches.add(where + ": state has " + actual.length + " values, Gymnasium " + expected.length);
      return;
    }
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(actual[i] - expected[i]) <= STATE_TOL)) {
        mismatches.add(String.format("%s: state[%d] = %s, Gymnasium %s (tolerance %s)",
            where, i, actual[i], expected[i], STATE_TOL));
      }
    }
  }

  static void checkObs(String where, float[] actual, double[] expected, List<String> mismatches) {
    if (actual.length != expected.length) {
      mismatches.add(where + ": observation has " + actual.length + " values, Gymnasium " + expected.length);
      return;
    }
    for (int i = 0; i < expected.length; i++) {
      float e = (float) expected[i];
      if (!(Math.abs(actual[i] - e) <= Math.ulp(e))) {
        mismatches.add(String.format("%s: obs[%d] = %s, Gymnasium %s (tolerance one float ulp)",
            where, i, actual[i], e));
      }
    }
  }

  static void checkReward(String where, double actual, double expected, int ulps, List<String> mismatches) {
    if (ulps == 0 ? actual != expected : !(Math.abs(actual - expected) <= ulps * Math.ulp(expected))) {
      mismatches.add(String.format("%s: reward %s, Gymnasium %s (%s)", where, actual, expected,
          ulps == 0 ? "exact" : "tolerance " + ulps + " ulps"));
    }
  }

  static void checkFlags(String where, StepResult result, GoldenTrace.Row row, List<String> mismatches) {
    if (result.terminated != row.terminated()) {
      mismatches.add(where + ": terminated " + result.terminated + ", Gymnasium " + row.terminated());
    }
    if (result.truncated != row.truncated()) {
      mismatches.add(where + ": truncated " + result.truncated + ", Gymnasium " + row.truncated());
    }
  }

  private static void failIfAny(GoldenTrace trace, List<String> mismatches, String what) {
    if (!mismatches.isEmpty()) {
      fail("%s: %s mismatches Gymnasium in %d of %d rows:%n  %s%s", trace.name(), what, mismatches.size(),
          trace.rows().size(), String.join("\n  ", mismatches.subList(0, Math.min(MISMATCHES_SHOWN, mismatches.size()))),
          mismatches.size() > MISMATCHES_SHOWN ? "\n  ..." : "");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The harness itself, on traces written by our own ports (so that these tests do not depend on
  // what golden.dir holds): extra seeds are replayed, unknown environments skipped, and a
  // difference of 1e-6 in a state, one ulp in a reward or a flipped flag fails.
  // ---------------------------------------------------------------------------------------------

  @Test
  void replaysAnyNumberOfSeedsOfAPortedEnvironment(@TempDir Path dir) throws Throwable {
    writeTrace(dir.resolve("Pendulum-v1_seed41.csv"), new Pendulum(), 41, 30);
    writeTrace(dir.resolve("Pendulum-v1_seed42.csv"), new Pendulum(), 42, 30);
    writeTrace(dir.resolve("MountainCar-v0_custom_seed7.csv"), new MountainCar(), 7, 30);

    List<DynamicNode> nodes = replayNodes(dir);

    assertThat(nodes).extracting(DynamicNode::getDisplayName).containsExactly(
        "MountainCar-v0_custom_seed7.csv", "Pendulum-v1_seed41.csv", "Pendulum-v1_seed42.csv");
    for (DynamicNode node : nodes) {
      for (DynamicNode test : ((DynamicContainer) node).getChildren().toList()) {
        ((DynamicTest) test).getExecutable().execute();
      }
    }
  }

  @Test
  void skipsAndNamesTracesOfEnvironmentsNotPorted(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("Walker2d-v4_seed0.csv"), "step,action0\n");

    List<DynamicNode> nodes = replayNodes(dir);

    assertThat(nodes).singleElement().extracting(DynamicNode::getDisplayName)
        .isEqualTo("Walker2d-v4_seed0.csv" + NOT_PORTED);
    assertThatThrownBy(() -> ((DynamicTest) nodes.get(0)).getExecutable().execute())
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("skipped Walker2d-v4_seed0.csv: no port of Walker2d-v4");
  }

  @Test
  void failsOnAStateOffBy1e6(@TempDir Path dir) throws IOException {
    Path file = writeTrace(dir.resolve("Acrobot-v1_seed3.csv"), new Acrobot(), 3, 20);
    GoldenTrace trace = GoldenTrace.read(file);
    double[] state = trace.rows().get(5).state();
    state[2] += 1e-6;

    assertThatThrownBy(() -> replayOneStep(trace)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("in 1 of 20 rows")
        .hasMessageContaining("Acrobot-v1_seed3.csv step 5: state[2]");
    assertThatThrownBy(() -> replayFreeRunning(trace)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("Acrobot-v1_seed3.csv free-running step 5: state[2]");
  }

  @Test
  void failsOnARewardOffByOneUlpWhereRewardsAreExact(@TempDir Path dir) throws IOException {
    Path file = writeTrace(dir.resolve("MountainCarContinuous-v0_seed3.csv"), new MountainCarContinuous(), 3, 20);
    GoldenTrace exact = GoldenTrace.read(file);
    GoldenTrace.Row row = exact.rows().get(7);
    GoldenTrace trace = withRow(exact, 7, new GoldenTrace.Row(row.step(), row.action(), row.prevState(),
        row.state(), row.obs(), Math.nextUp(row.reward()), row.terminated(), row.truncated()));

    assertThatThrownBy(() -> replayOneStep(trace)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("MountainCarContinuous-v0_seed3.csv step 7: reward")
        .hasMessageContaining("(exact)");
  }

  @Test
  void failsOnAPendulumRewardBeyondItsUlpTolerance(@TempDir Path dir) throws IOException {
    Path file = writeTrace(dir.resolve("Pendulum-v1_seed3.csv"), new Pendulum(), 3, 20);
    GoldenTrace exact = GoldenTrace.read(file);
    GoldenTrace.Row row = exact.rows().get(4);
    double off = row.reward() + 5 * Math.ulp(row.reward());
    GoldenTrace trace = withRow(exact, 4, new GoldenTrace.Row(row.step(), row.action(), row.prevState(),
        row.state(), row.obs(), off, row.terminated(), row.truncated()));

    assertThatThrownBy(() -> replayOneStep(trace)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("Pendulum-v1_seed3.csv step 4: reward")
        .hasMessageContaining("tolerance 4 ulps");
  }

  @Test
  void failsOnAFlippedFlagAndCountsEveryMismatchingRow(@TempDir Path dir) throws IOException {
    Path file = writeTrace(dir.resolve("CartPole-v1_seed3.csv"), new CartPole(), 3, 8);
    GoldenTrace exact = GoldenTrace.read(file);
    List<GoldenTrace.Row> rows = new ArrayList<>();
    for (GoldenTrace.Row r : exact.rows()) {
      rows.add(new GoldenTrace.Row(r.step(), r.action(), r.prevState(), r.state(), r.obs(), r.reward(),
          r.terminated(), r.step() >= 6));
    }
    GoldenTrace trace = new GoldenTrace(exact.envId(), exact.name(), rows);

    assertThatThrownBy(() -> replayOneStep(trace)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("in 2 of 8 rows")
        .hasMessageContaining("CartPole-v1_seed3.csv step 6: truncated false, Gymnasium true");
  }

  private static GoldenTrace withRow(GoldenTrace trace, int index, GoldenTrace.Row row) {
    List<GoldenTrace.Row> rows = new ArrayList<>(trace.rows());
    rows.set(index, row);
    return new GoldenTrace(trace.envId(), trace.name(), rows);
  }

  /**
   * Writes a trace in the golden format from one of our ports: {@code steps} steps from
   * {@code reset(seed)}, random actions (continuous ones up to 1.5x beyond the bounds, as the
   * golden traces do), stopping early at the end of the episode.
   */
  static Path writeTrace(Path file, Environment env, long seed, int steps) {
    float[] obs = new float[env.observationSpace().flatSize()];
    StepResult result = new StepResult();
    SplittableRandom actions = new SplittableRandom(seed + 1000);
    env.reset(seed, obs);
    int stateSize = env.state().length;
    int actionSize = env.actionSpace().flatSize();
    StringBuilder csv = new StringBuilder("step");
    for (int i = 0; i < actionSize; i++) {
      csv.append(",action").append(i);
    }
    for (String col : List.of("prev_state", "state")) {
      for (int i = 0; i < stateSize; i++) {
        csv.append(',').append(col).append(i);
      }
    }
    for (int i = 0; i < obs.length; i++) {
      csv.append(",obs").append(i);
    }
    csv.append(",reward,terminated,truncated\n");
    for (int step = 0; step < steps; step++) {
      double[] prev = env.state();
      double[] action = new double[actionSize];
      if (env.actionSpace() instanceof Space.Discrete d) {
        action[0] = actions.nextInt(d.n());
      } else {
        Space.Box box = (Space.Box) env.actionSpace();
        for (int i = 0; i < actionSize; i++) {
          action[i] = (float) (1.5 * (box.low(i) + (box.high(i) - box.low(i)) * actions.nextDouble()));
        }
      }
      apply(env, action, obs, result);
      csv.append(step);
      for (double a : action) {
        csv.append(',').append(a);
      }
      for (double v : prev) {
        csv.append(',').append(v);
      }
      for (double v : env.state()) {
        csv.append(',').append(v);
      }
      for (float o : obs) {
        csv.append(',').append((double) o);
      }
      csv.append(',').append(result.reward).append(',').append(result.terminated ? 1 : 0)
          .append(',').append(result.truncated ? 1 : 0).append('\n');
      if (result.done()) {
        break;
      }
    }
    try {
      return Files.writeString(file, csv);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write trace " + file, e);
    }
  }
}
