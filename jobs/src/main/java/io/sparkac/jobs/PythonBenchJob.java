package io.sparkac.jobs;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.env.python.PythonEnvSpec;
import io.sparkac.env.python.PythonWorker;
import io.sparkac.random.Seeds;
import io.sparkac.rollout.Environments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Environment steps per second through one Python worker (what a rollout task does: one round
 * trip per step for all of its environments, ended episodes reset in the same trip) against the
 * same environments stepped in a plain Python loop in one process, at several environments per
 * task; and where a worker step's time goes: the round trip itself (an empty step), the worker's
 * own work per environment (a do-nothing environment through the worker) and the environment's
 * {@code step}. No Spark, no policy: actions are uniform random, drawn in Java for the worker and
 * in Python for the loop. A benchmark, not a test.
 */
@Command(name = "bench-python", header = "Env steps/s through a Python worker against a plain Python loop.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "bench-python [config.conf] [--envs 1,16,64,256] [--seconds S] [--repeats N] [key=value ...]",
    description = {"The environment of env.python or env.gymnasium (discrete actions) at each number of environments"
        + " per task: the worker's and the plain loop's steps/s (median and range over the repeats), their ratio,"
        + " and a breakdown of the worker's time per step."},
    footer = {"%nExample (the tests' numpy-only CartPole):",
        "  bench-python env.python=sparkac_test_envs.cartpole:CartPole 'env.python-path=[\"lib/src/test/resources/python\"]'"})
final class PythonBenchJob implements Callable<Integer> {
  @Option(names = "--envs", split = ",", paramLabel = "N,...", description = "environments per task (default: 1,16,64,256)")
  List<Integer> envs = List.of(1, 16, 64, 256);

  @Option(names = "--seconds", paramLabel = "S", description = "length of one measurement (default: 2)")
  double seconds = 2;

  @Option(names = "--repeats", paramLabel = "N", description = "measurements of each figure (default: 5)")
  int repeats = 5;

  @Parameters(paramLabel = "config.conf | key=value", description = "a config file, and overrides")
  List<String> words = new ArrayList<>();

  /** The plain loop: argv = target or gymnasium id, kwargs JSON, envs, seconds, repeats, max steps. */
  private static final String PLAIN_LOOP = String.join("\n",
      "import importlib, json, random, sys, time",
      "target, gym_id, kwargs, n, seconds, repeats, max_steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]),"
          + " int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])",
      "if gym_id:",
      "    import gymnasium",
      "    make = lambda: gymnasium.make(gym_id, **kwargs)",
      "else:",
      "    m, _, a = target.partition(':')",
      "    obj = importlib.import_module(m)",
      "    for part in a.split('.'): obj = getattr(obj, part)",
      "    make = lambda: obj(**kwargs)",
      "envs = [make() for _ in range(n)]",
      "nact = envs[0].action_space.n",
      "rng = random.Random(1)",
      "actions = [rng.randrange(nact) for _ in range(1 << 16)]",
      "elapsed = [0] * n",
      "seed = 0",
      "for e in envs:",
      "    e.reset(seed=seed); seed += 1",
      "def run(limit):",
      "    global seed",
      "    steps, k, start = 0, 0, time.perf_counter()",
      "    while True:",
      "        for i in range(n):",
      "            obs, reward, terminated, truncated, info = envs[i].step(actions[k & 65535]); k += 1",
      "            elapsed[i] += 1",
      "            if terminated or truncated or (max_steps and elapsed[i] >= max_steps):",
      "                envs[i].reset(seed=seed); seed += 1; elapsed[i] = 0",
      "        steps += n",
      "        t = time.perf_counter() - start",
      "        if t >= limit: return steps / t",
      "run(min(1.0, seconds))",
      "print(' '.join(repr(run(seconds)) for _ in range(repeats)))");

  /** A do-nothing environment: what the worker's own per-environment work costs. */
  private static final String NULL_ENV = String.join("\n",
      "import numpy as np",
      "class Discrete:",
      "    def __init__(self, n): self.n, self.start = n, 0",
      "class Box:",
      "    def __init__(self, d):",
      "        self.low, self.high, self.shape, self.dtype = -np.ones(d, np.float32), np.ones(d, np.float32), (d,),"
          + " np.float32",
      "class NullEnv:",
      "    def __init__(self, obs=4, actions=2):",
      "        self.observation_space, self.action_space = Box(obs), Discrete(actions)",
      "        self.obs = np.zeros(obs, np.float32)",
      "    def reset(self, seed=None, options=None): return self.obs, {}",
      "    def step(self, action): return self.obs, 1.0, False, False, {}",
      "");

