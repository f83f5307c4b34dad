package io.sparkac.env.python;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sparkac.env.Space;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Python worker process that hosts Gymnasium-API environments and steps them in batches:
 * started from the script this jar carries ({@code io/sparkac/env/python/worker.py}, standard
 * library and numpy only), it answers one request at a time over its standard input and output
 * in compact little-endian binary frames ({@code op u8, length u32, payload}; numpy arrays of
 * actions in, of observations, rewards and flags out). {@link #step} steps any number of its
 * environments in ONE round trip, resetting the ones whose episode ended with the seeds given.
 *
 * <p>The spaces come from the first environment in a start-up handshake. A request that takes
 * longer than the timeout kills the process; a worker that exits, hangs or whose environment
 * raises fails the call with a {@link PythonEnvException} that names the environment and carries
 * the Python traceback's first lines or the worker's last standard-error lines. The worker exits
 * when its input closes ({@link #close()}, or this JVM dying) and within a second of its parent
 * process dying. Not thread-safe, except where a method says so.
 */
public final class PythonWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PythonWorker.class);
  private static final String SCRIPT_RESOURCE = "io/sparkac/env/python/worker.py";
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final int HELLO = 1;
  private static final int ADD = 2;
  private static final int RESET = 3;
  private static final int STEP = 4;
  private static final int GET_STATE = 5;
  private static final int SET_STATE = 6;
  private static final int CLOSE_ENV = 7;
  private static final int SET_TRACE_STATE = 8;
  private static final int GET_TRACE_STATE = 9;
  private static final int OK = 0;
  private static final int UNPICKLABLE = 2;
  /** Lines of the worker's standard error kept for error messages. */
  private static final int STDERR_LINES = 20;
  /** Lines of a Python traceback an error message shows. */
  static final int TRACEBACK_LINES = 12;

  private static volatile String script;
  private static final Set<PythonWorker> LIVE = ConcurrentHashMap.newKeySet();
  private static Thread watchdog;

  private final PythonEnvSpec spec;
  private final Process process;
  private final DataInputStream in;
  private final OutputStream out;
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private volatile boolean shared;
  private volatile long deadlineNanos;
  private volatile boolean timedOut;
  private boolean broken;
  private ByteBuffer request = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);
  private byte[] reply = new byte[1 << 12];
  private ByteBuffer replyBuffer = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);

  private String envId;
  private Space observationSpace;
  private Space actionSpace;
  private Integer actionStart;
  private int obsSize;
  private int actionSize;
  private int maxEpisodeSteps;
  private int size;
  private String versions;

  private PythonWorker(PythonEnvSpec spec, Process process) {
    this.spec = spec;
    this.process = process;
    this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
  }

  /**
   * Starts a worker with {@code count} environments (at least 1: the first one's spaces are the
   * handshake's).
   *
   * @throws PythonEnvException when Python cannot be started, the module cannot be imported, the
   *     environment cannot be created or has a space other than Discrete and Box
   */
  public static PythonWorker start(PythonEnvSpec spec, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("a worker needs at least one environment, got " + count);
    }
    List<String> command = List.of(spec.executable(), "-c", script());
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    List<String> path = new ArrayList<>(spec.pythonPath());
    String inherited = env.get("PYTHONPATH");
    if (inherited != null && !inherited.isBlank()) {
      path.add(inherited);
    }
    if (!path.isEmpty()) {
      env.put("PYTHONPATH", String.join(File.pathSeparator, path));
    }
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    // The Spark task the worker serves, for environments that log or inject faults per attempt.
    org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
    if (task != null) {
      env.put("SPARKAC_TASK_ATTEMPT", String.valueOf(task.attemptNumber()));
      env.put("SPARKAC_STAGE_ID", String.valueOf(task.stageId()));
      env.put("SPARKAC_PARTITION_ID", String.valueOf(task.partitionId()));
      env.put("SPARKAC_JOB", String.valueOf(task.getLocalProperty("spark.job.description")));
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new PythonEnvException("env.python-executable = \"" + spec.executable() + "\": cannot start it ("
          + e.getMessage() + "); it must be a Python 3 with numpy, on the PATH of the driver and of every executor"
          + " or an absolute path there", e);
    }
    PythonWorker worker = new PythonWorker(spec, process);
    worker.pumpStderr();
    register(worker);
    try {
      worker.hello(count);
    } catch (RuntimeException e) {
      worker.close();
      throw e;
    }
    return worker;
  }

  private static String script() {
    if (script == null) {
      try (InputStream s = PythonWorker.class.getClassLoader().getResourceAsStream(SCRIPT_RESOURCE)) {
        if (s == null) {
          throw new IllegalStateException(SCRIPT_RESOURCE + " is missing from the class path");
        }
        script = new String(s.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return script;
  }

  private void hello(int count) {
    Map<String, Object> hello = new LinkedHashMap<>();
    hello.put("python", spec.gymnasium() ? null : spec.target());
    hello.put("gymnasium", spec.gymnasium() ? spec.gymnasiumId() : null);
    hello.put("kwargs", spec.kwargs());
    hello.put("count", count);
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(hello);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteBuffer r = begin(json.length);
    r.put(json);
    ByteBuffer answer = call(HELLO, "creating the environment");
    JsonNode info;
    try {
      info = JSON.readTree(reply, 0, answer.limit());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    envId = info.get("id").asText();
    versions = "Python " + info.get("python").asText() + ", numpy " + info.get("numpy").asText();
    JsonNode obs = info.get("observation");
    if (obs.get("type").asText().equals("discrete")) {
      observationSpace = new Space.Box(new float[] {0}, new float[] {obs.get("n").asInt() - 1});
    } else {
      observationSpace = box(obs);
    }
    obsSize = observationSpace.flatSize();
    JsonNode action = info.get("action");
    if (action.get("type").asText().equals("discrete")) {
      actionSpace = new Space.Discrete(action.get("n").asInt());
      actionStart = action.get("start").asInt();
      actionSize = 0;
    } else {
      actionSpace = box(action);
      actionSize = actionSpace.flatSize();
    }
    int max = info.get("max_episode_steps").asInt();
    maxEpisodeSteps = max > 0 ? max : Integer.MAX_VALUE;
    size = count;
    LOG.debug("python worker pid {} ({}): {} x {}, observations {}, actions {}", process.pid(), versions, count,
        envId, observationSpace, actionSpace);
  }

  private static Space.Box box(JsonNode node) {
    JsonNode low = node.get("low");
    JsonNode high = node.get("high");
    float[] lo = new float[low.size()];
    float[] hi = new float[high.size()];
    for (int i = 0; i < lo.length; i++) {
      lo[i] = (float) low.get(i).asDouble();
      hi[i] = (float) high.get(i).asDouble();
    }
    return new Space.Box(lo, hi);
  }

  public PythonEnvSpec spec() {
    return spec;
  }

  /** The environment's id: its Gymnasium spec's id, or the {@code env.python} target. */
  public String envId() {
    return envId;
  }

  /** The observation space, flattened: a Box (a Discrete observation is a Box of one index). */
  public Space observationSpace() {
    return observationSpace;
  }

  public Space actionSpace() {
    return actionSpace;
  }

  /** The time limit the worker applies ({@code spec.max_episode_steps} or {@code max_episode_steps}). */
  public int maxEpisodeSteps() {
    return maxEpisodeSteps;
  }

  /** Environments hosted. */
  public int size() {
    return size;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Creates {@code count} more environments; returns the index of the first. */
  public int add(int count) {
    begin(4).putInt(count);
    int first = call(ADD, "creating environments").getInt();
    size += count;
    return first;
  }

  /** Resets environments {@code index[0..k)} with {@code seeds[0..k)}; observations into {@code obs}. */
  public void reset(int k, int[] index, long[] seeds, float[] obs) {
    ByteBuffer r = begin(4 + 12 * k);
    r.putInt(k);
    for (int j = 0; j < k; j++) {
      r.putInt(index[j]).putLong(seeds[j]);
    }
    call(RESET, "reset").asFloatBuffer().get(obs, 0, k * obsSize);
  }

  /**
   * Steps environments {@code index[0..k)} in one round trip: discrete {@code actions[j]} or the
   * continuous {@code actionVecs[j*d ..]}. Next observations into {@code obs}, rewards and flags
   * into the arrays. With {@code resetSeeds} (null: no reset), an environment whose episode ended
   * is reset with its seed in the same round trip, its first observation written into
   * {@code resetObs} in the order of the ended episodes. Returns the number of resets.
   */
  public int step(int k, int[] index, int[] actions, float[] actionVecs, long[] resetSeeds, float[] obs,
      double[] reward, boolean[] terminated, boolean[] truncated, float[] resetObs) {
    boolean autoreset = resetSeeds != null;
    ByteBuffer r = begin(5 + 4 * k + (actionSize == 0 ? 4 * k : 4 * k * actionSize) + (autoreset ? 8 * k : 0));
    r.putInt(k).put((byte) (autoreset ? 1 : 0));
    for (int j = 0; j < k; j++) {
      r.putInt(index[j]);
    }
    if (actionSize == 0) {
      r.asIntBuffer().put(actions, 0, k);
      r.position(r.position() + 4 * k);
    } else {
      r.asFloatBuffer().put(actionVecs, 0, k * actionSize);
      r.position(r.position() + 4 * k * actionSize);
    }
    if (autoreset) {
      r.asLongBuffer().put(resetSeeds, 0, k);
      r.position(r.position() + 8 * k);
    }
    ByteBuffer a = call(STEP, "step");
    a.asFloatBuffer().get(obs, 0, k * obsSize);
    a.position(4 * k * obsSize);
    a.asDoubleBuffer().get(reward, 0, k);
    int p = a.position() + 8 * k;
    int done = 0;
    for (int j = 0; j < k; j++) {
      terminated[j] = reply[p + j] != 0;
      truncated[j] = reply[p + k + j] != 0;
      if (terminated[j] || truncated[j]) {
        done++;
      }
    }
    if (autoreset && done > 0) {
      a.position(p + 2 * k);
      a.asFloatBuffer().get(resetObs, 0, done * obsSize);
    }
    return autoreset ? done : 0;
  }

  /** The pickled states of environments {@code index[0..k)} (with the step counter and last observation). */
  public byte[][] states(int k, int[] index) {
    ByteBuffer r = begin(4 + 4 * k);
    r.putInt(k);
    for (int j = 0; j < k; j++) {
      r.putInt(index[j]);
    }
    ByteBuffer a = call(GET_STATE, "pickling the environments");
    byte[][] out = new byte[k][];
    for (int j = 0; j < k; j++) {
      out[j] = new byte[a.getInt()];
      a.get(out[j]);
    }
    return out;
  }

  /**
   * Replaces environments {@code index[0..k)} by the pickled {@code states} with their step
   * counters; the observations the states were saved with into {@code obs}.
   */
  public void restore(int k, int[] index, int[] elapsed, byte[][] states, float[] obs) {
    int bytes = 4;
    for (int j = 0; j < k; j++) {
      bytes += 12 + states[j].length;
    }
    ByteBuffer r = begin(bytes);
    r.putInt(k);
    for (int j = 0; j < k; j++) {
      r.putInt(index[j]).putInt(elapsed[j]).putInt(states[j].length).put(states[j]);
    }
    call(SET_STATE, "unpickling the environments").asFloatBuffer().get(obs, 0, k * obsSize);
  }

  /** Closes environment {@code i} ({@code env.close()}) and drops it; its index is not reused. */
  public void closeEnv(int i) {
    begin(4).putInt(i);
    call(CLOSE_ENV, "closing an environment");
  }

  /** Golden-trace replay (tests): sets {@code env.unwrapped.state} and the step counters. */
  public void setTraceState(int i, double[] state, int elapsed) {
    ByteBuffer r = begin(12 + 8 * state.length);
    r.putInt(i).putInt(elapsed).putInt(state.length);
    for (double v : state) {
      r.putDouble(v);
    }
    call(SET_TRACE_STATE, "setting the state");
  }

  /** Golden-trace replay (tests): {@code env.unwrapped.state} as float64. */
  public double[] traceState(int i) {
    begin(4).putInt(i);
    ByteBuffer a = call(GET_TRACE_STATE, "reading the state");
    double[] out = new double[a.remaining() / 8];
    a.asDoubleBuffer().get(out);
    return out;
  }

  // --- frames -----------------------------------------------------------------------------------

  private ByteBuffer begin(int payload) {
    if (request.capacity() < 5 + payload) {
      request = ByteBuffer.allocate(Math.max(5 + payload, 2 * request.capacity())).order(ByteOrder.LITTLE_ENDIAN);
    }
    request.clear();
    request.position(5);
    return request;
  }

  /** Sends the request built since {@link #begin} and returns the reply's payload (little-endian). */
  private ByteBuffer call(int op, String what) {
    if (broken) {
      throw new PythonEnvException(name() + ": the worker failed before (" + what + ")", -1);
    }
    int length = request.position() - 5;
    request.put(0, (byte) op).putInt(1, length);
    deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.timeoutMs());
    int status;
    int replyLength;
    try {
      out.write(request.array(), 0, 5 + length);
      out.flush();
      status = in.readUnsignedByte();
      replyLength = Integer.reverseBytes(in.readInt());
      if (reply.length < replyLength) {
        reply = new byte[Math.max(replyLength, 2 * reply.length)];
        replyBuffer = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
      }
      in.readFully(reply, 0, replyLength);
    } catch (IOException e) {
      broken = true;
      deadlineNanos = 0;
      throw died(what, e);
    }
    deadlineNanos = 0;
    replyBuffer.clear().limit(replyLength);
    if (status == OK) {
      return replyBuffer;
    }
    int index = replyBuffer.getInt();
    String message = new String(reply, 4, replyLength - 4, StandardCharsets.UTF_8);
    String detail = status == UNPICKLABLE
        ? "the environment cannot be pickled: " + firstLines(message) + "\nThe state of every actor's environment"
            + " goes into its snapshot so that episodes continue across rounds; make the environment picklable,"
            + " or set env.python-episodes = restart (every episode then ends at a round boundary, as a truncation)"
        : firstLines(message);
    throw new PythonEnvException(name() + ": " + detail, detail, index, null);
  }

  private PythonEnvException died(String what, IOException e) {
    int exit = -1;
    try {
      if (process.waitFor(2, TimeUnit.SECONDS)) {
        exit = process.exitValue();
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
    String tail = stderrTail();
    String detail = timedOut
        ? "the Python worker (pid " + process.pid() + ") did not answer within env.python-timeout-ms = "
            + spec.timeoutMs() + " while " + what + "; it was killed"
        : "the Python worker (pid " + process.pid() + ") "
            + (exit >= 0 ? "exited with status " + exit : "stopped answering (" + e + ")") + " while " + what;
    detail += tail.isEmpty() ? "" : ". Its last standard-error lines:\n" + tail;
    return new PythonEnvException(name() + ": " + detail, detail, -1, e);
  }

  private String name() {
    return spec.describe();
  }

  /** The first {@link #TRACEBACK_LINES} lines of a Python error and always its last line. */
  static String firstLines(String message) {
    String[] lines = message.strip().split("\n");
    if (lines.length <= TRACEBACK_LINES + 1) {
      return message.strip();
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < TRACEBACK_LINES; i++) {
      sb.append(lines[i]).append('\n');
    }
    sb.append("  ... (").append(lines.length - TRACEBACK_LINES - 1).append(" more lines)\n");
    sb.append(lines[lines.length - 1]);
    return sb.toString();
  }

  private String stderrTail() {
    // The pump may still be reading the last lines the worker wrote before it died.
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (stderrTail) {
      return String.join("\n", stderrTail);
    }
  }

  private void pumpStderr() {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          LOG.info("python[{}]: {}", process.pid(), line);
          synchronized (stderrTail) {
            if (stderrTail.size() == STDERR_LINES) {
              stderrTail.removeFirst();
            }
            stderrTail.addLast(line);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "sparkac-python-stderr-" + process.pid());
    t.setDaemon(true);
    t.start();
  }

  // --- lifetime ---------------------------------------------------------------------------------

  private static synchronized void register(PythonWorker worker) {
    LIVE.add(worker);
    if (watchdog == null) {
      watchdog = new Thread(PythonWorker::watch, "sparkac-python-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
    }
  }

  /** Kills every worker whose request has run past its deadline. */
  private static void watch() {
    while (true) {
      long now = System.nanoTime();
      for (PythonWorker w : LIVE) {
        long deadline = w.deadlineNanos;
        if (deadline != 0 && now - deadline > 0) {
          w.timedOut = true;
          w.process.destroyForcibly();
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Marks a worker that serves the JVM's single environments ({@link PythonEnvironment#shared}). */
  void markShared() {
    shared = true;
  }

  /** Task workers (not shared ones) of this JVM that are running: none may outlive its task. */
  public static int live() {
    int n = 0;
    for (PythonWorker w : LIVE) {
      if (!w.shared && w.process.isAlive()) {
        n++;
      }
    }
    return n;
  }

  /** Ends the worker: closes its input (it exits) and kills it. Idempotent; any thread. */
  @Override
  public void close() {
    LIVE.remove(this);
    broken = true;
    try {
      out.close();
    } catch (IOException e) {
      // it is being killed anyway
    }
    process.destroyForcibly();
  }

  @Override
  public String toString() {
    return "PythonWorker[pid " + process.pid() + ", " + size + " x " + envId + "]";
  }

}
