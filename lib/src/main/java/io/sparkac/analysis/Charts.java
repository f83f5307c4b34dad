package io.sparkac.analysis;

import io.sparkac.storage.Storage;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The charts of a run, drawn with XChart: the learning curve, per-round learner figures,
 * distributions and bar charts. Every axis says what it measures and in which unit. The
 * {@code report} job writes them as PNG, the train job writes its learning curve, and the
 * notebooks display them. Driver only.
 */
public final class Charts {
  static {
    // Charts are drawn off-screen; never try to open a display (a job or a kernel has none).
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final String ENV_STEPS = "environment steps";
  public static final String RETURN = "return (sum of rewards per episode)";
  private static final int WIDTH = 900;
  private static final int HEIGHT = 500;
  private static final Color BAND = new Color(31, 119, 180, 60);
  private static final Color MEAN = new Color(31, 119, 180);
  private static final Color EVAL = new Color(214, 39, 40);

  private Charts() {}

  /**
   * Return against environment steps: the mean return of the training episodes that ended in
   * each round, with a band from the round's minimum to its maximum, and the greedy evaluation's
   * mean where there is one. Rounds in which no episode ended (NaN) are left out.
   */
  public static XYChart learningCurve(String title, double[] envSteps, double[] mean, double[] min, double[] max,
      double[] evalSteps, double[] evalMean) {
    XYChart chart = xy(title, ENV_STEPS, RETURN);
    double[][] m = finite(envSteps, mean, min, max);
    if (m[0].length > 0) {
      double[][] polygon = polygon(m);
      XYSeries band = chart.addSeries("min..max of training episodes", polygon[0], polygon[1]);
      band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
      band.setFillColor(BAND);
      band.setLineColor(BAND);
      band.setMarker(SeriesMarkers.NONE);
      XYSeries line = chart.addSeries("mean of training episodes", m[0], m[1]);
      line.setLineColor(MEAN);
      line.setMarker(m[0].length > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
      line.setMarkerColor(MEAN);
    }
    double[][] e = finite(evalSteps, evalMean);
    if (e[0].length > 0) {
      XYSeries eval = chart.addSeries("greedy evaluation mean", e[0], e[1]);
      eval.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      eval.setMarker(SeriesMarkers.DIAMOND);
      eval.setMarkerColor(EVAL);
    }
    requireSeries(chart, title, "no round has a finished training episode or an evaluation yet");
    return chart;
  }

  /** The learning curve from the manifest alone (no Spark): what the train job writes. */
  public static XYChart learningCurve(String title, List<RoundRecord> rounds) {
    int n = rounds.size();
    double[] x = new double[n];
    double[] mean = new double[n];
    double[] min = new double[n];
    double[] max = new double[n];
    double[] eval = new double[n];
    for (int i = 0; i < n; i++) {
      RoundRecord r = rounds.get(i);
      x[i] = r.totals().envSteps();
      mean[i] = r.episodes().episodeReturnMean();
      min[i] = r.episodes().episodeReturnMin();
      max[i] = r.episodes().episodeReturnMax();
      eval[i] = r.eval().evalReturnMean();
    }
    return learningCurve(title, x, mean, min, max, x, eval);
  }

  /**
   * Writes {@code <run>/report/learning-curve.png} from the run's manifest, when at least one round
   * is committed; returns the file, or null when there is nothing to draw yet.
   */
  public static Path writeLearningCurve(Storage storage, RunLayout layout, String runId) {
    List<RoundRecord> rounds = new Manifest(storage, layout).readAll();
    boolean drawable = rounds.stream().anyMatch(r -> !Double.isNaN(r.episodes().episodeReturnMean()) || r.evaluated());
    if (!drawable) {
      return null;
    }
    Path file = new Path(layout.report(), "learning-curve.png");
    write(learningCurve("Learning curve of " + runId + " (rounds 0.." + rounds.get(rounds.size() - 1).round() + ")",
        rounds), storage, file);
    return file;
  }

  /** Lines against a shared x axis, one per entry of {@code series}; NaN points are left out. */
  public static XYChart lines(String title, String xTitle, String yTitle, double[] x, Map<String, double[]> series) {
    XYChart chart = xy(title, xTitle, yTitle);
    for (Map.Entry<String, double[]> s : series.entrySet()) {
      addLine(chart, s.getKey(), x, s.getValue());
    }
    requireSeries(chart, title, "every value is NaN");
    return chart;
  }

  /**
   * Adds a line to a chart, leaving out NaN points (e.g. a second run's curve on another run's
   * chart); returns the series, or null when every point is NaN.
   */
  public static XYSeries addLine(XYChart chart, String name, double[] x, double[] y) {
    double[][] f = finite(x, y);
    if (f[0].length == 0) {
      return null;
    }
    XYSeries line = chart.addSeries(name, f[0], f[1]);
    line.setMarker(f[0].length > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
    return line;
  }

  /** An empty XY chart with the report's style, for {@link #addLine} and {@link #addBand}. */
  public static XYChart xyChart(String title, String xTitle, String yTitle) {
    return xy(title, xTitle, yTitle);
  }

  /** The colour of the i-th run in charts that overlay runs (matplotlib's tab10, repeated). */
  public static Color runColor(int i) {
    return PALETTE[Math.floorMod(i, PALETTE.length)];
  }

  private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
      new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
      new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

  /**
   * Adds a line of {@code mean} with a translucent band from {@code low} to {@code high} around
   * it, both in {@code color}; points where any value is NaN are left out. Returns the line, or
   * null when no point is finite.
   */
  public static XYSeries addBand(XYChart chart, String name, double[] x, double[] mean, double[] low, double[] high,
      Color color) {
    double[][] m = finite(x, mean, low, high);
    if (m[0].length == 0) {
      return null;
    }
    double[][] polygon = polygon(m);
    Color translucent = new Color(color.getRed(), color.getGreen(), color.getBlue(), 50);
    XYSeries band = chart.addSeries(name + " (band)", polygon[0], polygon[1]);
    band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
    band.setFillColor(translucent);
    band.setLineColor(translucent);
    band.setMarker(SeriesMarkers.NONE);
    band.setShowInLegend(false);
    XYSeries line = chart.addSeries(name, m[0], m[1]);
    line.setLineColor(color);
    line.setMarkerColor(color);
    line.setMarker(m[0].length > 40 ? SeriesMarkers.NONE : SeriesMarkers.DIAMOND);
    return line;
  }

  /**
   * The outline of a band, for a polygon-area series: along {@code m[3]} (high) forward in x, then
   * back along {@code m[2]} (low); {@code m[0]} holds x.
   */
  private static double[][] polygon(double[][] m) {
    double[] bx = new double[2 * m[0].length];
    double[] by = new double[2 * m[0].length];
    for (int i = 0; i < m[0].length; i++) {
      bx[i] = m[0][i];
      by[i] = m[3][i];
      bx[bx.length - 1 - i] = m[0][i];
      by[by.length - 1 - i] = m[2][i];
    }
    return new double[][] {bx, by};
  }

  /**
   * Histograms over common bins, one step line per sample: the count of values per bin. With
   * {@code integerBins}, each bin holds whole numbers (e.g. episode lengths).
   */
  public static XYChart histogram(String title, String xTitle, String yTitle, Map<String, double[]> samples,
      int bins, boolean integerBins) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] s : samples.values()) {
      for (double v : s) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (lo > hi) {
      throw new IllegalArgumentException("chart '" + title + "': no finite value to draw");
    }
    if (integerBins) {
      lo = Math.floor(lo);
      hi = Math.floor(hi) + 1;
      bins = (int) Math.max(1, Math.min(bins, hi - lo));
    } else if (hi == lo) {
      lo -= 0.5;
      hi += 0.5;
    }
    double width = (hi - lo) / bins;
    if (integerBins) {
      width = Math.ceil(width);
      bins = (int) Math.ceil((hi - lo) / width);
    }
    XYChart chart = xy(title, xTitle, yTitle);
    for (Map.Entry<String, double[]> s : samples.entrySet()) {
      double[] counts = new double[bins];
      for (double v : s.getValue()) {
        if (Double.isFinite(v)) {
          counts[(int) Math.min(bins - 1, Math.floor((v - lo) / width))]++;
        }
      }
      // A step outline: each bin is a flat segment from its left edge to its right edge.
      double[] x = new double[2 * bins];
      double[] y = new double[2 * bins];
      for (int b = 0; b < bins; b++) {
        x[2 * b] = lo + b * width;
        x[2 * b + 1] = lo + (b + 1) * width;
        y[2 * b] = counts[b];
        y[2 * b + 1] = counts[b];
      }
      XYSeries series = chart.addSeries(s.getKey(), x, y);
      series.setMarker(SeriesMarkers.NONE);
      if (samples.size() == 1) {
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
      }
      series.setLineStyle(new BasicStroke(2f));
    }
    // Counts start at 0 (an area fills down to the axis), and one empty bin either side keeps a
    // single bar from filling the whole plot.
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setXAxisMin(lo - width);
    chart.getStyler().setXAxisMax(lo + (bins + 1) * width);
    return chart;
  }

  /** Grouped bars: one group per category, one bar per entry of {@code series}. */
  public static CategoryChart bars(String title, String xTitle, String yTitle, List<String> categories,
      Map<String, double[]> series) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
        .yAxisTitle(yTitle).build();
    style(chart.getStyler());
    for (Map.Entry<String, double[]> s : series.entrySet()) {
      List<Double> values = new ArrayList<>();
      for (double v : s.getValue()) {
        values.add(v);
      }
      chart.addSeries(s.getKey(), categories, values);
    }
    if (series.isEmpty()) {
      throw new IllegalArgumentException("chart '" + title + "': no series to draw");
    }
    return chart;
  }