  @Override
  public Integer call() throws Exception {
    String configFile = null;
    List<String> overrides = new ArrayList<>();
    for (String word : words) {
      if (word.contains("=")) {
        overrides.add(word);
      } else if (configFile == null) {
        configFile = word;
      } else {
        throw new Main.UsageException("bench-python: unexpected argument " + word);
      }
    }
    TrainConfig config = configFile == null ? ConfigLoader.parse("", overrides)
        : ConfigLoader.load(Path.of(configFile), overrides);
    if (!config.env().isPython()) {
      throw new Main.UsageException("bench-python: set env.python or env.gymnasium (the environment to measure)");
    }
    PythonEnvSpec spec = Environments.python(config.env());
    Path nullDir = Files.createTempDirectory("sparkac-bench-python");
    Files.writeString(nullDir.resolve("sparkac_bench_null.py"), NULL_ENV);
    PythonEnvSpec nullSpec = new PythonEnvSpec("sparkac_bench_null:NullEnv", "", java.util.Map.of(),
        spec.executable(), List.of(nullDir.toString()), spec.timeoutMs(), false);
    int maxSteps;
    String versions;
    try (PythonWorker probe = PythonWorker.start(spec, 1)) {
      if (!(probe.actionSpace() instanceof Space.Discrete)) {
        throw new Main.UsageException("bench-python: measures discrete action spaces; " + spec.describe() + " has "
            + probe.actionSpace());
      }
      maxSteps = probe.maxEpisodeSteps() == Integer.MAX_VALUE ? 0 : probe.maxEpisodeSteps();
      versions = probe.envId();
    }
    System.out.printf("bench-python: %s (%s), %s, %d repeats of %.1f s, Java %s%n", spec.describe(), versions,
        spec.executable(), repeats, seconds, System.getProperty("java.version"));
    System.out.println("envs/task  worker steps/s (range)          plain loop steps/s (range)      worker/plain"
        + "  | us per worker step: round trip, worker per env x n, env.step x n, other");
    for (int n : envs) {
      double[] worker = worker(spec, n);
      double[] plain = plain(spec, n, maxSteps, nullDir);
      double[] nulls = worker(nullSpec, n);
      double[] empty = emptySteps(nullSpec);
      double wMed = median(worker);
      double pMed = median(plain);
      double stepUs = 1e6 * n / wMed;
      double tripUs = 1e6 / median(empty);
      double workerPerEnv = Math.max(0, 1e6 * n / median(nulls) - tripUs) / n;
      double envUs = 1e6 / pMed;
      System.out.printf("%9d  %,12.0f (%,.0f-%,.0f)  %,12.0f (%,.0f-%,.0f)  %10.0f%%  | %8.1f = %.1f + %.2f x %d + %.2f x %d"
          + " + %.1f%n", n, wMed, min(worker), max(worker), pMed, min(plain), max(plain), 100 * wMed / pMed, stepUs,
          tripUs, workerPerEnv, n, envUs, n, stepUs - tripUs - n * (workerPerEnv + envUs));
    }
    return 0;
  }

  /** Steps/s of {@code n} environments through one worker, one round trip per step, per repeat. */
  private double[] worker(PythonEnvSpec spec, int n) {
    try (PythonWorker w = PythonWorker.start(spec, n)) {
      int obsSize = w.observationSpace().flatSize();
      int actions = ((Space.Discrete) w.actionSpace()).n();
      int[] all = new int[n];
      long[] seeds = new long[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
        seeds[i] = i;
      }
      float[] obs = new float[n * obsSize];
      w.reset(n, all, seeds, obs);
      int[] a = new int[n];
      float[] resetObs = new float[n * obsSize];
      double[] reward = new double[n];
      boolean[] term = new boolean[n];
      boolean[] trunc = new boolean[n];
      SplittableRandom rng = new SplittableRandom(1);
      long[] counter = {n};
      Runnable step = () -> {
        for (int i = 0; i < n; i++) {
          a[i] = rng.nextInt(actions);
          seeds[i] = Seeds.mix(counter[0]++);
        }
        w.step(n, all, a, null, seeds, obs, reward, term, trunc, resetObs);
      };
      measure(step, n, Math.min(1.0, seconds));
      double[] out = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        out[r] = measure(step, n, seconds);
      }
      return out;
    }
  }

  /** Round trips/s of an empty step (no environment): the fixed cost of one step request. */
  private double[] emptySteps(PythonEnvSpec spec) {
    try (PythonWorker w = PythonWorker.start(spec, 1)) {
      int[] none = new int[0];
      Runnable step = () -> w.step(0, none, none, null, new long[0], new float[0], new double[0], new boolean[0],
          new boolean[0], new float[0]);
      measure(step, 1, Math.min(1.0, seconds));
      double[] out = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        out[r] = measure(step, 1, seconds);
      }
      return out;
    }
  }

  private static double measure(Runnable step, int n, double seconds) {
    long start = System.nanoTime();
    long limit = (long) (seconds * 1e9);
    long steps = 0;
    long t;
    do {
      step.run();
      steps += n;
      t = System.nanoTime() - start;
    } while (t < limit);
    return steps / (t / 1e9);
  }

  /** Steps/s of the same environments in a plain Python loop in one process, per repeat. */
  private double[] plain(PythonEnvSpec spec, int n, int maxSteps, Path scratch) throws IOException, InterruptedException {
    String kwargs = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(spec.kwargs());
    ProcessBuilder pb = new ProcessBuilder(spec.executable(), "-c", PLAIN_LOOP, spec.gymnasium() ? "" : spec.target(),
        spec.gymnasium() ? spec.gymnasiumId() : "", kwargs, String.valueOf(n), String.valueOf(seconds),
        String.valueOf(repeats), String.valueOf(maxSteps));
    List<String> path = new ArrayList<>(spec.pythonPath());
    String inherited = System.getenv("PYTHONPATH");
    if (inherited != null && !inherited.isBlank()) {
      path.add(inherited);
    }
    pb.environment().put("PYTHONPATH", String.join(java.io.File.pathSeparator, path));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the plain Python loop failed (exit " + p.exitValue() + ")");
    }
    return Arrays.stream(out.split("\\s+")).mapToDouble(Double::parseDouble).toArray();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }
}
