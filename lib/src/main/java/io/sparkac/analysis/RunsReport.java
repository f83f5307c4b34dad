package io.sparkac.analysis;

import io.sparkac.config.ConfigLoader;
import io.sparkac.run.RoundRecord;
import io.sparkac.storage.Storage;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The {@code report} job's charts and page for one or several runs, each run in its own colour
 * on every chart: learning curves against env steps and against wall time, the evaluation's
 * mean with a band of one standard deviation, the episode-length distribution of the last
 * rounds, time per round, env steps per second, the learner's figures and the action
 * frequencies. Built from {@link RunFigures}, without Spark. Driver only.
 */
public final class RunsReport {
  private RunsReport() {}

  public static final String WALL = "wall time since the run started (s)";

  /** The report: its charts by file name (without .png), and notes on what could not be drawn. */
  public record Report(Map<String, Chart<?, ?>> charts, List<String> notes) {}

  public static Report build(List<RunFigures> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("a report needs at least one run");
    }
    List<String> labels = labels(runs);
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    String which = runs.size() == 1 ? " of " + labels.get(0) : "";

    for (boolean wall : new boolean[] {false, true}) {
      XYChart c = Charts.xyChart("Learning curve" + which + (wall ? ", against wall time" : ""),
          wall ? WALL : Charts.ENV_STEPS, Charts.RETURN);
      for (int i = 0; i < runs.size(); i++) {
        RunFigures r = runs.get(i);
        double[] x = wall ? r.perRound(rr -> rr.phases().wallSeconds()) : r.perRound(rr -> rr.totals().envSteps());
        double[] mean = r.perRound(rr -> rr.episodes().episodeReturnMean());
        if (runs.size() == 1) { // one run: its training episodes' min..max as a band
          Charts.addBand(c, "training episodes: mean, band min..max", x, mean,
              r.perRound(rr -> rr.episodes().episodeReturnMin()), r.perRound(rr -> rr.episodes().episodeReturnMax()),
              Charts.runColor(i));
        } else {
          color(Charts.addLine(c, labels.get(i) + " training", x, mean), i);
        }
        double[] ex = r.evaluations().stream().mapToDouble(e -> wall ? e.wallSeconds() : e.envSteps()).toArray();
        double[] em = r.evaluations().stream().mapToDouble(RunFigures.Evaluation::mean).toArray();
        XYSeries eval = Charts.addLine(c, runs.size() == 1 ? "evaluation mean" : labels.get(i) + " evaluation", ex, em);
        if (eval != null) {
          eval.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
          eval.setMarker(SeriesMarkers.DIAMOND);
          eval.setMarkerColor(Charts.runColor(i));
        }
      }
      put(charts, notes, wall ? "learning-curve-wall-time" : "learning-curve", c,
          "no round has a finished training episode or an evaluation yet: there is no learning curve");
    }

    XYChart eval = Charts.xyChart("Evaluation" + which + ": mean return, band of one standard deviation",
        Charts.ENV_STEPS, Charts.RETURN);
    for (int i = 0; i < runs.size(); i++) {
      List<RunFigures.Evaluation> ev = runs.get(i).evaluations();
      double[] x = ev.stream().mapToDouble(RunFigures.Evaluation::envSteps).toArray();
      double[] m = ev.stream().mapToDouble(RunFigures.Evaluation::mean).toArray();
      double[] lo = ev.stream().mapToDouble(e -> e.mean() - e.std()).toArray();
      double[] hi = ev.stream().mapToDouble(e -> e.mean() + e.std()).toArray();
      Charts.addBand(eval, labels.get(i), x, m, lo, hi, Charts.runColor(i));
    }
    put(charts, notes, "evaluation", eval, "no round was evaluated: there is no evaluation chart");

    Map<String, double[]> lengths = new LinkedHashMap<>();
    List<RunFigures> withLengths = new ArrayList<>();
    String lengthTitle = "Episode lengths";
    for (int i = 0; i < runs.size(); i++) {
      RunFigures r = runs.get(i);
      int[] w = r.lengthRounds();
      String span = w[0] == w[1] ? "round " + w[0] : "rounds " + w[0] + ".." + w[1];
      if (r.episodeLengths().length > 0) {
        lengths.put(labels.get(i) + ": " + r.episodeLengths().length + " episodes that ended in " + span,
            r.episodeLengths());
        withLengths.add(r);
        if (runs.size() == 1) {
          lengthTitle = "Lengths of the " + r.episodeLengths().length + " training episodes that ended in " + span;
        }
      } else {
        notes.add(labels.get(i) + ": no training episode ended in " + span + ": it has no episode-length series");
      }
    }
    if (!lengths.isEmpty()) {
      if (runs.size() > 1) {
        lengthTitle = "Lengths of the training episodes that ended in each run's last rounds";
      }
      XYChart histogram = Charts.histogram(lengthTitle, "episode length (environment steps)", "episodes (count)",
          lengths, 40, true);
      int k = 0;
      for (XYSeries s : histogram.getSeriesMap().values()) {
        color(s, runs.indexOf(withLengths.get(k++)));
      }
      charts.put("episode-lengths", histogram);
    }

