package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.policy.GaussianPolicy;
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

/**
 * The actor's loss for continuous actions: its gradient against finite differences of its own
 * score in double precision, its score against the Gaussian log-density by hand, the clamp of
 * the log-std, and that it survives DL4J's JSON model serialization.
 */
class GaussianPolicyLossTest {
  private static final IActivation IDENTITY = new ActivationIdentity();
  private static final double MAX_RELATIVE_ERROR = 1e-6;
  /**
   * Below this absolute difference, times the magnitude of the summed score, both derivatives
   * are zero up to round-off: differencing a score f at step h loses about 2e-16 |f| / h.
   */
  private static final double ABS_FLOOR = 1e-11;
  private static final double H = 1e-3;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (int dims = 1; dims <= 3; dims++) {
      for (double beta : new double[] {0.0, 0.01, 0.5}) {
        for (boolean masked : new boolean[] {false, true}) {
          cases.add(Arguments.of(dims, beta, masked));
        }
      }
    }
    return cases.stream();
  }

  /** Rows [mu_1..mu_d, s_1..s_d] with s inside the clamp, and labels [a_1..a_d, A, 0..0]. */
  private record Batch(INDArray out, INDArray labels) {}

  private static Batch randomBatch(Random rng, int rows, int dims) {
    INDArray out = Nd4j.zeros(DataType.DOUBLE, rows, 2 * dims);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, 2 * dims);
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < dims; k++) {
        double mu = 2 * rng.nextGaussian();
        // log-std in [-4, 1.5]: inside [LOG_STD_MIN, LOG_STD_MAX] = [-5, 2] by more than any finite-difference step
        double s = -4 + 5.5 * rng.nextDouble();
        out.putScalar(i, k, mu);
        out.putScalar(i, dims + k, s);
        // an action a few standard deviations around the mean
        labels.putScalar(i, k, mu + Math.exp(s) * 2 * rng.nextGaussian());
      }
      // rows 0, 3, 6: positive advantage; 1, 4, 7: negative; 2, 5, 8: zero
      double advantage = switch (i % 3) {
        case 0 -> 0.1 + 2 * rng.nextDouble();
        case 1 -> -0.1 - 2 * rng.nextDouble();
        default -> 0.0;
      };
      labels.putScalar(i, dims, advantage);
    }
    return new Batch(out, labels);
  }

  @ParameterizedTest(name = "{0} action dims, entropy coef {1}, mask {2}")
  @MethodSource("cases")
  void gradientMatchesCentralFiniteDifferencesOfTheScore(int dims, double beta, boolean masked) {
    int rows = 9;
    Batch b = randomBatch(new Random(100L * dims + (masked ? 1 : 0) + Math.round(beta * 1000)), rows, dims);
    INDArray out = b.out();
    INDArray labels = b.labels();
    INDArray mask = null;
    if (masked) {
      mask = Nd4j.ones(DataType.DOUBLE, rows, 1);
      mask.putScalar(1, 0, 0.0);
      mask.putScalar(5, 0, 0.0);
    }
    GaussianPolicyLoss loss = new GaussianPolicyLoss(beta);

    INDArray analytic = loss.computeGradient(labels, out.dup(), IDENTITY, mask);
    INDArray numeric = finiteDifference(loss, labels, out, mask);

    assertThat(analytic.dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(analytic.shape()).isEqualTo(out.shape());
    assertClose(analytic, numeric, loss.computeScore(labels, out, IDENTITY, mask, false));
    // the gradient is not trivially zero: every row with an advantage moves the mean
    for (int i = 0; i < rows; i++) {
      boolean live = !(masked && (i == 1 || i == 5));
      double meanGrad = analytic.getRow(i).getDouble(0);
      if (live && i % 3 != 2) {
        assertThat(Math.abs(meanGrad)).as("row %d", i).isGreaterThan(1e-9);
      }
    }
    if (masked) {
      assertThat(analytic.getRow(1).norm2Number().doubleValue()).isZero();
      assertThat(analytic.getRow(5).norm2Number().doubleValue()).isZero();
      assertThat(Math.abs(loss.computeScoreArray(labels, out, IDENTITY, mask).getDouble(1))).isZero();
    }
    // zero advantage: no gradient on the mean; on the log-std only the entropy bonus, -beta
    for (int k = 0; k < dims; k++) {
      assertThat(Math.abs(analytic.getDouble(2, k))).isZero();
      assertThat(analytic.getDouble(2, dims + k)).isCloseTo(-beta, within(1e-15));
    }

    // the loss does not modify its inputs (DL4J reuses the pre-output array)
    INDArray outCopy = out.dup();
    INDArray labelsCopy = labels.dup();
    assertThat(loss.computeGradient(labels, out, IDENTITY, mask)).isEqualTo(analytic);
    loss.computeScoreArray(labels, out, IDENTITY, mask);
    assertThat(out).isEqualTo(outCopy);
    assertThat(labels).isEqualTo(labelsCopy);

    // computeScore(average) is the mean of the score array; computeGradientAndScore agrees
    double sum = loss.computeScoreArray(labels, out, IDENTITY, mask).sumNumber().doubleValue();
    assertThat(loss.computeScore(labels, out, IDENTITY, mask, false)).isCloseTo(sum, within(1e-12));
    assertThat(loss.computeScore(labels, out, IDENTITY, mask, true)).isCloseTo(sum / rows, within(1e-12));
    var both = loss.computeGradientAndScore(labels, out, IDENTITY, mask, true);
    assertThat(both.getFirst()).isCloseTo(sum / rows, within(1e-12));
    assertThat(both.getSecond()).isEqualTo(analytic);
  }

  @Test
  void theGradientDescendsTheAdvantageWeightedLogLikelihood() {
    // A > 0 and a > mu: a gradient step (mu -= lr * grad) moves the mean towards the action;
    // A < 0: away from it. The sign a flipped loss would get wrong.
    INDArray out = Nd4j.create(new double[][] {{0.0, 0.0}, {0.0, 0.0}});
    INDArray labels = Nd4j.create(new double[][] {{1.0, 2.0}, {1.0, -2.0}});
    INDArray grad = new GaussianPolicyLoss(0).computeGradient(labels, out, IDENTITY, null);
    assertThat(grad.getDouble(0, 0)).isNegative();
    assertThat(grad.getDouble(1, 0)).isPositive();
    // |z| = 1 with sigma = 1: z^2 - 1 = 0, no push on the log-std; a far sample (|z| = 3) with
    // A > 0 widens the policy (the gradient on s is negative).
    INDArray far = new GaussianPolicyLoss(0).computeGradient(Nd4j.create(new double[][] {{3.0, 1.0}}),
        Nd4j.create(new double[][] {{0.0, 0.0}}), IDENTITY, null);
    assertThat(Math.abs(grad.getDouble(0, 1))).isZero();
    assertThat(far.getDouble(0, 1)).isCloseTo(-8.0, within(1e-12));
  }

  @Test
  void logStdOutsideTheClampGetsNoGradient() {
    double below = GaussianPolicy.LOG_STD_MIN - 0.7;
    double above = GaussianPolicy.LOG_STD_MAX + 0.3;
    // rows: [mu, s] with s below, above, and inside the clamp; the same action and advantage
    INDArray out = Nd4j.create(new double[][] {{0.2, below}, {0.2, above}, {0.2, 0.1}});
    INDArray labels = Nd4j.create(new double[][] {{0.5, 1.3}, {0.5, 1.3}, {0.5, 1.3}});
    GaussianPolicyLoss loss = new GaussianPolicyLoss(0.05);

    INDArray grad = loss.computeGradient(labels, out.dup(), IDENTITY, null);

    assertThat(Math.abs(grad.getDouble(0, 1))).isZero();
    assertThat(Math.abs(grad.getDouble(1, 1))).isZero();
    assertThat(grad.getDouble(2, 1)).isNotZero();
    // the mean still gets a gradient, computed with the clamped standard deviation
    double sigmaMin = Math.exp(GaussianPolicy.LOG_STD_MIN);
    double sigmaMax = Math.exp(GaussianPolicy.LOG_STD_MAX);
    assertThat(grad.getDouble(0, 0)).isCloseTo(-1.3 * (0.5 - 0.2) / (sigmaMin * sigmaMin), within(1e-6));
    assertThat(grad.getDouble(1, 0)).isCloseTo(-1.3 * (0.5 - 0.2) / (sigmaMax * sigmaMax), within(1e-12));
    // and the score is flat in s there: the finite differences agree
    assertClose(grad, finiteDifference(loss, labels, out, null), loss.computeScore(labels, out, IDENTITY, null, false));
  }

  @Test
  void scoreMatchesTheFormulaByHand() {
    // d = 2, mu = [0.5, -1], s = [-0.3, 0.2], a = [1.1, -2.5], A = -0.8, beta = 0.02
    //   sigma = e^s = [0.740818220681718, 1.22140275816017]
    //   z = (a - mu) / sigma = [0.809915284545602, -1.22809612961697]
    //   log N = sum_i (-0.5 z_i^2 - s_i - 0.5 log 2pi)
    //         = (-0.327981365 + 0.3 - 0.918938533) + (-0.754109 - 0.2 - 0.918938533)
    //         = -0.946919917274965 - 1.87304858499477 = -2.81996850226973
    //   H = sum_i (s_i + 0.5 log(2 pi e)) = -0.1 + 2 * 1.41893853320467 = 2.73787706640935
    //   L = -A log N - beta H = 0.8 * -2.81996850226973 - 0.02 * 2.73787706640935 = -2.31073234314397
    double[] mu = {0.5, -1};
    double[] s = {-0.3, 0.2};
    double[] a = {1.1, -2.5};
    double adv = -0.8;
    double beta = 0.02;
    double logN = 0;
    double entropy = 0;
    for (int k = 0; k < 2; k++) {
      double sigma = Math.exp(s[k]);
      // the density written out, not from its logarithm's formula
      logN += Math.log(Math.exp(-(a[k] - mu[k]) * (a[k] - mu[k]) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI)));
      entropy += 0.5 * Math.log(2 * Math.PI * Math.E * sigma * sigma);
    }
    assertThat(logN).isCloseTo(-2.81996850226973, within(1e-12));
    assertThat(entropy).isCloseTo(2.73787706640935, within(1e-12));
    double expected = -adv * logN - beta * entropy;
    assertThat(expected).isCloseTo(-2.31073234314397, within(1e-12));

    INDArray out = Nd4j.create(new double[][] {{mu[0], mu[1], s[0], s[1]}});
    INDArray labels = Nd4j.create(new double[][] {{a[0], a[1], adv, 0}});
    GaussianPolicyLoss loss = new GaussianPolicyLoss(beta);

    assertThat(loss.computeScoreArray(labels, out, IDENTITY, null).getDouble(0)).isCloseTo(expected, within(1e-12));
    // the same log-density as the sampler's
    double policyLogp = GaussianPolicy.logProb(a[0], mu[0], s[0]) + GaussianPolicy.logProb(a[1], mu[1], s[1]);
    assertThat(policyLogp).isCloseTo(logN, within(1e-12));
    // and by hand, the gradient: dL/dmu = -A z / sigma, dL/ds = -A (z^2 - 1) - beta
    double[] grad = loss.computeGradient(labels, out, IDENTITY, null).toDoubleVector();
    for (int k = 0; k < 2; k++) {
      double sigma = Math.exp(s[k]);
      double z = (a[k] - mu[k]) / sigma;
      assertThat(grad[k]).isCloseTo(-adv * z / sigma, within(1e-12));
      assertThat(grad[2 + k]).isCloseTo(-adv * (z * z - 1) - beta, within(1e-12));
    }
  }

  @Test
  void floatOutputsGiveTheSameScoreAsDoubleOnes() {
    // the networks run in FLOAT; labels may arrive in another type and are cast
    Batch b = randomBatch(new Random(7), 6, 2);
    GaussianPolicyLoss loss = new GaussianPolicyLoss(0.01);
    INDArray outF = b.out().castTo(DataType.FLOAT);
    INDArray labelsF = b.labels().castTo(DataType.FLOAT);
    INDArray scoreF = loss.computeScoreArray(b.labels(), outF, IDENTITY, null);
    INDArray scoreD = loss.computeScoreArray(labelsF.castTo(DataType.DOUBLE), outF.castTo(DataType.DOUBLE), IDENTITY,
        null);
    assertThat(scoreF.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(flat(scoreF)).containsExactly(flat(scoreD), within(1e-3));
  }

  @Test
  void rejectsBadOutputsAndCoefficients() {
    INDArray out = Nd4j.create(new double[][] {{1, 2}});
    INDArray labels = Nd4j.create(new double[][] {{1, 0}});
    assertThatThrownBy(() -> new GaussianPolicyLoss(0).computeGradient(labels, out, new ActivationSoftmax(), null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("IDENTITY");
    assertThatThrownBy(() -> new GaussianPolicyLoss(0).computeScoreArray(Nd4j.create(new double[][] {{1, 0, 0}}),
        Nd4j.create(new double[][] {{1, 2, 3}}), IDENTITY, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 3]");
    assertThatThrownBy(() -> new GaussianPolicyLoss(-0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-0.1");
    assertThatThrownBy(() -> new GaussianPolicyLoss(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }

  @Test
  void survivesDl4jModelSerialization() throws Exception {
    Space.Box torque = Space.Box.symmetric(2f, 1);
    for (TrainConfig config : List.of(ConfigLoader.parse("", List.of()),
        ConfigLoader.parse("", List.of("learner.entropy-coef=0.01")))) {
      MultiLayerNetwork actor = Networks.actor(3, torque, config);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ModelSerializer.writeModel(actor, bytes, true);
      MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()),
          true);

      MultiLayerConfiguration conf = restored.getLayerWiseConfigurations();
      BaseOutputLayer output = (BaseOutputLayer) conf.getConf(conf.getConfs().size() - 1).getLayer();
      ILossFunction lossFn = output.getLossFn();
      assertThat(lossFn).isInstanceOf(GaussianPolicyLoss.class)
          .isEqualTo(new GaussianPolicyLoss(config.learner().entropyCoef()));
      assertThat(((GaussianPolicyLoss) lossFn).getEntropyCoef()).isEqualTo(config.learner().entropyCoef());
      assertThat(output.getNOut()).isEqualTo(2);
      assertThat(output.getActivationFn()).isInstanceOf(ActivationIdentity.class);
      assertThat(restored.params()).isEqualTo(actor.params());
      INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
      assertThat(restored.output(x)).isEqualTo(actor.output(x));
      // the head starts near mean 0 and log-std 0 (std 1) for any state
      assertThat(restored.output(x).amaxNumber().doubleValue()).isLessThan(0.5);

      MultiLayerConfiguration fromJson = MultiLayerConfiguration.fromJson(actor.getLayerWiseConfigurations().toJson());
      BaseOutputLayer fromJsonOutput = (BaseOutputLayer) fromJson.getConf(fromJson.getConfs().size() - 1).getLayer();
      assertThat(fromJsonOutput.getLossFn()).isEqualTo(new GaussianPolicyLoss(config.learner().entropyCoef()));
    }
  }

  private static INDArray finiteDifference(ILossFunction loss, INDArray labels, INDArray out, INDArray mask) {
    INDArray grad = Nd4j.zeros(DataType.DOUBLE, out.shape());
    double[] steps = {2 * H, H, -H, -2 * H};
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.columns(); j++) {
        double[] f = new double[4];
        for (int k = 0; k < 4; k++) {
          INDArray o = out.dup();
          o.putScalar(i, j, out.getDouble(i, j) + steps[k]);
          f[k] = loss.computeScore(labels, o, IDENTITY, mask, false);
        }
        // five-point stencil, truncation error O(h^4)
        grad.putScalar(i, j, (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * H));
      }
    }
    return grad;
  }

  private static double[] flat(INDArray a) {
    return a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
  }

  private static void assertClose(INDArray analytic, INDArray numeric, double score) {
    double[] a = flat(analytic);
    double[] n = flat(numeric);
    assertThat(a).hasSameSizeAs(n);
    double floor = ABS_FLOOR * Math.max(1, Math.abs(score));
    for (int k = 0; k < a.length; k++) {
      double diff = Math.abs(a[k] - n[k]);
      if (diff < floor) {
        continue;
      }
      double relative = diff / (Math.abs(a[k]) + Math.abs(n[k]));
      assertThat(relative).as("element %d: analytic %s, numeric %s", k, a[k], n[k]).isLessThan(MAX_RELATIVE_ERROR);
    }
  }
}
