package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The actor's loss: its gradient against finite differences of its own score, in double
 * precision; its score against the formula by hand; why DL4J's {@code LossMCXENT} is not used;
 * and that it survives DL4J's JSON model serialization.
 */
class PolicyGradientLossTest {
  private static final IActivation SOFTMAX = new ActivationSoftmax();
  private static final double MAX_RELATIVE_ERROR = 1e-6;
  /** Below this absolute difference, both derivatives are zero up to round-off. */
  private static final double ABS_FLOOR = 1e-11;
  private static final double H = 1e-3;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (long seed : new long[] {1, 2, 3}) {
      for (double beta : new double[] {0.0, 0.01, 0.5}) {
        for (boolean masked : new boolean[] {false, true}) {
          cases.add(Arguments.of(seed, beta, masked));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "seed {0}, entropy coef {1}, mask {2}")
  @MethodSource("cases")
  void gradientMatchesCentralFiniteDifferencesOfTheScore(long seed, double beta, boolean masked) {
    Random rng = new Random(seed);
    int rows = 9;
    int actions = 2 + (int) seed; // 3, 4, 5 actions
    INDArray z = Nd4j.zeros(DataType.DOUBLE, rows, actions);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, actions);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < actions; j++) {
        z.putScalar(i, j, 2 * rng.nextGaussian());
      }
      // rows 0, 3, 6: positive advantage; 1, 4, 7: negative; 2, 5, 8: zero; actions vary
      double advantage = switch (i % 3) {
        case 0 -> 0.1 + 2 * rng.nextDouble();
        case 1 -> -0.1 - 2 * rng.nextDouble();
        default -> 0.0;
      };
      labels.putScalar(i, rng.nextInt(actions), advantage);
    }
    INDArray mask = null;
    if (masked) {
      mask = Nd4j.ones(DataType.DOUBLE, rows, 1);
      mask.putScalar(1, 0, 0.0);
      mask.putScalar(5, 0, 0.0);
    }
    PolicyGradientLoss loss = new PolicyGradientLoss(beta);

    INDArray analytic = loss.computeGradient(labels, z.dup(), SOFTMAX, mask);
    INDArray numeric = finiteDifference(loss, labels, z, mask);

    assertThat(analytic.dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(analytic.shape()).isEqualTo(z.shape());
    assertClose(analytic, numeric);
    if (masked) {
      assertThat(analytic.getRow(1).norm2Number().doubleValue()).isZero();
      assertThat(analytic.getRow(5).norm2Number().doubleValue()).isZero();
      assertThat(loss.computeScoreArray(labels, z, SOFTMAX, mask).getDouble(1)).isZero();
    }
    if (beta == 0) {
      // zero advantage and no entropy bonus: no gradient at all, whatever the action
      assertThat(analytic.getRow(2).norm2Number().doubleValue()).isZero();
    } else {
      assertThat(analytic.getRow(2).norm2Number().doubleValue()).isGreaterThan(1e-6);
    }
    // the loss does not modify its inputs (DL4J reuses the pre-output array)
    INDArray zCopy = z.dup();
    INDArray labelsCopy = labels.dup();
    assertThat(loss.computeGradient(labels, z, SOFTMAX, mask)).isEqualTo(analytic);
    loss.computeScoreArray(labels, z, SOFTMAX, mask);
    assertThat(z).isEqualTo(zCopy);
    assertThat(labels).isEqualTo(labelsCopy);

    // computeScore(average) is the mean of the score array; computeGradientAndScore agrees
    double sum = loss.computeScoreArray(labels, z, SOFTMAX, mask).sumNumber().doubleValue();
    assertThat(loss.computeScore(labels, z, SOFTMAX, mask, false)).isCloseTo(sum, within(1e-12));
    assertThat(loss.computeScore(labels, z, SOFTMAX, mask, true)).isCloseTo(sum / rows, within(1e-12));
    var both = loss.computeGradientAndScore(labels, z, SOFTMAX, mask, true);
    assertThat(both.getFirst()).isCloseTo(sum / rows, within(1e-12));
    assertThat(both.getSecond()).isEqualTo(analytic);
  }

