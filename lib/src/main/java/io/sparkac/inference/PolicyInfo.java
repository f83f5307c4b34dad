package io.sparkac.inference;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What {@code policy.json} of an export holds: the environment, the observation and action
 * spaces with their bounds, where the policy came from (run, round, seed, configuration), the
 * observation normalisation, the networks' shapes and the ONNX files' input and output names.
 * Plain data, read and written with Jackson; infinite bounds are written as {@code null}.
 *
 * @param format {@link #FORMAT}
 * @param env the environment: its id and, for a custom one, its class
 * @param observation the observation space (a Box of {@code size} floats)
 * @param action the action space: {@code discrete} with {@code n} actions, or {@code box} of {@code size}
 * @param source the run and round the policy was exported from
 * @param normalization the observation statistics applied before the networks; null when the run did not normalise
 * @param network the actor's and critic's layer widths and hidden activation
 * @param onnx the ONNX files and their inputs and outputs
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record PolicyInfo(int format, Env env, Observation observation, Action action, Source source,
    Normalization normalization, Network network, Onnx onnx) {

  /** The version of this layout; a reader refuses another one. */
  public static final int FORMAT = 1;

  /** The environment the policy was trained on. */
  public record Env(String id, String className, int maxEpisodeSteps) {}

  /** The observation space: {@code size} floats within [low, high] (null: unbounded). */
  public record Observation(int size, List<Double> low, List<Double> high) {}

  /**
   * The action space: {@code type} is {@code discrete} ({@code n} actions, the action an index) or
   * {@code box} ({@code size} floats within [low, high]; {@code n} is 0).
   */
  public record Action(String type, int n, int size, List<Double> low, List<Double> high) {
    public static final String DISCRETE = "discrete";
    public static final String BOX = "box";

    @JsonIgnore
    public boolean discrete() {
      return DISCRETE.equals(type);
    }
  }

  /**
   * Where the policy came from.
   *
   * @param run the run folder as given to the export
   * @param runId the run's {@code run.id}
   * @param round the committed round whose checkpoint this is
   * @param seed the run's {@code run.seed}
   * @param policyVersion learner updates applied to this policy
   * @param envSteps environment steps the run had taken at that round
   * @param evalReturnMean the train job's greedy evaluation of that round (null when it was not evaluated)
   * @param evalEpisodes the episodes of that evaluation ({@code eval.episodes})
   * @param config the run's configuration (HOCON)
   */
  public record Source(String run, String runId, int round, long seed, int policyVersion, long envSteps,
      Double evalReturnMean, int evalEpisodes, String config) {}

  /**
   * The observation normalisation folded into the ONNX graphs and applied by {@link TrainedPolicy}:
   * {@code clip((obs - mean) / sqrt(var + epsilon), -clip, clip)}, computed in double precision.
   */
  public record Normalization(double[] mean, double[] var, double epsilon, double clip) {}

  /** Layer widths (input first, output last) of both networks, and their hidden activation. */
  public record Network(int[] actor, int[] critic, String activation) {}

  /**
   * The ONNX files, relative to the export folder, with their input and output names.
   *
   * @param opset the ONNX operator set of both graphs
   * @param policy the actor's file ({@code policy.onnx})
   * @param value the critic's file ({@code value.onnx}), null when not exported
   * @param input the input of both graphs: the raw observations, float [batch, observation size]
   * @param outputs the actor's outputs, by name
   * @param valueOutput the critic's output, float [batch, 1]
   * @param exact whether the graphs compute each layer in the project's order of float operations
   *     (export --exact: their outputs are TrainedPolicy's, bit for bit) rather than with MatMul and Tanh
   */
  public record Onnx(int opset, String policy, String value, String input, List<Output> outputs,
      String valueOutput, boolean exact) {
    public Onnx withExact(boolean e) {
      return new Onnx(opset, policy, value, input, outputs, valueOutput, e);
    }
  }

  /** The same description with {@code onnx} replaced. */
  public PolicyInfo withOnnx(Onnx o) {
    return new PolicyInfo(format, env, observation, action, source, normalization, network, o);
  }

  /** One output of an ONNX graph: its name, element type, shape ({@code -1}: the batch) and meaning. */
  public record Output(String name, String type, long[] shape, String meaning) {}

  /** The observation size. */
  @JsonIgnore
  public int observationSize() {
    return observation.size();
  }

  /** Bounds as written in JSON: null for an infinite bound. */
  public static List<Double> bounds(float[] v) {
    java.util.ArrayList<Double> out = new java.util.ArrayList<>(v.length);
    for (float f : v) {
      out.add(Float.isInfinite(f) ? null : (double) f);
    }
    return out;
  }

  /** Bounds from JSON: null is -infinity ({@code low}) or +infinity (not {@code low}). */
  public static float[] bounds(List<Double> v, boolean low) {
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      Double d = v.get(i);
      out[i] = d == null ? (low ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY) : d.floatValue();
    }
    return out;
  }
}
