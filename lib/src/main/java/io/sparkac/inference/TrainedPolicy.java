package io.sparkac.inference;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.CategoricalPolicy;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.policy.PolicyForward;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A trained policy, ready to act: loaded from an export folder ({@code jobs/sparkac export}:
 * {@code policy.json} and {@code weights.json}) or from a run folder (a committed round's
 * checkpoint), and run with the project's own batched forward pass ({@link MlpForward}), with
 * the run's observation normalisation applied first.
 *
 * <pre>{@code
 * TrainedPolicy policy = TrainedPolicy.load(Path.of("runs/cartpole-export"));
 * float[] obs = new float[policy.observationSize()];
 * env.reset(seed, obs);
 * int a = policy.actDiscrete(obs);                 // greedy: the most probable action
 * float[] action = policy.act(obs);                // the same as a vector ({a} for discrete actions)
 * float[] sampled = policy.sample(obs, 42L);       // drawn from the policy with seed 42
 * float[][] batch = policy.actBatch(new float[][] {obs, obs});
 * }</pre>
 *
 * <p>Loading an export folder needs only this library's jar and Jackson (no Spark, DL4J or
 * Hadoop); a run folder is read through {@code io.sparkac.run}, which needs DL4J and Hadoop too.
 * Thread-safe: each thread gets its own forward pass buffers.
 */
public final class TrainedPolicy {
  /** policy.json in an export folder. */
  public static final String POLICY_JSON = "policy.json";
  /** weights.json in an export folder. */
  public static final String WEIGHTS_JSON = "weights.json";
  static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final PolicyInfo info;
  private final MlpWeights actor;
  private final MlpWeights critic;
  private final ObservationNormalizer normalizer;
  private final int obsSize;
  private final int outSize;
  private final boolean discrete;
  private final int actionSize;
  private final float[] low;
  private final float[] high;
  private final ThreadLocal<PolicyForward> networks;

  private TrainedPolicy(PolicyInfo info, MlpWeights actor, MlpWeights critic) {
    this.info = info;
    this.actor = actor;
    this.critic = critic;
    this.obsSize = info.observationSize();
    this.outSize = actor.outputSize();
    this.discrete = info.action().discrete();
    this.actionSize = discrete ? 1 : info.action().size();
    int expectedOut = discrete ? info.action().n() : 2 * info.action().size();
    if (actor.inputSize() != obsSize || actor.outputSize() != expectedOut) {
      throw new IllegalArgumentException("the actor network is " + actor.inputSize() + " -> " + actor.outputSize()
          + " but the policy's spaces need " + obsSize + " -> " + expectedOut);
    }
    if (critic != null && (critic.inputSize() != obsSize || critic.outputSize() != 1)) {
      throw new IllegalArgumentException("the critic network is " + critic.inputSize() + " -> " + critic.outputSize()
          + " but must be " + obsSize + " -> 1");
    }
    PolicyInfo.Normalization n = info.normalization();
    if (n != null && (n.mean().length != obsSize || n.var().length != obsSize)) {
      throw new IllegalArgumentException("normalization has " + n.mean().length + " means and " + n.var().length
          + " variances for observations of " + obsSize);
    }
    if (n != null && n.epsilon() != ObservationNormalizer.EPSILON) {
      throw new IllegalArgumentException("normalization.epsilon = " + n.epsilon() + ": this version applies "
          + ObservationNormalizer.EPSILON);
    }
    this.normalizer = n == null ? null : new ObservationNormalizer(n.mean(), n.var(), 1, n.clip());
    this.low = discrete ? null : PolicyInfo.bounds(info.action().low(), true);
    this.high = discrete ? null : PolicyInfo.bounds(info.action().high(), false);
    this.networks = ThreadLocal.withInitial(() -> new PolicyForward(actor, critic, normalizer));
  }

  /** A policy from its description and its networks (the critic may be null). */
  public static TrainedPolicy of(PolicyInfo info, MlpWeights actor, MlpWeights critic) {
    return new TrainedPolicy(info, actor, critic);
  }

  /**
   * Loads an export folder (holding {@code policy.json}), or the last committed round of a run
   * folder (holding {@code manifest/}).
   */
  public static TrainedPolicy load(Path dir) {
    return load(dir, null);
  }

