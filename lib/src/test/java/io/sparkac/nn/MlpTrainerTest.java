package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused training step against DL4J's own: the summed gradient against
 * {@code computeGradientAndScore} for every loss the project uses, tanh and relu, 1 to 3 hidden
 * layers and minibatches of 1, 7 and 256; the gradient against central finite differences of
 * the loss computed in double; and whole optimizer steps (Adam, RMSProp, clip active or not)
 * against {@code net.fit}: parameters, updater state and iteration count after 20 steps.
 */
class MlpTrainerTest {
  private static final int OBS = 5;

  /** The network kinds: the critic, the softmax actor with and without entropy, the Gaussian actor. */
  enum Kind { CRITIC, SOFTMAX, SOFTMAX_ENTROPY, GAUSSIAN }

  static TrainConfig config(String hidden, String activation, String... more) {
    List<String> o = new ArrayList<>(List.of("network.hidden=" + hidden, "network.activation=" + activation,
        "learner.value-coef=0.5", "network.log-std-init=-0.5"));
    o.addAll(List.of(more));
    return ConfigLoader.parse("", o);
  }

  static MultiLayerNetwork network(Kind kind, TrainConfig c) {
    return switch (kind) {
      case CRITIC -> Networks.critic(OBS, c);
      case SOFTMAX, SOFTMAX_ENTROPY -> Networks.actor(OBS, 3, c);
      case GAUSSIAN -> Networks.actor(OBS, Space.Box.symmetric(2f, 2), c);
    };
  }

  static int outputs(Kind kind) {
    return switch (kind) {
      case CRITIC -> 1;
      case SOFTMAX, SOFTMAX_ENTROPY -> 3;
      case GAUSSIAN -> 4;
    };
  }

  static String entropy(Kind kind) {
    return "learner.entropy-coef=" + (kind == Kind.SOFTMAX ? "0" : "0.01");
  }

  /** Parameters drawn uniformly, scaled so that activations stay O(1); the held log-std weights stay zero. */
  static void randomize(MultiLayerNetwork net, long seed) {
    Random rng = new Random(seed);
    for (int l = 0; l < net.getnLayers(); l++) {
      for (String p : new String[] {"W", "b"}) {
        INDArray a = net.getLayer(l).getParam(p);
        double scale = p.equals("W") ? 1.5 * Math.sqrt(3.0 / a.size(0)) : 0.5;
        for (long i = 0; i < a.length(); i++) {
          a.putScalar(i, (rng.nextDouble() * 2 - 1) * scale);
        }
      }
    }
    org.deeplearning4j.nn.api.Layer out = net.getLayer(net.getnLayers() - 1);
    if (out.conf().getLayer().getConstraints() != null) {
      out.conf().getLayer().getConstraints().forEach(c -> c.applyConstraint(out, 0, 0));
    }
  }

