package io.sparkac.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one running-moments type: hand-computed moments, Chan's merge against one pass, the variance form. */
class MomentsTest {
  @Test
  void momentsOfAFewValuesByHand() {
    // 1, 2, 3, 6: mean 3, squared deviations 4 + 1 + 0 + 9 = 14
    Moments m = Moments.of(new double[] {1, 2, 3, 6});
    assertThat(m.n()).isEqualTo(4);
    assertThat(m.mean()).isEqualTo(3);
    assertThat(m.m2()).isEqualTo(14);
    assertThat(m.variance()).isEqualTo(3.5);
    assertThat(m.sampleVariance()).isCloseTo(14 / 3.0, within(1e-15));
    // a sub-range: 2, 3 -> mean 2.5, m2 0.5
    assertThat(Moments.of(new double[] {1, 2, 3, 6}, 1, 3)).isEqualTo(new Moments(2, 2.5, 0.5));
  }

  @Test
  void mergingPiecesInOrderGivesTheMomentsOfAllValues() {
    Random rng = new Random(3);
    double[] v = new double[300];
    for (int i = 0; i < v.length; i++) {
      v[i] = 1e3 + 5 * rng.nextGaussian();
    }
    Moments all = Moments.of(v);
    Moments merged = Moments.of(v, 0, 1).plus(Moments.of(v, 1, 120)).plus(Moments.of(v, 120, 300));
    assertThat(merged.n()).isEqualTo(300);
    assertThat(merged.mean()).isCloseTo(all.mean(), within(1e-12 * all.mean()));
    assertThat(merged.m2()).isCloseTo(all.m2(), within(1e-9 * all.m2()));
    // merging an empty side changes nothing
    assertThat(all.plus(new Moments(0, 0, 0))).isEqualTo(all);
  }

  @Test
  void columnsOfARowMajorArrayAreTheMomentsOfEachColumnToTheBit() {
    Random rng = new Random(9);
    int rows = 50;
    float[] x = new float[rows * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (i % 3 * 10 + rng.nextGaussian());
    }
    Moments[] columns = Moments.ofColumns(x, 3, 10, 40);
    for (int k = 0; k < 3; k++) {
      double[] column = new double[30];
      for (int r = 10; r < 40; r++) {
        column[r - 10] = x[r * 3 + k];
      }
      assertThat(columns[k]).as("column %d", k).isEqualTo(Moments.of(column));
    }
  }

  @Test
  void theVarianceFormIsCountTimesVariance() {
    Moments m = Moments.ofVariance(1e-4, 0, 1);
    assertThat(m.m2()).isEqualTo(1e-4);
    assertThat(m.variance()).isEqualTo(1);
    // SB3's update_from_moments from the prior with one observation 5:
    // mean 5 / (1 + 1e-4), var (1e-4 + 25 * 1e-4 / (1 + 1e-4)) / (1 + 1e-4)
    Moments after = m.plus(Moments.ofVariance(1, 5, 0));
    assertThat(after.n()).isEqualTo(1 + 1e-4);
    assertThat(after.mean()).isCloseTo(5 / (1 + 1e-4), within(1e-12));
    assertThat(after.variance()).isCloseTo((1e-4 + 25 * 1e-4 / (1 + 1e-4)) / (1 + 1e-4), within(1e-15));
  }
}