    perRound(charts, notes, runs, labels, "round-time", "Time per round" + which, "round",
        "round time (s)", rr -> rr.round(), rr -> rr.phases().roundSeconds());
    XYChart sps = Charts.xyChart("Environment steps per second of each round" + which, Charts.ENV_STEPS,
        "env steps per second (steps of the round / its time)");
    for (int i = 0; i < runs.size(); i++) {
      color(Charts.addLine(sps, labels.get(i), runs.get(i).perRound(rr -> rr.totals().envSteps()),
          runs.get(i).stepsPerSecond()), i);
    }
    put(charts, notes, "env-steps-per-second", sps, "no round has a time");
    ToDoubleFunction<RoundRecord> steps = rr -> rr.totals().envSteps();
    perRound(charts, notes, runs, labels, "value-loss", "Critic value loss before each update" + which,
        Charts.ENV_STEPS, "value loss (mean of (V(s) - target)^2, return^2)", steps, rr -> rr.losses().valueLoss());
    perRound(charts, notes, runs, labels, "policy-loss", "Actor policy loss before each update" + which,
        Charts.ENV_STEPS, "policy loss (-mean of A * log pi(a|s), return x nats)", steps,
        rr -> rr.losses().policyLoss());
    perRound(charts, notes, runs, labels, "entropy", "Policy entropy on the round's states" + which,
        Charts.ENV_STEPS, "entropy of pi(.|s) (nats)", steps, rr -> rr.losses().entropy());
    perRound(charts, notes, runs, labels, "explained-variance", "Explained variance of the critic" + which,
        Charts.ENV_STEPS, "explained variance, 1 - Var(y - V) / Var(y) (unitless)", steps,
        rr -> rr.losses().explainedVariance());

