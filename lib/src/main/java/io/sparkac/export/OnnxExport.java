package io.sparkac.export;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.sparkac.inference.PolicyInfo;
import io.sparkac.inference.TrainedPolicy;
import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.GaussianPolicy;
import io.sparkac.policy.ObservationNormalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The actor and the critic as standard ONNX graphs (opset {@value #OPSET}), built with the ONNX
 * protobuf classes (Tribuo's generated {@code ai.onnx.proto.OnnxMl}). From the raw observation:
 *
 * <ol>
 *   <li>the observation normalisation, when the run used it, as the first nodes, in double
 *       precision as the project computes it: {@code Cast, Sub(mean), Div(sqrt(var + 1e-8)),
 *       Clip(-clip, clip), Cast} (bit-identical to {@link ObservationNormalizer#apply});
 *   <li>the MLP: per layer {@code MatMul, Add}, then {@code Tanh} or {@code Relu} between layers;
 *   <li>the actor's heads: {@code logits} and the greedy {@code action} ({@code ArgMax}, the first
 *       on ties) for discrete actions; {@code mean}, {@code log_std} (clamped to [-5, 2]) and the
 *       greedy {@code action} (the mean clipped to the bounds, {@code Min} then {@code Max}) for a Box.
 * </ol>
 * The critic's graph ends in {@code value}, float [batch, 1].
 */
public final class OnnxExport {
  public static final int OPSET = 17;
  /** The IR version of opset 17 (ONNX 1.12). */
  static final long IR_VERSION = 8;
  public static final String INPUT = "obs";
  public static final String POLICY_FILE = "policy.onnx";
  public static final String VALUE_FILE = "value.onnx";
  public static final String VALUE = "value";

  private OnnxExport() {}

  /** The ONNX part of {@code policy.json}: files, input and outputs. */
  static PolicyInfo.Onnx describe(PolicyInfo.Action action, int obsSize, boolean critic) {
    List<PolicyInfo.Output> outs = new ArrayList<>();
    if (action.discrete()) {
      outs.add(new PolicyInfo.Output("logits", "float", new long[] {-1, action.n()},
          "unnormalised log-probabilities of the actions (softmax gives the policy)"));
      outs.add(new PolicyInfo.Output("action", "int64", new long[] {-1},
          "the greedy action: the index of the largest logit (the first on ties)"));
    } else {
      int d = action.size();
      outs.add(new PolicyInfo.Output("mean", "float", new long[] {-1, d}, "the Gaussian policy's mean"));
      outs.add(new PolicyInfo.Output("log_std", "float", new long[] {-1, d},
          "the Gaussian policy's log standard deviation, clamped to [-5, 2]"));
      outs.add(new PolicyInfo.Output("action", "float", new long[] {-1, d},
          "the greedy action: the mean clipped to the action bounds"));
    }
    return new PolicyInfo.Onnx(OPSET, POLICY_FILE, critic ? VALUE_FILE : null, INPUT, outs, critic ? VALUE : null,
        false);
  }

  /** The actor's graph, with MatMul layers. */
  public static ModelProto actor(TrainedPolicy policy) {
    return actor(policy, false);
  }

  /**
   * The actor's graph; {@code exact}: each dense layer and tanh as the project's forward pass
   * computes them, operation for operation (see {@link Graph#exactDense}), so that ONNX Runtime
   * gives its bits; else MatMul and Tanh, which runtimes compute in their own order (with fused
   * multiply-adds), within 1e-6 of it.
   */
  public static ModelProto actor(TrainedPolicy policy, boolean exact) {
    PolicyInfo info = policy.info();
    Graph g = new Graph("sparkac-policy", exact);
    String x = g.preprocess(info);
    MlpWeights w = policy.actorWeights();
    String out = g.mlp(w, x, info.action().discrete() ? "logits" : "actor_out", "actor");
    if (info.action().discrete()) {
      g.output("logits", TensorProto.DataType.FLOAT, info.action().n());
      g.node("ArgMax", List.of(out), "action", intAttr("axis", 1), intAttr("keepdims", 0),
          intAttr("select_last_index", 0));
      g.output("action", TensorProto.DataType.INT64);
    } else {
      int d = info.action().size();
      g.node("Slice", List.of(out, g.int64("mean_start", 0), g.int64("mean_end", d), g.int64("slice_axis", 1)),
          "mean");
      g.node("Slice", List.of(out, g.int64("log_std_start", d), g.int64("log_std_end", 2L * d),
          g.int64("slice_axis_2", 1)), "log_std_raw");
      g.node("Clip", List.of("log_std_raw", g.scalar("log_std_min", (float) GaussianPolicy.LOG_STD_MIN),
          g.scalar("log_std_max", (float) GaussianPolicy.LOG_STD_MAX)), "log_std");
      // GaussianPolicy.clip: max(low, min(high, mean)).
      g.node("Min", List.of("mean", g.floats("action_high", PolicyInfo.bounds(info.action().high(), false), d)),
          "action_below_high");
      g.node("Max", List.of("action_below_high", g.floats("action_low", PolicyInfo.bounds(info.action().low(), true),
          d)), "action");
      g.output("mean", TensorProto.DataType.FLOAT, d);
      g.output("log_std", TensorProto.DataType.FLOAT, d);
      g.output("action", TensorProto.DataType.FLOAT, d);
    }
    return g.model();
  }

  /** The critic's graph; the policy must have a critic. */
  public static ModelProto critic(TrainedPolicy policy, boolean exact) {
    if (!policy.hasValue()) {
      throw new IllegalArgumentException("the policy has no critic");
    }
    Graph g = new Graph("sparkac-value", exact);
    String x = g.preprocess(policy.info());
    g.mlp(policy.criticWeights(), x, VALUE, "critic");
    g.output(VALUE, TensorProto.DataType.FLOAT, 1);
    return g.model();
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  /** A graph under construction. */
  private static final class Graph {
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final boolean exact;
    private int nodes;

    Graph(String name, boolean exact) {
      graph.setName(name);
      this.exact = exact;
    }

    /** The float input, normalised when the policy normalises; returns the name of the network's input. */
    String preprocess(PolicyInfo info) {
      int d = info.observationSize();
      graph.addInput(valueInfo(INPUT, TensorProto.DataType.FLOAT, d));
      PolicyInfo.Normalization n = info.normalization();
      if (n == null) {
        return INPUT;
      }
      double[] std = new double[d];
      for (int k = 0; k < d; k++) {
        std[k] = Math.sqrt(n.var()[k] + n.epsilon());
      }
      node("Cast", List.of(INPUT), "obs_double", intAttr("to", TensorProto.DataType.DOUBLE.getNumber()));
      node("Sub", List.of("obs_double", doubles("norm_mean", n.mean())), "obs_centered");
      node("Div", List.of("obs_centered", doubles("norm_std", std)), "obs_scaled");
      node("Clip", List.of("obs_scaled", doubles("norm_clip_min", new double[] {-n.clip()}, true),
          doubles("norm_clip_max", new double[] {n.clip()}, true)), "obs_clipped");
      node("Cast", List.of("obs_clipped"), "obs_normalized", intAttr("to", TensorProto.DataType.FLOAT.getNumber()));
      return "obs_normalized";
    }

    /** The dense layers of {@code w} from {@code x}; the last layer's output is named {@code outName}. */
    String mlp(MlpWeights w, String x, String outName, String prefix) {
      int[] sizes = w.sizes();
      int layers = sizes.length - 1;
      String h = x;
      for (int l = 0; l < layers; l++) {
        String bName = prefix + "_b" + l;
        graph.addInitializer(tensor(bName, new long[] {sizes[l + 1]}, w.biases()[l]));
        boolean last = l == layers - 1;
        String z = last ? outName : prefix + "_dense" + l;
        if (exact) {
          exactDense(h, sizes[l], sizes[l + 1], w.weights()[l], bName, z, prefix + "_l" + l);
        } else {
          String wName = prefix + "_w" + l;
          graph.addInitializer(tensor(wName, new long[] {sizes[l], sizes[l + 1]}, w.weights()[l]));
          node("MatMul", List.of(h, wName), prefix + "_matmul" + l);
          node("Add", List.of(prefix + "_matmul" + l, bName), z);
        }
        if (!last) {
          String hidden = prefix + "_hidden" + l;
          switch (w.hidden()) {
            case TANH -> {
              if (exact) {
                exactTanh(z, hidden, prefix + "_tanh" + l);
              } else {
                node("Tanh", List.of(z), hidden);
              }
            }
            case RELU -> node("Relu", List.of(z), hidden);
          }
          h = hidden;
        }
      }
      return outName;
    }

    /**
     * y = b, then y = y + x_i * W[i] for each input i in ascending order, a Mul and an Add each
     * rounded to float: the order of operations of the project's kernels ({@code DenseKernel}), so
     * the result has their bits. Each input column comes from one Split of x.
     */
    void exactDense(String x, int nIn, int nOut, float[] w, String bias, String out, String prefix) {
      List<String> cols = new ArrayList<>();
      if (nIn == 1) {
        cols.add(x);
      } else {
        for (int i = 0; i < nIn; i++) {
          cols.add(prefix + "_x" + i);
        }
        NodeProto.Builder split = NodeProto.newBuilder().setOpType("Split").setName("Split_" + nodes++).addInput(x)
            .addAttribute(intAttr("axis", 1));
        cols.forEach(split::addOutput);
        graph.addNode(split);
      }
      String acc = bias;
      for (int i = 0; i < nIn; i++) {
        String row = prefix + "_w" + i;
        graph.addInitializer(tensor(row, new long[] {nOut}, java.util.Arrays.copyOfRange(w, i * nOut, (i + 1) * nOut)));
        node("Mul", List.of(cols.get(i), row), prefix + "_xw" + i);
        String next = i == nIn - 1 ? out : prefix + "_acc" + i;
        node("Add", List.of(acc, prefix + "_xw" + i), next);
        acc = next;
      }
    }

    /**
     * The project's rational tanh ({@code MlpForward.tanh}) in float operations, in its order:
     * x = max(-9, min(9, v)); p and q by Horner's rule in x^2; max(-1, min(1, x p / q)).
     */
    void exactTanh(String v, String out, String prefix) {
      float[] c = io.sparkac.nn.MlpForward.tanhConstants(); // CLAMP, A1..A13, B0..B6
      node("Min", List.of(v, scalar(prefix + "_clamp", c[0])), prefix + "_min");
      node("Max", List.of(prefix + "_min", scalar(prefix + "_mclamp", -c[0])), prefix + "_x");
      String x = prefix + "_x";
      String x2 = prefix + "_x2";
      node("Mul", List.of(x, x), x2);
      // p = x2 * A13 + A11, then p = x2 * p + A9 ... A1.
      String p = horner(x2, new float[] {c[7], c[6], c[5], c[4], c[3], c[2], c[1]}, prefix + "_p");
      node("Mul", List.of(x, p), prefix + "_xp");
      String q = horner(x2, new float[] {c[11], c[10], c[9], c[8]}, prefix + "_q");
      node("Div", List.of(prefix + "_xp", q), prefix + "_ratio");
      node("Min", List.of(prefix + "_ratio", scalar(prefix + "_one", 1f)), prefix + "_rmin");
      node("Max", List.of(prefix + "_rmin", scalar(prefix + "_mone", -1f)), out);
    }

    /** r = x2 * k[0] + k[1]; then r = x2 * r + k[j] for the rest; returns r's name. */
    private String horner(String x2, float[] k, String prefix) {
      node("Mul", List.of(x2, scalar(prefix + "_k0", k[0])), prefix + "_m0");
      String r = prefix + "_s0";
      node("Add", List.of(prefix + "_m0", scalar(prefix + "_k1", k[1])), r);
      for (int j = 2; j < k.length; j++) {
        node("Mul", List.of(x2, r), prefix + "_m" + (j - 1));
        node("Add", List.of(prefix + "_m" + (j - 1), scalar(prefix + "_k" + j, k[j])), prefix + "_s" + (j - 1));
        r = prefix + "_s" + (j - 1);
      }
      return r;
    }

    void node(String op, List<String> inputs, String output, AttributeProto... attrs) {
      NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(op + "_" + nodes++).addAllInput(inputs)
          .addOutput(output);
      for (AttributeProto a : attrs) {
        b.addAttribute(a);
      }
      graph.addNode(b);
    }

    String int64(String name, long v) {
      graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
          .addDims(1).addInt64Data(v));
      return name;
    }

    String scalar(String name, float v) {
      graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
          .addFloatData(v));
      return name;
    }

    String floats(String name, float[] v, int d) {
      graph.addInitializer(tensor(name, new long[] {d}, v));
      return name;
    }

    String doubles(String name, double[] v) {
      return doubles(name, v, false);
    }

    String doubles(String name, double[] v, boolean scalar) {
      TensorProto.Builder t = TensorProto.newBuilder().setName(name)
          .setDataType(TensorProto.DataType.DOUBLE.getNumber());
      if (!scalar) {
        t.addDims(v.length);
      }
      for (double x : v) {
        t.addDoubleData(x);
      }
      graph.addInitializer(t);
      return name;
    }

    void output(String name, TensorProto.DataType type, long... dims) {
      graph.addOutput(valueInfo(name, type, dims));
    }

    ModelProto model() {
      return ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("sparkac")
          .setProducerVersion(version()).setDomain("io.sparkac")
          .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
          .setGraph(graph).build();
    }
  }

  private static TensorProto tensor(String name, long[] dims, float[] data) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (float v : data) {
      t.addFloatData(v);
    }
    return t.build();
  }

  /** [batch, dims...] of {@code type}. */
  private static OnnxMl.ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
    for (long d : dims) {
      shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
  }

  private static String version() {
    String v = OnnxExport.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