  @Test
  void scoreAndGradientMatchTheFormulaByHand() {
    // z = [1, 2, 3], action 0, A = -1.5, beta = 0.1
    //   logsumexp(z) = 3 + log(1 + e^-1 + e^-2) = 3 + log(1.50321472440806) = 3.40760596444438
    //   log p = z - 3.40760596444438 = [-2.40760596444438, -1.40760596444438, -0.40760596444438]
    //   p = [0.0900305731703804, 0.244728471054798, 0.665240955774822]
    //   H = -sum p log p = 0.216758... + 0.344481... + 0.271156... = 0.832395581839939
    //   L = -A log p_0 - beta H = -(-1.5)(-2.40760596444438) - 0.1 * 0.832395581839939
    //     = -3.61140894666657 - 0.0832395581839939 = -3.69464850485057
    // dL/dz_j = A p_j - label_j + beta p_j (log p_j + H):
    //   j=0: -1.5 * 0.0900306 + 1.5 + 0.1 * 0.0900306 * (-2.4076060 + 0.8323956) =  1.35077243088345
    //   j=1: -1.5 * 0.2447285       + 0.1 * 0.2447285 * (-1.4076060 + 0.8323956) = -0.381169742329159
    //   j=2: -1.5 * 0.6652410       + 0.1 * 0.6652410 * (-0.4076060 + 0.8323956) = -0.969602688554288
    INDArray z = Nd4j.create(new double[][] {{1, 2, 3}});
    INDArray labels = Nd4j.create(new double[][] {{-1.5, 0, 0}});
    PolicyGradientLoss loss = new PolicyGradientLoss(0.1);

    assertThat(loss.computeScoreArray(labels, z, SOFTMAX, null).getDouble(0))
        .isCloseTo(-3.69464850485057, within(1e-12));
    assertThat(loss.computeGradient(labels, z, SOFTMAX, null).toDoubleVector())
        .containsExactly(new double[] {1.35077243088345, -0.381169742329159, -0.969602688554288}, within(1e-12));
  }

  @Test
  void extremeLogitsGiveFiniteScoresAndGradients() {
    // log-softmax from the pre-activations: no log(0) even when a probability underflows
    INDArray z = Nd4j.create(new double[][] {{1000, -1000, 0}, {-1000, 1000, 0}});
    INDArray labels = Nd4j.create(new double[][] {{0, 2.0, 0}, {0, -1.0, 0}});
    PolicyGradientLoss loss = new PolicyGradientLoss(0.01);
    INDArray score = loss.computeScoreArray(labels, z, SOFTMAX, null);
    INDArray grad = loss.computeGradient(labels, z, SOFTMAX, null);
    // row 0: -A log p_1 = -2 * (-2000) = 4000 (entropy ~ 0)
    assertThat(score.getDouble(0)).isCloseTo(4000, within(1e-9));
    assertThat(score.getDouble(1)).isCloseTo(0, within(1e-9));
    for (double g : flat(grad)) {
      assertThat(g).isFinite();
    }
    // row 0: A p - label = 2 * [1, 0, 0] - [0, 2, 0]
    assertThat(grad.getRow(0).toDoubleVector()).containsExactly(new double[] {2, -2, 0}, within(1e-9));
  }

  @Test
  void lossMcxentGivesTheWrongGradientForAdvantageWeightedLabelsAndOursDoesNot() {
    // labels = A * onehot(a): the score -sum_k label_k log p_k = -A log p_a is right for both
    // losses, but LossMCXENT returns p - labels, the gradient only when the labels sum to 1.
    INDArray z = Nd4j.create(new double[][] {{0.3, -1.2, 0.8, 0.1}, {1.5, 0.2, -0.4, -2.0}});
    INDArray labels = Nd4j.create(new double[][] {{0, 0, 2.0, 0}, {-0.7, 0, 0, 0}}); // A = 2 and A = -0.7
    LossMCXENT mcxent = new LossMCXENT();
    PolicyGradientLoss ours = new PolicyGradientLoss(0.0);

    INDArray reference = finiteDifference(minusALogPa(labels), z); // of -A log softmax(z)_a, by hand
    INDArray mcxentGrad = mcxent.computeGradient(labels, z.dup(), SOFTMAX, null);
    INDArray ourGrad = ours.computeGradient(labels, z.dup(), SOFTMAX, null);

    // both losses score -A log p_a ...
    assertThat(flat(mcxent.computeScoreArray(labels, z.dup(), SOFTMAX, null)))
        .containsExactly(flat(ours.computeScoreArray(labels, z, SOFTMAX, null)), within(1e-9));
    // ... but LossMCXENT's gradient is off by (1 - A) p: by 0.2 or more somewhere here
    double mcxentError = mcxentGrad.sub(reference).amaxNumber().doubleValue();
    assertThat(mcxentError).isGreaterThan(0.2);
    INDArray p = SOFTMAX.getActivation(z.dup(), false);
    INDArray oneMinusA = labels.sum(true, 1).rsub(1.0);
    assertThat(flat(mcxentGrad.sub(reference))).containsExactly(flat(p.mulColumnVector(oneMinusA)), within(1e-8));
    // ours matches
    assertClose(ourGrad, reference);

    // with A = 1 (classification labels) the two agree: why the bug goes unnoticed
    INDArray oneHot = Nd4j.create(new double[][] {{0, 0, 1, 0}, {1, 0, 0, 0}});
    assertClose(mcxent.computeGradient(oneHot, z.dup(), SOFTMAX, null), ours.computeGradient(oneHot, z, SOFTMAX, null));
  }

