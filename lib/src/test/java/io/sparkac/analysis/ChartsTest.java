package io.sparkac.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** The charts' data, axes and encoding, without Spark. */
class ChartsTest {
  static final double NaN = Double.NaN;

  @Test
  void learningCurveLeavesOutRoundsWithoutEpisodesAndDrawsTheBandAroundTheMean() throws IOException {
    XYChart c = Charts.learningCurve("curve", new double[] {100, 200, 300}, new double[] {10, NaN, 30},
        new double[] {5, NaN, 20}, new double[] {15, NaN, 40}, new double[] {100, 200, 300},
        new double[] {NaN, 25, NaN});
    assertThat(c.getXAxisTitle()).isEqualTo("environment steps");
    assertThat(c.getYAxisTitle()).isEqualTo("return (sum of rewards per episode)");
    XYSeries mean = c.getSeriesMap().get("mean of training episodes");
    assertThat(mean.getXData()).containsExactly(100.0, 300.0);
    assertThat(mean.getYData()).containsExactly(10.0, 30.0);
    // The band's polygon: along the maxima, then back along the minima.
    XYSeries band = c.getSeriesMap().get("min..max of training episodes");
    assertThat(band.getXData()).containsExactly(100.0, 300.0, 300.0, 100.0);
    assertThat(band.getYData()).containsExactly(15.0, 40.0, 20.0, 5.0);
    XYSeries eval = c.getSeriesMap().get("greedy evaluation mean");
    assertThat(eval.getXData()).containsExactly(200.0);
    assertThat(eval.getYData()).containsExactly(25.0);

    BufferedImage png = ImageIO.read(new ByteArrayInputStream(Charts.png(c)));
    assertThat(png.getWidth()).isEqualTo(900);
    assertThat(png.getHeight()).isEqualTo(500);
    assertThat(distinctColours(png)).as("a drawn chart, not a blank image").isGreaterThan(20);
  }

  @Test
  void aChartWithNothingToDrawIsAnError() {
    double[] none = {NaN, NaN};
    assertThatThrownBy(() -> Charts.learningCurve("empty curve", new double[] {1, 2}, none, none, none,
        new double[] {1, 2}, none))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty curve");
    assertThatThrownBy(() -> Charts.lines("empty lines", "x (unit)", "y (unit)", new double[] {1, 2},
        Charts.series("a", none)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty lines");
    assertThatThrownBy(() -> Charts.histogram("empty histogram", "x", "count", Charts.series("a", none), 10, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty histogram");
  }

  @Test
  void histogramCountsEveryValueOnceOverCommonBins() {
    double[] a = {1, 2, 2, 3, 10};
    double[] b = {5, 5, 5};
    XYChart c = Charts.histogram("h", "length (steps)", "episodes", Charts.series("a", a, "b", b), 100, true);
    for (var e : Charts.series("a", a, "b", b).entrySet()) {
      XYSeries s = c.getSeriesMap().get(e.getKey());
      double[] y = s.getYData();
      double total = 0;
      for (int i = 0; i < y.length; i += 2) {
        total += y[i];
      }
      assertThat(total).isEqualTo(e.getValue().length);
      // Integer bins of width 1 from 1 to 11: value v falls in the bin whose left edge is v.
      double[] x = s.getXData();
      assertThat(x[0]).isEqualTo(1.0);
      assertThat(x[x.length - 1]).isEqualTo(11.0);
    }
    XYSeries s = c.getSeriesMap().get("a");
    assertThat(s.getYData()[2]).as("bin [2, 3)").isEqualTo(2.0);
  }

  @Test
  void linesLeaveOutNaNAndBarsKeepTheirCategories() {
    XYChart l = Charts.lines("l", "environment steps", "entropy (nats)", new double[] {1, 2, 3},
        Charts.series("entropy", new double[] {0.6, NaN, 0.5}));
    assertThat(l.getSeriesMap().get("entropy").getXData()).containsExactly(1.0, 3.0);
    CategoryChart b = Charts.bars("b", "estimator", "std of advantages", List.of("TD(0)", "MC"),
        Charts.series("std", new double[] {1, 2}));
    assertThat(b.getSeriesMap().get("std").getXData().stream().map(Object::toString).toList())
        .containsExactly("TD(0)", "MC");
    assertThat(b.getSeriesMap().get("std").getYData().stream().map(Number::doubleValue).toList())
        .containsExactly(1.0, 2.0);
  }

  static long distinctColours(BufferedImage img) {
    return Arrays.stream(img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth()))
        .distinct().count();
  }
}