    XYChart actions = Charts.xyChart("Action frequencies of the training steps" + which, Charts.ENV_STEPS,
        "fraction of the round's steps (0..1)");
    for (int i = 0; i < runs.size(); i++) {
      RunFigures r = runs.get(i);
      Map<Integer, Long> stepsOf = new java.util.HashMap<>();
      r.rounds().forEach(rr -> stepsOf.put(rr.round(), rr.totals().envSteps()));
      double[] x = java.util.Arrays.stream(r.actionRounds()).mapToDouble(stepsOf::get).toArray();
      for (int a = 0; a < r.actionFractions().length; a++) {
        XYSeries s = Charts.addLine(actions, (runs.size() == 1 ? "" : labels.get(i) + ": ") + "action " + a, x,
            r.actionFractions()[a]);
        if (s != null && runs.size() > 1) {
          s.setLineColor(Charts.runColor(i));
          s.setMarkerColor(Charts.runColor(i));
        }
      }
    }
    put(charts, notes, "action-frequencies", actions, "no run has discrete actions: there is no action chart");
    return new Report(charts, notes);
  }

  /** Writes the charts as PNG and {@code index.html} into {@code dir}; returns the page's path. */
  public static Path write(Storage storage, List<RunFigures> runs, Path dir) {
    Report report = build(runs);
    // Drawing and encoding a chart takes about 0.1 s: the charts are drawn side by side.
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
          Thread t = new Thread(r, "report-chart");
          t.setDaemon(true);
          return t;
        });
    try {
      List<Map.Entry<String, Chart<?, ?>>> charts = new ArrayList<>(report.charts().entrySet());
      List<byte[]> pngs = RunFigures.all(pool, charts, c -> Charts.png(c.getValue()));
      for (int i = 0; i < charts.size(); i++) {
        byte[] png = pngs.get(i);
        storage.writeAtomically(new Path(dir, charts.get(i).getKey() + ".png"), out -> out.write(png));
      }
    } finally {
      pool.shutdownNow();
    }
    Path index = new Path(dir, "index.html");
    byte[] html = html(runs, new ArrayList<>(report.charts().keySet()), report.notes())
        .getBytes(StandardCharsets.UTF_8);
    storage.writeAtomically(index, out -> out.write(html));
    return index;
  }

  /** The runs' names on the charts: id and seed, with the folder when two runs would read the same. */
  public static List<String> labels(List<RunFigures> runs) {
    List<String> labels = new ArrayList<>();
    for (RunFigures r : runs) {
      labels.add(r.label());
    }
    if (labels.stream().distinct().count() < labels.size()) {
      for (int i = 0; i < runs.size(); i++) {
        labels.set(i, labels.get(i) + " " + new Path(runs.get(i).runDir()).getName());
      }
    }
    return labels;
  }

  private static void perRound(Map<String, Chart<?, ?>> charts, List<String> notes, List<RunFigures> runs,
      List<String> labels, String name, String title, String xTitle, String yTitle, ToDoubleFunction<RoundRecord> x,
      ToDoubleFunction<RoundRecord> y) {
    XYChart c = Charts.xyChart(title, xTitle, yTitle);
    for (int i = 0; i < runs.size(); i++) {
      color(Charts.addLine(c, labels.get(i), runs.get(i).perRound(x), runs.get(i).perRound(y)), i);
    }
    put(charts, notes, name, c, "every value is missing: there is no " + name + " chart");
  }

  private static void put(Map<String, Chart<?, ?>> charts, List<String> notes, String name, XYChart c, String why) {
    if (c.getSeriesMap().isEmpty()) {
      notes.add(why + ".");
    } else {
      charts.put(name, c);
    }
  }

  private static void color(XYSeries s, int i) {
    if (s != null) {
      s.setLineColor(Charts.runColor(i));
      s.setMarkerColor(Charts.runColor(i));
    }
  }

  static String html(List<RunFigures> runs, List<String> charts, List<String> notes) {
    List<String> labels = labels(runs);
    StringBuilder sb = new StringBuilder();
    String title = runs.size() == 1 ? "Run " + labels.get(0) : runs.size() + " runs";
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sparkac report: ")
        .append(escape(title)).append("</title>\n<style>body{font-family:sans-serif;max-width:1900px;margin:1em auto;"
            + "padding:0 1em}img{width:900px;max-width:100%;border:1px solid #ddd;margin:4px}"
            + "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}td,th{padding:2px 10px;text-align:left}"
            + "</style></head><body>\n");
    sb.append("<h1>").append(escape(title)).append("</h1>\n<table>\n<tr><th>run</th><th>folder</th><th>environment"
        + "</th><th>committed rounds</th><th>environment steps</th><th>training episodes</th><th>wall time</th>"
        + "<th>env steps/s</th><th>last evaluation</th></tr>\n");
    for (int i = 0; i < runs.size(); i++) {
      RunFigures r = runs.get(i);
      RoundRecord last = r.last();
      RunFigures.Evaluation e = r.evaluations().isEmpty() ? null : r.evaluations().get(r.evaluations().size() - 1);
      double wall = last.phases().wallSeconds();
      sb.append("<tr><td style=\"color:").append(hex(Charts.runColor(i))).append("\">").append(escape(labels.get(i)))
          .append("</td><td>").append(escape(r.runDir())).append("</td><td>").append(escape(r.config().env().id()))
          .append("</td><td>").append(r.rounds().get(0).round()).append("..").append(last.round())
          .append("</td><td>").append(String.format("%,d", last.totals().envSteps())).append("</td><td>")
          .append(String.format("%,d", last.totals().episodes())).append("</td><td>")
          .append(String.format("%.1f s", wall)).append("</td><td>")
          .append(wall > 0 ? String.format("%,.0f", last.totals().envSteps() / wall) : "-").append("</td><td>")
          .append(e == null ? "none" : String.format("round %d: %.2f &plusmn; %.2f (mean &plusmn; std of the return"
              + " over %d episodes%s)", e.round(), e.mean(), e.std(), e.episodes(),
              e.fromDisk() ? ", eval/ on disk" : ", the train job's greedy evaluation"))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    for (int i = 0; i < runs.size(); i++) {
      List<RunFigures.Evaluation> ev = runs.get(i).evaluations();
      List<Integer> disk = ev.stream().filter(RunFigures.Evaluation::fromDisk).map(RunFigures.Evaluation::round).toList();
      List<Integer> train = ev.stream().filter(e -> !e.fromDisk()).map(RunFigures.Evaluation::round).toList();
      if (!ev.isEmpty()) {
        sb.append("<p>").append(escape(labels.get(i))).append(": evaluation bands (mean &plusmn; std)")
            .append(disk.isEmpty() ? "" : " from the episodes in eval/ on disk for round" + (disk.size() == 1 ? " " : "s ")
                + disk.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")))
            .append(!disk.isEmpty() && !train.isEmpty() ? ";" : "")
            .append(train.isEmpty() ? "" : " from the train job's greedy evaluations (" + runs.get(i).config().eval()
                .episodes() + " episodes each, the manifest's mean and std) for round" + (train.size() == 1 ? " " : "s ")
                + train.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")))
            .append(".</p>\n");
      }
    }
    for (String note : notes) {
      sb.append("<p>").append(escape(note)).append("</p>\n");
    }
    sb.append("<div>\n");
    for (String c : charts) {
      sb.append("<img src=\"").append(c).append(".png\" alt=\"").append(c).append("\">\n");
    }
    sb.append("</div>\n");
    for (int i = 0; i < runs.size(); i++) {
      sb.append("<h2>Configuration of ").append(escape(labels.get(i))).append("</h2>\n<pre>")
          .append(escape(ConfigLoader.render(runs.get(i).config()))).append("</pre>\n");
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static String hex(Color c) {
    return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
