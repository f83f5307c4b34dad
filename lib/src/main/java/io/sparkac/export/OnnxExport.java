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
    return new PolicyInfo.Onnx(OPSET, POLICY_FILE, critic ? VALUE_FILE : null, INPUT, outs, critic ? VALUE : null);
  }

  /** The actor's graph. */
  public static ModelProto actor(TrainedPolicy policy) {
    PolicyInfo info = policy.info();
    Graph g = new Graph("sparkac-policy");
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
  public static ModelProto critic(TrainedPolicy policy) {
    if (!policy.hasValue()) {
      throw new IllegalArgumentException("the policy has no critic");
    }
    Graph g = new Graph("sparkac-value");
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
    private int nodes;

    Graph(String name) {
      graph.setName(name);
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
        String wName = prefix + "_w" + l;
        graph.addInitializer(tensor(wName, new long[] {sizes[l], sizes[l + 1]}, w.weights()[l]));
        String bName = prefix + "_b" + l;
        graph.addInitializer(tensor(bName, new long[] {sizes[l + 1]}, w.biases()[l]));
        node("MatMul", List.of(h, wName), prefix + "_matmul" + l);
        boolean last = l == layers - 1;
        String z = last ? outName : prefix + "_dense" + l;
        node("Add", List.of(prefix + "_matmul" + l, bName), z);
        if (!last) {
          String act = switch (w.hidden()) {
            case TANH -> "Tanh";
            case RELU -> "Relu";
          };
          node(act, List.of(z), prefix + "_hidden" + l);
          h = prefix + "_hidden" + l;
        }
      }
      return outName;
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
