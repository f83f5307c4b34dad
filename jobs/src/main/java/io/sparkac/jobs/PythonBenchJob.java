package io.sparkac.jobs;

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
      "    steps, k, start, cpu = 0, 0, time.perf_counter(), time.process_time()",
      "    while True:",
      "        for i in range(n):",
      "            obs, reward, terminated, truncated, info = envs[i].step(actions[k & 65535]); k += 1",
      "            elapsed[i] += 1",
      "            if terminated or truncated or (max_steps and elapsed[i] >= max_steps):",
      "                envs[i].reset(seed=seed); seed += 1; elapsed[i] = 0",
      "        steps += n",
      "        t = time.perf_counter() - start",
      "        if t >= limit: return '%r,%r' % (steps / t, 1e6 * (time.process_time() - cpu) / steps)",
      "run(min(1.0, seconds))",
      "print(' '.join(run(seconds) for _ in range(repeats)))");

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
    TrainConfig config = Main.ConfigWords.of("bench-python", words).load(List.of());
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
    System.out.println("envs/task  worker steps/s (range)          plain loop steps/s (range)      worker/plain");
    List<String> cpuLines = new ArrayList<>();
    for (int n : envs) {
      Measured worker = worker(spec, n);
      Measured plain = plain(spec, n, maxSteps);
      Measured nulls = worker(nullSpec, n);
      Measured empty = emptySteps(nullSpec);
      double wMed = median(worker.rate());
      double pMed = median(plain.rate());
      System.out.printf("%9d  %,12.0f (%,.0f-%,.0f)  %,12.0f (%,.0f-%,.0f)  %10.0f%%%n", n, wMed, min(worker.rate()),
          max(worker.rate()), pMed, min(plain.rate()), max(plain.rate()), 100 * wMed / pMed);
      double pyEnv = median(worker.pythonCpu()) * n;
      double pyNull = median(nulls.pythonCpu()) * n;
      double pyEmpty = median(empty.pythonCpu());
      double javaStep = median(worker.javaCpu()) * n;
      double javaEmpty = median(empty.javaCpu());
      double plainCpu = median(plain.pythonCpu()) * n;
      cpuLines.add(String.format("%9d  %8.1f %8.1f  = %6.1f trip + %6.1f worker's own (%5.2f/env) + %8.1f env.step etc."
          + " (%5.2f/env)   %8.1f = %6.1f trip + %8.1f (%5.2f/env)", n, plainCpu, pyEnv, pyEmpty, pyNull - pyEmpty,
          (pyNull - pyEmpty) / n, pyEnv - pyNull, (pyEnv - pyNull) / n, javaStep, javaEmpty, javaStep - javaEmpty,
          (javaStep - javaEmpty) / n));
    }
    System.out.println();
    System.out.println("CPU us per step of all the task's environments (medians): plain loop (Python) | worker path:"
        + " Python worker = empty round trip + the worker's own work (do-nothing environment) + the rest (env.step,"
        + " resets) | Java thread = empty round trip + per environment");
    System.out.println("envs/task     plain   python                                                              "
        + "                          java");
    cpuLines.forEach(System.out::println);
    return 0;
  }

  /** Per repeat: env steps/s (wall) and CPU microseconds per env step in Python and in the Java thread. */
  record Measured(double[] rate, double[] pythonCpu, double[] javaCpu) {}

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private Measured repeat(PythonWorker w, Runnable step, int n) {
    measure(step, n, Math.min(1.0, seconds));
    double[] rate = new double[repeats];
    double[] py = new double[repeats];
    double[] java = new double[repeats];
    ProcessHandle handle = ProcessHandle.of(w.pid()).orElseThrow();
    for (int r = 0; r < repeats; r++) {
      long py0 = handle.info().totalCpuDuration().orElseThrow().toNanos();
      long j0 = THREADS.getCurrentThreadCpuTime();
      long[] steps = new long[1];
      rate[r] = measure(() -> {
        step.run();
        steps[0] += n;
      }, n, seconds);
      java[r] = (THREADS.getCurrentThreadCpuTime() - j0) / 1e3 / steps[0];
      py[r] = (handle.info().totalCpuDuration().orElseThrow().toNanos() - py0) / 1e3 / steps[0];
    }
    return new Measured(rate, py, java);
  }

  /** Steps/s of {@code n} environments through one worker, one round trip per step, per repeat. */
  private Measured worker(PythonEnvSpec spec, int n) {
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
      return repeat(w, step, n);
    }
  }

  /** Round trips/s of an empty step (no environment): the fixed cost of one step request. */
  private Measured emptySteps(PythonEnvSpec spec) {
    try (PythonWorker w = PythonWorker.start(spec, 1)) {
      int[] none = new int[0];
      Runnable step = () -> w.step(0, none, none, null, new long[0], new float[0], new double[0], new boolean[0],
          new boolean[0], new float[0]);
      return repeat(w, step, 1);
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
  private Measured plain(PythonEnvSpec spec, int n, int maxSteps) throws IOException, InterruptedException {
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
    String[] parts = out.split("\\s+");
    double[] rate = new double[parts.length];
    double[] cpu = new double[parts.length];
    for (int r = 0; r < parts.length; r++) {
      String[] rc = parts[r].split(",");
      rate[r] = Double.parseDouble(rc[0]);
      cpu[r] = Double.parseDouble(rc[1]);
    }
    return new Measured(rate, cpu, new double[parts.length]);
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