  /**
   * Loads an export folder ({@code round} must then be null), or round {@code round} of a run
   * folder (null: its last committed round).
   */
  public static TrainedPolicy load(Path dir, Integer round) {
    if (Files.isRegularFile(dir.resolve(POLICY_JSON))) {
      if (round != null) {
        throw new IllegalArgumentException(dir + " is an export folder (it holds " + POLICY_JSON
            + "), which holds one round; a round can only be chosen in a run folder");
      }
      return readExport(dir);
    }
    if (Files.isDirectory(dir.resolve("manifest"))) {
      return io.sparkac.export.RunPolicy.read(dir.toString(), round);
    }
    throw new IllegalArgumentException(dir + " is neither an export folder (no " + POLICY_JSON
        + ", see jobs/sparkac export) nor a run folder (no manifest/)");
  }

  private static TrainedPolicy readExport(Path dir) {
    PolicyInfo info = read(dir.resolve(POLICY_JSON), PolicyInfo.class);
    if (info.format() != PolicyInfo.FORMAT) {
      throw new IllegalArgumentException(dir.resolve(POLICY_JSON) + ": format " + info.format()
          + "; this version reads format " + PolicyInfo.FORMAT);
    }
    PolicyWeights w = read(dir.resolve(WEIGHTS_JSON), PolicyWeights.class);
    if (w.actor() == null) {
      throw new IllegalArgumentException(dir.resolve(WEIGHTS_JSON) + ": no actor");
    }
    try {
      return new TrainedPolicy(info, w.actor().toMlp(), w.critic() == null ? null : w.critic().toMlp());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code java -cp <jars> io.sparkac.inference.TrainedPolicy <dir> [--round N] <obs> ...}: prints
   * the greedy action of each observation (comma-separated floats), one line each: the index of a
   * discrete action, the comma-separated floats of a continuous one. Exit status 2 on bad input.
   */
  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: TrainedPolicy <export-dir | run-dir> [--round N] <obs> ...   (obs: comma-separated"
          + " floats)");
      System.exit(2);
    }
    try {
      int first = 1;
      Integer round = null;
      if (args.length >= 3 && args[1].equals("--round")) {
        round = Integer.parseInt(args[2]);
        first = 3;
      }
      TrainedPolicy policy = load(Path.of(args[0]), round);
      float[][] obs = new float[args.length - first][];
      for (int i = first; i < args.length; i++) {
        String[] parts = args[i].split(",");
        obs[i - first] = new float[parts.length];
        for (int k = 0; k < parts.length; k++) {
          obs[i - first][k] = Float.parseFloat(parts[k].trim());
        }
      }
      for (float[] a : policy.actBatch(obs)) {
        StringBuilder line = new StringBuilder();
        for (int k = 0; k < a.length; k++) {
          line.append(k == 0 ? "" : ",").append(policy.discrete() ? String.valueOf((int) a[k]) : String.valueOf(a[k]));
        }
        System.out.println(line);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
  }

  private static <T> T read(Path file, Class<T> type) {
    try {
      return JSON.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code policy.json} and {@code weights.json} into {@code dir}. */
  public void writeJson(Path dir) throws IOException {
    Files.createDirectories(dir);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(POLICY_JSON).toFile(), info);
    JSON.writeValue(dir.resolve(WEIGHTS_JSON).toFile(), new PolicyWeights(PolicyWeights.Layers.of(actor),
        critic == null ? null : PolicyWeights.Layers.of(critic)));
  }

  public PolicyInfo info() {
    return info;
  }

  /** {@code policy.json}'s text. */
  public String infoJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(info);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public MlpWeights actorWeights() {
    return actor;
  }

  /** The critic's weights; null when the policy has none. */
  public MlpWeights criticWeights() {
    return critic;
  }

  /** The observation normalisation applied before the networks; null when the run did not normalise. */
  public ObservationNormalizer normalizer() {
    return normalizer;
  }

  public boolean discrete() {
    return discrete;
  }

  public boolean hasValue() {
    return critic != null;
  }

  public int observationSize() {
    return obsSize;
  }

  /** Floats of an action: 1 (the index) for discrete actions, the Box's size otherwise. */
  public int actionSize() {
    return actionSize;
  }

  /** The greedy action: the most probable index as {@code {a}}, or the Gaussian mean clipped to the bounds. */
  public float[] act(float[] obs) {
    return actBatch(new float[][] {obs})[0];
  }

  /** The most probable action of a discrete policy (the first on ties, as the evaluation takes it). */
  public int actDiscrete(float[] obs) {
    if (!discrete) {
      throw new IllegalStateException("the policy's actions are continuous (" + actionSize + " floats); use act");
    }
    return (int) act(obs)[0];
  }

  /** The greedy actions of a batch, one row per observation. */
  public float[][] actBatch(float[][] obs) {
    return outputs(obs, false).actions();
  }

  /**
   * An action drawn from the policy with its own random stream from {@code seed}: a softmax
   * sample, or a Gaussian sample clipped to the bounds (as the environment receives it).
   */
  public float[] sample(float[] obs, long seed) {
    float[] out = forward(new float[][] {obs}, null);
    SplittableRandom rng = new SplittableRandom(seed);
    if (discrete) {
      return new float[] {CategoricalPolicy.sample(out, 0, outSize, rng.nextDouble(), new double[1])};
    }
    float[] a = new float[actionSize];
    GaussianPolicy.sample(out, 0, actionSize, rng, a);
    float[] clipped = new float[actionSize];
    GaussianPolicy.clip(a, low, high, clipped);
    return clipped;
  }

  /**
   * Everything the networks say about a batch: the greedy actions, the logits (discrete) or the
   * Gaussian mean and log-std (clamped as the policy uses it), and, when asked and the policy has
   * a critic, V(s).
   */
  public record Outputs(float[][] actions, float[][] logits, float[][] mean, float[][] logStd, float[] value) {}

  /** The outputs of a batch of observations; {@code withValue} also runs the critic (when there is one). */
  public Outputs outputs(float[][] obs, boolean withValue) {
    int n = obs.length;
    float[] value = withValue && critic != null ? new float[n] : null;
    float[] out = forward(obs, value);
    float[][] actions = new float[n][actionSize];
    float[][] logits = discrete ? new float[n][] : null;
    float[][] mean = discrete ? null : new float[n][];
    float[][] logStd = discrete ? null : new float[n][];
    double[] logp = new double[1];
    float[] scratch = new float[actionSize];
    for (int r = 0; r < n; r++) {
      int o = r * outSize;
      if (discrete) {
        actions[r][0] = CategoricalPolicy.greedy(out, o, outSize, logp);
        logits[r] = Arrays.copyOfRange(out, o, o + outSize);
      } else {
        GaussianPolicy.mean(out, o, actionSize, scratch);
        GaussianPolicy.clip(scratch, low, high, actions[r]);
        mean[r] = Arrays.copyOfRange(out, o, o + actionSize);
        logStd[r] = new float[actionSize];
        for (int i = 0; i < actionSize; i++) {
          logStd[r][i] = (float) GaussianPolicy.clampLogStd(out[o + actionSize + i]);
        }
      }
    }
    return new Outputs(actions, logits, mean, logStd, value);
  }

  /**
   * The actor's raw outputs, row-major, through the batched forward pass (normalisation, then the
   * actor once); with a non-null {@code value}, the critic's V(s) of the same input into it.
   */
  private float[] forward(float[][] obs, float[] value) {
    check(obs);
    float[] x = new float[obs.length * obsSize];
    for (int r = 0; r < obs.length; r++) {
      System.arraycopy(obs[r], 0, x, r * obsSize, obsSize);
    }
    float[] out = new float[obs.length * outSize];
    networks.get().forward(x, obs.length, out, value);
    return out;
  }

  /**
   * Refuses what the policy cannot take: a missing batch, a row of another length, a NaN or
   * infinite value, each named with where it is and what is expected.
   */
  public void check(float[][] obs) {
    if (obs == null || obs.length == 0) {
      throw new IllegalArgumentException("no observation: expected at least one row of " + obsSize + " floats");
    }
    for (int r = 0; r < obs.length; r++) {
      float[] row = obs[r];
      String where = obs.length == 1 ? "obs" : "obs[" + r + "]";
      if (row == null || row.length != obsSize) {
        throw new IllegalArgumentException(where + " has " + (row == null ? 0 : row.length) + " values; "
            + envName() + " observations have " + obsSize);
      }
      for (int k = 0; k < obsSize; k++) {
        if (!Float.isFinite(row[k])) {
          throw new IllegalArgumentException(where + "[" + k + "] is " + row[k]
              + "; observations must be finite numbers");
        }
      }
    }
  }

  private String envName() {
    return info.env() == null || info.env().id() == null ? "the policy's" : info.env().id();
  }
}