  /** An ordered map for the series arguments, in the order given: name, values, name, values, ... */
  public static Map<String, double[]> series(Object... nameThenValues) {
    Map<String, double[]> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < nameThenValues.length; i += 2) {
      m.put((String) nameThenValues[i], (double[]) nameThenValues[i + 1]);
    }
    return m;
  }

  /** The chart as an image (what a notebook displays). */
  public static BufferedImage image(Chart<?, ?> chart) {
    return BitmapEncoder.getBufferedImage(chart);
  }

  /** The chart as PNG bytes. */
  public static byte[] png(Chart<?, ?> chart) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode chart '" + chart.getTitle() + "' as PNG", e);
    }
  }

  /** Writes the chart as a PNG file, atomically, on any Hadoop file system. */
  public static void write(Chart<?, ?> chart, Storage storage, Path file) {
    byte[] bytes = png(chart);
    storage.writeAtomically(file, out -> out.write(bytes));
  }

  private static XYChart xy(String title, String xTitle, String yTitle) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
        .yAxisTitle(yTitle).build();
    style(chart.getStyler());
    chart.getStyler().setXAxisDecimalPattern("#,###.##");
    return chart;
  }

  private static void style(Styler s) {
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
  }

  private static void requireSeries(XYChart chart, String title, String why) {
    if (chart.getSeriesMap().isEmpty()) {
      throw new IllegalArgumentException("chart '" + title + "' has nothing to draw: " + why);
    }
  }

  /** The points where every array is finite, as arrays of the same order. */
  private static double[][] finite(double[] x, double[]... ys) {
    int n = 0;
    boolean[] keep = new boolean[x.length];
    for (int i = 0; i < x.length; i++) {
      boolean ok = Double.isFinite(x[i]);
      for (double[] y : ys) {
        ok &= Double.isFinite(y[i]);
      }
      keep[i] = ok;
      n += ok ? 1 : 0;
    }
    double[][] out = new double[ys.length + 1][n];
    int j = 0;
    for (int i = 0; i < x.length; i++) {
      if (keep[i]) {
        out[0][j] = x[i];
        for (int k = 0; k < ys.length; k++) {
          out[k + 1][j] = ys[k][i];
        }
        j++;
      }
    }
    return out;
  }
}
