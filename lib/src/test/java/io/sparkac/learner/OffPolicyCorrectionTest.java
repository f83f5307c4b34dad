package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.TrainConfig.Correction;
import io.sparkac.nn.PolicyGradientLoss;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The importance weights of stale samples: by hand for each mode and each side of the clip, no
 * change at all for samples of the current policy, and for the clipped mode the gradient that
 * {@link PolicyGradientLoss} gets from the weighted labels against finite differences of PPO's
 * clipped surrogate.
 */
class OffPolicyCorrectionTest {
  private static final double EPS = 0.2;
  private static final double RHO_BAR = 1.0;

  private static double[] weights(Correction mode, double advantage, double rho) {
    return OffPolicyCorrection.weights(mode, EPS, RHO_BAR, new double[] {advantage}, new double[] {Math.log(rho)},
        new double[] {0.0});
  }

  @Test
  void weightsByHand() {
    for (double a : new double[] {-1.5, 0.7}) {
      for (double rho : new double[] {0.3, 0.9, 1.0, 1.1, 2.5}) {
        assertThat(weights(Correction.NONE, a, rho)[0]).isEqualTo(1.0);
        assertThat(weights(Correction.VTRACE, a, rho)[0]).isCloseTo(Math.min(rho, RHO_BAR), within(1e-12));
      }
    }
    // PPO: min(rho A, clip(rho, 0.8, 1.2) A) is the clipped constant, with zero gradient, exactly
    // when A > 0 and rho > 1.2 or A < 0 and rho < 0.8; elsewhere its gradient is A rho grad log pi.
    assertThat(weights(Correction.CLIPPED, 0.7, 2.5)[0]).isZero();
    assertThat(weights(Correction.CLIPPED, 0.7, 1.1)[0]).isCloseTo(1.1, within(1e-12));
    assertThat(weights(Correction.CLIPPED, 0.7, 0.3)[0]).isCloseTo(0.3, within(1e-12));
    assertThat(weights(Correction.CLIPPED, -1.5, 0.3)[0]).isZero();
    assertThat(weights(Correction.CLIPPED, -1.5, 0.9)[0]).isCloseTo(0.9, within(1e-12));
    assertThat(weights(Correction.CLIPPED, -1.5, 2.5)[0]).isCloseTo(2.5, within(1e-12));
  }

  @Test
  void samplesOfTheCurrentPolicyAreLeftExactlyAsTheyAre() {
    Random rng = new Random(5);
    double[] logp = new double[50];
    double[] adv = new double[50];
    for (int i = 0; i < logp.length; i++) {
      logp[i] = -3 * rng.nextDouble();
      adv[i] = rng.nextGaussian();
    }
    for (Correction mode : Correction.values()) {
      double[] a = adv.clone();
      OffPolicyCorrection c = new OffPolicyCorrection(mode, EPS, RHO_BAR);
      c.reweight(a, logp, logp.clone());
      assertThat(a).as("%s", mode).isEqualTo(adv);
      assertThat(c.lastStats()).isEqualTo(new OffPolicyCorrection.Stats(1.0, 1.0, 0.0));
    }
  }

