package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.config.TrainConfig.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Our plain-Java inference against DL4J's {@code output()} on random weights and inputs, its
 * independence of the batch a row is in, and the accuracy of its tanh.
 */
class MlpForwardTest {
  private static final double TOL = 1e-5;

  static Stream<Arguments> shapes() {
    List<Arguments> cases = new ArrayList<>();
    for (String hidden : List.of("[64, 64]", "[32]", "[128, 64, 32]")) {
      for (Activation act : Activation.values()) {
        cases.add(Arguments.of(hidden, act));
      }
    }
    return cases.stream();
  }

  private static TrainConfig config(String hidden, Activation act) {
    return ConfigLoader.parse("", List.of("network.hidden=" + hidden, "network.activation=" + act.name().toLowerCase()));
  }

  /**
   * Uniform random parameters, with each layer's weights scaled by gain * sqrt(3 / nIn) (weight
   * variance gain^2 / nIn) so that values stay O(1) through deep networks and the absolute 1e-5
   * tolerance stays meaningful in float32 (its ulp is 1e-6 at 16): gain 2 drives tanh units into
   * saturation, gain sqrt(2) (He) keeps relu activations from growing layer after layer.
   */
  private static void randomize(MultiLayerNetwork net, Activation act, long seed) {
    Nd4j.getRandom().setSeed(seed);
    net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5).muli(2));
    double gain = act == Activation.TANH ? 2.0 : Math.sqrt(2.0);
    for (int l = 0; l < net.getnLayers(); l++) {
      INDArray w = net.getLayer(l).getParam("W");
      w.muli(gain * Math.sqrt(3.0 / w.size(0)));
      net.getLayer(l).getParam("b").muli(0.5);
    }
  }

  private static INDArray randomInputs(long seed, int rows, int in) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.rand(DataType.FLOAT, rows, in).subi(0.5).muli(6); // uniform in [-3, 3)
  }

  private static float[] ours(MultiLayerNetwork net, Activation act, INDArray x) {
    MlpWeights w = MlpWeights.of(net, act);
    int rows = (int) x.size(0);
    float[] out = new float[rows * w.outputSize()];
    new MlpForward(w).forward(x.dup('c').data().asFloat(), rows, out);
    return out;
  }

  private static float[] softmaxRows(float[] logits, int n) {
    float[] p = new float[logits.length];
    for (int r = 0; r < logits.length / n; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < n; k++) {
        max = Math.max(max, logits[r * n + k]);
      }
      double sum = 0;
      for (int k = 0; k < n; k++) {
        sum += Math.exp(logits[r * n + k] - max);
      }
      for (int k = 0; k < n; k++) {
        p[r * n + k] = (float) (Math.exp(logits[r * n + k] - max) / sum);
      }
    }
    return p;
  }

  @ParameterizedTest(name = "hidden {0}, {1}")
  @MethodSource("shapes")
  void criticAndLinearHeadsMatchDl4jOutput(String hidden, Activation act) {
    TrainConfig config = config(hidden, act);
    for (int in = 2; in <= 8; in++) {
      // the critic as the project builds it: one linear output
      MultiLayerNetwork critic = Networks.critic(in, config);
      randomize(critic, act, 100 + in);
      INDArray x = randomInputs(200 + in, 50, in);
      assertThat(ours(critic, act, x)).as("critic, %d inputs", in)
          .containsExactly(critic.output(x).dup('c').data().asFloat(), within((float) TOL));

      // linear heads with 1..5 outputs (raw logits, where the softmax would hide a per-row shift)
      for (int outputs = 1; outputs <= 5; outputs++) {
        MultiLayerNetwork head = linearHead(in, outputs, config);
        randomize(head, act, 300 + 10L * in + outputs);
        assertThat(ours(head, act, x)).as("linear head, %d inputs, %d outputs", in, outputs)
            .containsExactly(head.output(x).dup('c').data().asFloat(), within((float) TOL));
      }
    }
  }

  @ParameterizedTest(name = "hidden {0}, {1}")
  @MethodSource("shapes")
  void softmaxOfOurActorLogitsMatchesDl4jOutput(String hidden, Activation act) {
    TrainConfig config = config(hidden, act);
    for (int in = 2; in <= 8; in++) {
      // 2..5 actions: DL4J refuses a softmax output of width 1 (and a policy needs two actions)
      for (int actions = 2; actions <= 5; actions++) {
        MultiLayerNetwork actor = Networks.actor(in, actions, config);
        randomize(actor, act, 400 + 10L * in + actions);
        INDArray x = randomInputs(500 + in, 50, in);
        float[] p = softmaxRows(ours(actor, act, x), actions);
        assertThat(p).as("actor, %d inputs, %d actions", in, actions)
            .containsExactly(actor.output(x).dup('c').data().asFloat(), within((float) TOL));
      }
    }
  }

  @Test
  void theFactoryInitialisedActorMatchesToo() {
    // no randomize(): the weights as Networks.actor initialises them (output layer near zero)
    TrainConfig config = ConfigLoader.parse("", List.of());
    MultiLayerNetwork actor = Networks.actor(4, 2, config);
    INDArray x = randomInputs(9, 64, 4);
    float[] p = softmaxRows(ours(actor, config.network().activation(), x), 2);
    assertThat(p).containsExactly(actor.output(x).dup('c').data().asFloat(), within((float) TOL));
  }

  @Test
  void aRowsResultDoesNotDependOnItsBatch() {
    for (Activation act : Activation.values()) {
      MultiLayerNetwork net = Networks.actor(6, 4, config("[64, 64]", act));
      randomize(net, act, 77);
      MlpForward forward = new MlpForward(MlpWeights.of(net, act));
      int rows = 37;
      float[] x = randomInputs(78, rows, 6).dup('c').data().asFloat();
      float[] batch = new float[rows * 4];
      forward.forward(x, rows, batch);

      // the same rows in reverse order, as another batch
      float[] reversedX = new float[x.length];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(x, r * 6, reversedX, (rows - 1 - r) * 6, 6);
      }
      float[] reversed = new float[rows * 4];
      forward.forward(reversedX, rows, reversed);

      for (int k = 0; k < rows; k++) {
        float[] alone = new float[4];
        float[] row = new float[6];
        System.arraycopy(x, k * 6, row, 0, 6);
        forward.forward(row, 1, alone);
        for (int j = 0; j < 4; j++) {
          int bits = Float.floatToRawIntBits(alone[j]);
          assertThat(Float.floatToRawIntBits(batch[k * 4 + j])).as("row %d, output %d, %s", k, j, act).isEqualTo(bits);
          assertThat(Float.floatToRawIntBits(reversed[(rows - 1 - k) * 4 + j])).isEqualTo(bits);
        }
      }
    }
  }

  @Test
  void tanhApproximationIsWithin5e7OfMathTanhOnMinus10To10() {
    double worst = 0;
    float worstAt = 0;
    for (int i = -100_000; i <= 100_000; i++) {
      float x = i * 1e-4f;
      double err = Math.abs(MlpForward.tanh(x) - Math.tanh(x));
      if (err > worst) {
        worst = err;
        worstAt = x;
      }
    }
    assertThat(worst).as("worst error, at x = %s", worstAt).isLessThanOrEqualTo(5e-7);
  }

  @Test
  void tanhIsOddBoundedAndKeepsNaN() {
    for (int i = 0; i <= 20_000; i++) {
      float x = i * 1e-3f;
      assertThat(MlpForward.tanh(-x)).isEqualTo(-MlpForward.tanh(x));
      assertThat(Math.abs(MlpForward.tanh(x))).isLessThanOrEqualTo(1f);
    }
    assertThat(MlpForward.tanh(0f)).isZero();
    assertThat(MlpForward.tanh(Float.POSITIVE_INFINITY)).isCloseTo(1f, within(1e-7f));
    assertThat(MlpForward.tanh(Float.NEGATIVE_INFINITY)).isCloseTo(-1f, within(1e-7f));
    // a NaN must reach the rollout's non-finite check, not be clamped into a number
    assertThat(MlpForward.tanh(Float.NaN)).isNaN();
  }

  /** The critic's architecture with {@code outputs} linear outputs. */
  private static MultiLayerNetwork linearHead(int in, int outputs, TrainConfig config) {
    org.nd4j.linalg.activations.Activation act = config.network().activation() == Activation.TANH
        ? org.nd4j.linalg.activations.Activation.TANH : org.nd4j.linalg.activations.Activation.RELU;
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list();
    int n = in;
    for (int h : config.network().hidden()) {
      b.layer(new DenseLayer.Builder().nIn(n).nOut(h).activation(act).build());
      n = h;
    }
    b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(n).nOut(outputs)
        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
    net.init();
    return net;
  }

  /**
   * The Vector API kernel and the plain-Java one give the same bits (multiply then add in both,
   * same order), so a run is reproducible whether or not a JVM has the incubator module.
   */
  @Test
  void vectorAndScalarKernelsAreBitIdentical() {
    assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector"))
        .as("the test JVM runs with --add-modules jdk.incubator.vector (surefire argLine)").isPresent();
    assertThat(DenseKernel.best()).isInstanceOf(VectorDenseKernel.class);
    java.util.Random random = new java.util.Random(42);
    for (int[] sizes : new int[][] {{4, 64, 64, 2}, {3, 17, 5, 1}, {8, 128, 64, 32, 3}, {2, 16, 16, 4}}) {
      float[][] w = new float[sizes.length - 1][];
      float[][] b = new float[sizes.length - 1][];
      for (int l = 0; l < w.length; l++) {
        w[l] = new float[sizes[l] * sizes[l + 1]];
        b[l] = new float[sizes[l + 1]];
        for (int k = 0; k < w[l].length; k++) {
          w[l][k] = (float) random.nextGaussian() * 0.5f;
        }
        for (int k = 0; k < b[l].length; k++) {
          b[l][k] = (float) random.nextGaussian() * 0.1f;
        }
      }
      for (Activation act : Activation.values()) {
        MlpWeights weights = new MlpWeights(sizes, w, b, act);
        int rows = 37;
        float[] x = new float[rows * sizes[0]];
        for (int k = 0; k < x.length; k++) {
          x[k] = (float) random.nextGaussian() * 2;
        }
        int outSize = sizes[sizes.length - 1];
        float[] vector = new float[rows * outSize];
        float[] scalar = new float[rows * outSize];
        new MlpForward(weights, new VectorDenseKernel()).forward(x, rows, vector);
        new MlpForward(weights, new ScalarDenseKernel()).forward(x, rows, scalar);
        for (int k = 0; k < vector.length; k++) {
          assertThat(Float.floatToRawIntBits(vector[k])).as("%s %s output %d", java.util.Arrays.toString(sizes), act, k)
              .isEqualTo(Float.floatToRawIntBits(scalar[k]));
        }
      }
    }
  }

  /** The kernels' tanh give the same bits everywhere, also on NaN, infinities, zeros and the clamp. */
  @Test
  void vectorAndScalarTanhAreBitIdentical() {
    java.util.Random random = new java.util.Random(7);
    float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 9f, -9f, 9.000001f,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1e-20f};
    for (int n : new int[] {1, 15, 16, 17, 64, 100, 1000}) {
      float[] v = new float[n];
      for (int k = 0; k < n; k++) {
        v[k] = k < special.length && n >= 64 ? special[k] : (float) random.nextGaussian() * (k % 3 == 0 ? 6 : 1);
      }
      float[] vector = v.clone();
      float[] scalar = v.clone();
      new VectorDenseKernel().tanh(vector, n);
      new ScalarDenseKernel().tanh(scalar, n);
      for (int k = 0; k < n; k++) {
        assertThat(Float.floatToRawIntBits(vector[k])).as("tanh(%s), n = %d", v[k], n)
            .isEqualTo(Float.floatToRawIntBits(scalar[k]));
      }
    }
  }

  @Test
  void theKernelLineSaysWhichKernelRunsAndHowToGetTheVectorOne() {
    // the tests' JVM has the module (the pom's argLine), as the launcher and spark-defaults.conf give it
    assertThat(DenseKernel.describe(DenseKernel.best(), true)).matches(
        "inference kernel: Vector API \\(\\d+-bit, \\d+ floats a vector\\)");
    assertThat(DenseKernel.describe(new ScalarDenseKernel(), false)).startsWith("inference kernel: scalar Java")
        .contains("--add-modules=jdk.incubator.vector").contains("spark.executor.extraJavaOptions");
    assertThat(DenseKernel.describe(new ScalarDenseKernel(), true)).isEqualTo(
        "inference kernel: scalar Java (the Vector API did not link on this JVM)");
  }
}