  static float[] inputs(int n, long seed) {
    Random rng = new Random(seed);
    float[] x = new float[n * OBS];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextGaussian() * 1.5);
    }
    return x;
  }

  /** Labels in each loss's encoding: targets, A * onehot(a), or [a_1, a_2, A, 0]. */
  static float[] labels(Kind kind, int n, long seed) {
    Random rng = new Random(seed * 31 + 7);
    int k = outputs(kind);
    float[] y = new float[n * k];
    for (int r = 0; r < n; r++) {
      switch (kind) {
        case CRITIC -> y[r] = (float) (rng.nextGaussian() * 3);
        case SOFTMAX, SOFTMAX_ENTROPY -> y[r * k + rng.nextInt(k)] = (float) rng.nextGaussian();
        case GAUSSIAN -> {
          y[r * k] = (float) (rng.nextGaussian() * 1.5);
          y[r * k + 1] = (float) (rng.nextGaussian() * 1.5);
          y[r * k + 2] = (float) rng.nextGaussian();
        }
      }
    }
    return y;
  }

  static DataSet dataSet(float[] x, float[] y, int n, int k) {
    return new DataSet(Nd4j.create(x, new long[] {n, OBS}, 'c'), Nd4j.create(y, new long[] {n, k}, 'c'));
  }

  static float[] dl4jGradient(MultiLayerNetwork net, float[] x, float[] y, int n, int k, double[] score) {
    net.setInput(Nd4j.create(x, new long[] {n, OBS}, 'c'));
    net.setLabels(Nd4j.create(y, new long[] {n, k}, 'c'));
    net.computeGradientAndScore();
    score[0] = net.score();
    return net.gradient().gradient().dup().data().asFloat();
  }

  /**
   * |a - e| <= tol * max|e| elementwise within each layer's W and b: each layer's gradient is
   * compared at its own scale (a float sum of 256 rows carries rounding of about 1e-7 of its terms,
   * so an element that cancels to near zero cannot be compared relative to itself).
   */
  static void assertClose(String what, float[] actual, float[] expected, MultiLayerNetwork net, double tol) {
    assertThat(actual).hasSize(expected.length);
    int at = 0;
    for (int l = 0; l < net.getnLayers(); l++) {
      for (String p : new String[] {"W", "b"}) {
        int len = (int) net.getLayer(l).getParam(p).length();
        double scale = 0;
        for (int i = at; i < at + len; i++) {
          scale = Math.max(scale, Math.abs(expected[i]));
        }
        for (int i = at; i < at + len; i++) {
          double err = Math.abs(actual[i] - expected[i]);
          if (!(err <= tol * scale + 1e-30)) {
            throw new AssertionError(what + ": layer " + l + " " + p + "[" + (i - at) + "] = " + actual[i]
                + ", DL4J " + expected[i] + " (error " + err / scale + " of the largest, " + scale + ")");
          }
        }
        at += len;
      }
    }
  }

  static Stream<Arguments> gradientCases() {
    List<Arguments> cases = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      for (String act : new String[] {"tanh", "relu"}) {
        for (String hidden : new String[] {"[16]", "[24, 12]", "[8, 16, 8]"}) {
          for (int n : new int[] {1, 7, 256, 600}) {
            cases.add(Arguments.of(kind, act, hidden, n));
          }
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} minibatch {3}")
  @MethodSource("gradientCases")
  void gradientIsDl4js(Kind kind, String act, String hidden, int n) {
    TrainConfig c = config(hidden, act, entropy(kind));
    MultiLayerNetwork net = network(kind, c);
    randomize(net, 11 + n);
    int k = outputs(kind);
    float[] x = inputs(n, n);
    float[] y = labels(kind, n, n);
    double[] dl4jScore = new double[1];
    float[] expected = dl4jGradient(net, x, y, n, k, dl4jScore);

    for (DenseKernel dk : new DenseKernel[] {new ScalarDenseKernel(), DenseKernel.best()}) {
      MlpTrainer t = new MlpTrainer(net, 0.5, dk);
      t.load();
      t.forward(x, n);
      double[] score = new double[1];
      float[] g = t.gradient(y, score);
      assertClose(kind + " " + act + " " + hidden + " n=" + n, g, expected, net, 1e-5);
      assertThat(score[0]).isCloseTo(dl4jScore[0], org.assertj.core.data.Percentage.withPercentage(1e-3));
    }
  }

  /** The Vector API kernel's step gives the scalar kernel's bits. */
  @Test
  void kernelsGiveTheSameBits() {
    for (Kind kind : Kind.values()) {
      TrainConfig c = config("[24, 20]", "tanh", entropy(kind));
      MultiLayerNetwork a = network(kind, c);
      randomize(a, 5);
      MultiLayerNetwork b = a.clone();
      MlpTrainer scalar = new MlpTrainer(a, 0.5, new ScalarDenseKernel());
      MlpTrainer best = new MlpTrainer(b, 0.5, DenseKernel.best());
      scalar.load();
      best.load();
      for (int s = 0; s < 5; s++) {
        float[] x = inputs(37, s);
        float[] y = labels(kind, 37, s);
        assertThat(best.fit(x, y, 37)).isEqualTo(scalar.fit(x, y, 37));
      }
      scalar.store();
      best.store();
      assertThat(b.params().data().asFloat()).isEqualTo(a.params().data().asFloat());
      assertThat(b.getUpdater().getStateViewArray().data().asFloat())
          .isEqualTo(a.getUpdater().getStateViewArray().data().asFloat());
    }
  }

  /** The row forward pass is the rollout's MlpForward, bit for bit (PPO's ratio is exactly 1 at the first step). */
  @Test
  void forwardIsTheRolloutsForward() {
    for (String act : new String[] {"tanh", "relu"}) {
      TrainConfig c = config("[24, 20]", act, "learner.entropy-coef=0");
      MultiLayerNetwork net = network(Kind.SOFTMAX, c);
      randomize(net, 3);
      MlpTrainer t = new MlpTrainer(net, 0);
      t.load();
      float[] x = inputs(13, 1);
      float[] ours = t.forward(x, 13).clone();
      float[] rollout = new float[13 * 3];
      new MlpForward(MlpWeights.of(net, c.network().activation())).forward(x, 13, rollout);
      assertThat(ours).isEqualTo(rollout);
    }
  }

  static Stream<Arguments> stepCases() {
    List<Arguments> cases = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      for (String optimizer : new String[] {"adam", "rmsprop"}) {
        for (String clip : new String[] {"0", "0.5", "1000"}) {
          cases.add(Arguments.of(kind, optimizer, clip));
        }
      }
    }
    return cases.stream();
  }

  /** 20 steps on minibatches of 64 (the last of 9 rows): parameters, updater state and counts agree. */
  @ParameterizedTest(name = "{0} {1} max-grad-norm {2}")
  @MethodSource("stepCases")
  void stepsAreNetFits(Kind kind, String optimizer, String clip) {
    TrainConfig c = config("[32, 32]", kind == Kind.CRITIC ? "relu" : "tanh", entropy(kind),
        "learner.optimizer=" + optimizer, "learner.max-grad-norm=" + clip, "learner.actor-learning-rate=0.003",
        "learner.critic-learning-rate=0.003");
    MultiLayerNetwork dl4j = network(kind, c);
    MultiLayerNetwork ours = dl4j.clone();
    double maxNorm = Double.parseDouble(clip);
    GlobalGradientClip listener = maxNorm > 0 ? new GlobalGradientClip(maxNorm) : null;
    if (listener != null) {
      dl4j.setListeners(listener);
    }
    MlpTrainer t = new MlpTrainer(ours, maxNorm);
    t.load();
    int k = outputs(kind);
    boolean clipped = false;
    for (int s = 0; s < 20; s++) {
      int n = s == 19 ? 9 : 64;
      float[] x = inputs(n, 100 + s);
      float[] y = labels(kind, n, 100 + s);
      dl4j.fit(dataSet(x, y, n, k));
      double score = t.fit(x, y, n);
      assertThat(score).isCloseTo(dl4j.score(), org.assertj.core.data.Percentage.withPercentage(1e-2));
      if (listener != null) {
        assertThat(t.lastNorm()).isCloseTo(listener.lastNorm(), org.assertj.core.data.Percentage.withPercentage(1e-3));
        clipped |= listener.lastNorm() > maxNorm;
      } else {
        assertThat(t.lastNorm()).isNaN();
      }
    }
    if (clip.equals("0.5")) {
      assertThat(clipped).as("the clip was active").isTrue();
    }
    t.store();
    assertThat(ours.getIterationCount()).isEqualTo(dl4j.getIterationCount()).isEqualTo(20);
    assertThat(ours.getEpochCount()).isEqualTo(dl4j.getEpochCount());
    assertClose("parameters", ours.params().data().asFloat(), dl4j.params().data().asFloat(), dl4j, 1e-5);
    float[] so = ours.getUpdater().getStateViewArray().data().asFloat();
    float[] sd = dl4j.getUpdater().getStateViewArray().data().asFloat();
    int p = (int) dl4j.params().length();
    for (int part = 0; part < so.length / p; part++) {
      assertClose("updater state " + part, java.util.Arrays.copyOfRange(so, part * p, (part + 1) * p),
          java.util.Arrays.copyOfRange(sd, part * p, (part + 1) * p), dl4j, 1e-5);
    }
    // ... and the stored network goes on learning in DL4J as if it had fitted itself
    if (listener != null) {
      ours.setListeners(new GlobalGradientClip(maxNorm));
    }
    float[] x = inputs(64, 999);
    float[] y = labels(kind, 64, 999);
    ours.fit(dataSet(x, y, 64, k));
    dl4j.fit(dataSet(x, y, 64, k));
    assertClose("a DL4J step after the store", ours.params().data().asFloat(), dl4j.params().data().asFloat(), dl4j,
        1e-5);
  }

  /** Central finite differences of the summed loss, computed in double from the kernel's own forward pass. */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(Kind.class)
  void gradientIsTheLossDerivative(Kind kind) {
    for (String act : new String[] {"tanh", "relu"}) {
      TrainConfig c = config("[6, 5]", act, entropy(kind));
      MultiLayerNetwork net = network(kind, c);
      randomize(net, 4);
      int n = 7;
      int k = outputs(kind);
      float[] x = inputs(n, 2);
      float[] y = labels(kind, n, 2);
      MlpTrainer t = new MlpTrainer(net, 0);
      t.load();
      t.forward(x, n);
      float[] g = t.gradient(y, new double[1]);
      double[] p = toDouble(net.params().data().asFloat());
      double h = 1e-6;
      int[] sizes = {OBS, 6, 5, k};
      for (int i = 0; i < p.length; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double up = Reference.loss(kind, act.equals("tanh"), sizes, p, x, y, n);
        p[i] = keep - h;
        double down = Reference.loss(kind, act.equals("tanh"), sizes, p, x, y, n);
        p[i] = keep;
        double fd = (up - down) / (2 * h);
        assertThat((double) g[i]).as("%s %s parameter %d", kind, act, i)
            .isCloseTo(fd, org.assertj.core.data.Offset.offset(2e-4 * Math.max(1, Math.abs(fd))));
      }
    }
  }

  @Test
  void refusesWhatItDoesNotReproduce() {
    MultiLayerNetwork sgd = new MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
        .dataType(DataType.FLOAT).updater(new org.nd4j.linalg.learning.config.Sgd(0.1)).list()
        .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(3).nOut(4)
            .activation(org.nd4j.linalg.activations.Activation.TANH).build())
        .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
            org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MSE).nIn(4).nOut(1)
            .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
        .build());
    sgd.init();
    assertThatThrownBy(() -> new MlpTrainer(sgd, 0)).hasMessageContaining("LossL2, PolicyGradientLoss");
    MultiLayerNetwork critic = Networks.critic(3, config("[4]", "tanh"));
    MlpTrainer t = new MlpTrainer(critic, 0);
    assertThatThrownBy(() -> t.fit(new float[3], new float[1], 1)).hasMessageContaining("load()");
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /** The summed losses in double precision from DL4J's flat parameters, with the exact tanh. */
  static final class Reference {
    static double loss(Kind kind, boolean tanh, int[] sizes, double[] p, float[] x, float[] y, int n) {
      int k = sizes[sizes.length - 1];
      double total = 0;
      for (int r = 0; r < n; r++) {
        double[] a = new double[sizes[0]];
        for (int i = 0; i < a.length; i++) {
          a[i] = x[r * sizes[0] + i];
        }
        int at = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
          int nIn = sizes[l];
          int nOut = sizes[l + 1];
          double[] z = new double[nOut];
          for (int j = 0; j < nOut; j++) {
            double s = p[at + nIn * nOut + j];
            for (int i = 0; i < nIn; i++) {
              s += a[i] * p[at + j * nIn + i];
            }
            boolean hidden = l + 2 < sizes.length;
            z[j] = !hidden ? s : tanh ? Math.tanh(s) : Math.max(s, 0);
          }
          at += nIn * nOut + nOut;
          a = z;
        }
        total += rowLoss(kind, a, y, r * k, k);
      }
      return total;
    }

    static double rowLoss(Kind kind, double[] z, float[] y, int off, int k) {
      double beta = kind == Kind.SOFTMAX ? 0 : 0.01;
      switch (kind) {
        case CRITIC -> {
          return 0.25 * (z[0] - y[off]) * (z[0] - y[off]);
        }
        case SOFTMAX, SOFTMAX_ENTROPY -> {
          double max = Double.NEGATIVE_INFINITY;
          for (double v : z) {
            max = Math.max(max, v);
          }
          double se = 0;
          for (double v : z) {
            se += Math.exp(v - max);
          }
          double loss = 0;
          double h = 0;
          for (int j = 0; j < k; j++) {
            double logp = z[j] - max - Math.log(se);
            loss -= y[off + j] * logp;
            h -= Math.exp(logp) * logp;
          }
          return loss - beta * h;
        }
        default -> {
          int d = k / 2;
          double adv = y[off + d];
          double logp = 0;
          double h = 0;
          for (int i = 0; i < d; i++) {
            double s = Math.max(-5, Math.min(2, z[d + i]));
            double u = (y[off + i] - z[i]) * Math.exp(-s);
            logp += -0.5 * u * u - s - 0.5 * Math.log(2 * Math.PI);
            h += s + 0.5 * Math.log(2 * Math.PI) + 0.5;
          }
          return -adv * logp - beta * h;
        }
      }
    }
  }
}