  @Test
  void reweightsInPlaceAndCountsWhatItCorrected() {
    double[] adv = {1.0, 1.0, -1.0, 2.0};
    double[] logpOld = {0.0, 0.0, 0.0, 0.0};
    double[] logpNew = {Math.log(2.0), Math.log(0.5), Math.log(0.5), Math.log(1.1)};
    OffPolicyCorrection vtrace = new OffPolicyCorrection(Correction.VTRACE, EPS, RHO_BAR);
    double[] a = adv.clone();
    vtrace.reweight(a, logpNew, logpOld);
    assertThat(a).containsExactly(new double[] {1.0, 0.5, -0.5, 2.0}, within(1e-12));
    assertThat(vtrace.lastStats().rhoMean()).isCloseTo((2.0 + 0.5 + 0.5 + 1.1) / 4, within(1e-12));
    assertThat(vtrace.lastStats().rhoMax()).isCloseTo(2.0, within(1e-12));
    assertThat(vtrace.lastStats().correctedFraction()).isEqualTo(0.5); // rho 2.0 and 1.1 truncated to 1

    OffPolicyCorrection clipped = new OffPolicyCorrection(Correction.CLIPPED, EPS, RHO_BAR);
    a = adv.clone();
    clipped.reweight(a, logpNew, logpOld);
    assertThat(a).containsExactly(new double[] {0.0, 0.5, -0.0, 2.2}, within(1e-12));
    assertThat(clipped.lastStats().correctedFraction()).isEqualTo(0.5); // rows 0 and 2 are clipped

    assertThatThrownBy(() -> vtrace.reweight(new double[2], new double[2], new double[3]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 advantages but 2 new and 3 stored");
  }

  /**
   * For each row the loss -min(rho A, clip(rho, 1-eps, 1+eps) A), rho = softmax(z)_a / pi_old,
   * differentiated numerically in the logits z, against PolicyGradientLoss's gradient with labels
   * w * A * onehot(a) (entropy coefficient 0).
   */
  @Test
  void clippedWeightsGiveTheGradientOfPposClippedSurrogate() {
    Random rng = new Random(11);
    int rows = 40;
    int k = 3;
    INDArray z = Nd4j.zeros(DataType.DOUBLE, rows, k);
    int[] action = new int[rows];
    double[] adv = new double[rows];
    double[] logpOld = new double[rows];
    double[] logpNew = new double[rows];
    int clippedRows = 0;
    int unclippedRows = 0;
    for (int i = 0; i < rows; i++) {
      double[] zi = new double[k];
      for (int j = 0; j < k; j++) {
        zi[j] = 1.5 * rng.nextGaussian();
        z.putScalar(i, j, zi[j]);
      }
      action[i] = rng.nextInt(k);
      adv[i] = (i % 2 == 0 ? 1 : -1) * (0.2 + rng.nextDouble());
      logpNew[i] = logSoftmax(zi, action[i]);
      double rho;
      do { // ratios on both sides of the clip, away from its kinks at 1 +- eps
        rho = Math.exp(0.8 * rng.nextGaussian());
      } while (Math.abs(rho - (1 + EPS)) < 1e-3 || Math.abs(rho - (1 - EPS)) < 1e-3);
      logpOld[i] = logpNew[i] - Math.log(rho);
    }
    double[] w = OffPolicyCorrection.weights(Correction.CLIPPED, EPS, RHO_BAR, adv, logpNew, logpOld);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, k);
    for (int i = 0; i < rows; i++) {
      labels.putScalar(i, action[i], w[i] * adv[i]);
      if (w[i] == 0) {
        clippedRows++;
      } else {
        unclippedRows++;
      }
    }
    assertThat(clippedRows).as("rows where the clip is active").isGreaterThan(5);
    assertThat(unclippedRows).isGreaterThan(5);

    INDArray grad = new PolicyGradientLoss(0.0).computeGradient(labels, z.dup(), new ActivationSoftmax(), null);
    double h = 1e-6;
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < k; j++) {
        double[] zi = z.getRow(i).toDoubleVector();
        zi[j] += h;
        double plus = -surrogate(zi, action[i], adv[i], logpOld[i]);
        zi[j] -= 2 * h;
        double minus = -surrogate(zi, action[i], adv[i], logpOld[i]);
        double numeric = (plus - minus) / (2 * h);
        assertThat(grad.getDouble(i, j)).as("row %d, logit %d", i, j).isCloseTo(numeric, within(1e-7));
      }
    }
  }

  /** PPO's clipped surrogate of one row, to be maximised. */
  private static double surrogate(double[] z, int a, double adv, double logpOld) {
    double rho = Math.exp(logSoftmax(z, a) - logpOld);
    return Math.min(rho * adv, Math.max(1 - EPS, Math.min(1 + EPS, rho)) * adv);
  }

  private static double logSoftmax(double[] z, int a) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : z) {
      sum += Math.exp(v - max);
    }
    return z[a] - max - Math.log(sum);
  }
}