  @Test
  void rejectsANonSoftmaxOutputAndANegativeEntropyCoefficient() {
    INDArray z = Nd4j.create(new double[][] {{1, 2}});
    INDArray labels = Nd4j.create(new double[][] {{1, 0}});
    assertThatThrownBy(() -> new PolicyGradientLoss(0).computeGradient(labels, z, new ActivationIdentity(), null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("SOFTMAX");
    assertThatThrownBy(() -> new PolicyGradientLoss(-0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-0.1");
    assertThatThrownBy(() -> new PolicyGradientLoss(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }

  @Test
  void survivesDl4jModelSerialization() throws Exception {
    for (TrainConfig config : List.of(ConfigLoader.parse("", List.of()),
        ConfigLoader.parse("", List.of("learner.entropy-coef=0.01")))) {
      MultiLayerNetwork actor = Networks.actor(4, 3, config);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ModelSerializer.writeModel(actor, bytes, true);
      MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()),
          true);

      ILossFunction lossFn = outputLoss(restored.getLayerWiseConfigurations());
      assertThat(lossFn).isInstanceOf(PolicyGradientLoss.class)
          .isEqualTo(new PolicyGradientLoss(config.learner().entropyCoef()));
      assertThat(((PolicyGradientLoss) lossFn).getEntropyCoef()).isEqualTo(config.learner().entropyCoef());
      assertThat(restored.params()).isEqualTo(actor.params());
      INDArray x = Nd4j.rand(DataType.FLOAT, 5, 4);
      assertThat(restored.output(x)).isEqualTo(actor.output(x));

      // the configuration JSON alone round-trips too
      MultiLayerConfiguration fromJson = MultiLayerConfiguration.fromJson(actor.getLayerWiseConfigurations().toJson());
      assertThat(outputLoss(fromJson)).isEqualTo(new PolicyGradientLoss(config.learner().entropyCoef()));
    }
  }

  private static ILossFunction outputLoss(MultiLayerConfiguration conf) {
    int last = conf.getConfs().size() - 1;
    return ((BaseOutputLayer) conf.getConf(last).getLayer()).getLossFn();
  }

  /** A scalar function of the logits, for finite differences. */
  private interface Score {
    double of(INDArray z);
  }

  private static INDArray finiteDifference(ILossFunction loss, INDArray labels, INDArray z, INDArray mask) {
    return finiteDifference(zz -> loss.computeScore(labels, zz, SOFTMAX, mask, false), z);
  }

  /** -sum_i A_i log softmax(z_i)_{a_i}, written out with Math.exp and Math.log. */
  private static Score minusALogPa(INDArray labels) {
    return z -> {
      double total = 0;
      for (int i = 0; i < z.rows(); i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < z.columns(); j++) {
          max = Math.max(max, z.getDouble(i, j));
        }
        double sum = 0;
        for (int j = 0; j < z.columns(); j++) {
          sum += Math.exp(z.getDouble(i, j) - max);
        }
        for (int j = 0; j < z.columns(); j++) {
          total -= labels.getDouble(i, j) * (z.getDouble(i, j) - max - Math.log(sum));
        }
      }
      return total;
    };
  }

  /**
   * Central differences with the five-point stencil (-f(2h) + 8 f(h) - 8 f(-h) + f(-2h)) / 12h,
   * whose truncation error is O(h^4): at h = 1e-3 both it and the round-off stay near 1e-12.
   */
  private static INDArray finiteDifference(Score f, INDArray z) {
    INDArray grad = Nd4j.zeros(DataType.DOUBLE, z.shape());
    for (int i = 0; i < z.rows(); i++) {
      for (int j = 0; j < z.columns(); j++) {
        double[] s = new double[4];
        double[] steps = {2 * H, H, -H, -2 * H};
        for (int k = 0; k < 4; k++) {
          INDArray zz = z.dup();
          zz.putScalar(i, j, z.getDouble(i, j) + steps[k]);
          s[k] = f.of(zz);
        }
        grad.putScalar(i, j, (-s[0] + 8 * s[1] - 8 * s[2] + s[3]) / (12 * H));
      }
    }
    return grad;
  }

  private static double[] flat(INDArray a) {
    return a.dup('c').data().asDouble();
  }

  private static void assertClose(INDArray analytic, INDArray numeric) {
    double[] a = flat(analytic);
    double[] n = flat(numeric);
    assertThat(a).hasSameSizeAs(n);
    for (int k = 0; k < a.length; k++) {
      double diff = Math.abs(a[k] - n[k]);
      if (diff < ABS_FLOOR) {
        continue;
      }
      double relative = diff / (Math.abs(a[k]) + Math.abs(n[k]));
      assertThat(relative).as("element %d: analytic %s, numeric %s", k, a[k], n[k]).isLessThan(MAX_RELATIVE_ERROR);
    }
  }
}
