package io.sparkac.jobs;

import io.sparkac.analysis.Charts;
import io.sparkac.analysis.TrajectoryAnalysis;
import io.sparkac.config.ConfigLoader;
import io.sparkac.storage.Storage;
import io.sparkac.run.RoundRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.internal.chartpart.Chart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code report <run>}: reads the run's metrics and trajectories with Spark SQL (through
 * {@link TrajectoryAnalysis}) and writes {@code <run>/report/}: PNG charts of the learning curve,
 * the value and policy losses, the entropy, the explained variance, the action frequencies and the
 * episode-length distribution of the last round, and {@code index.html}, one page that shows them
 * with the run's configuration.
 */
@Command(name = "report", header = "Write a run's charts and an HTML page with its config.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Write <run-dir>/report/: PNG charts of the run (learning curve, losses, entropy, explained"
        + " variance, action frequencies, episode lengths) and an index.html with its config."},
    footer = {"%nExample:", "  report runs/cartpole"})
final class ReportJob implements Callable<Integer> {
  @Parameters(paramLabel = "<run-dir>", description = "the run folder")
  String runDir;

  @Override
  public Integer call() {
    SparkSession spark = Sessions.get("sparkac report " + runDir);
    Path index = write(spark, runDir);
    System.out.println("report: " + index);
    return 0;
  }

  /** Writes the report; returns the path of its {@code index.html}. */
  static Path write(SparkSession spark, String runDir) {
    TrajectoryAnalysis a = TrajectoryAnalysis.of(spark, runDir);
    String runId = a.config().run().id();
    spark.sparkContext().setJobDescription("report " + runId + ": round summaries");
    List<Row> rounds = a.roundSummaries().collectAsList();
    int n = rounds.size();
    double[] steps = column(rounds, "env_steps");
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    charts.put("learning-curve", Charts.learningCurve("Learning curve of " + runId, steps,
        column(rounds, "return_mean"), column(rounds, "return_min"), column(rounds, "return_max"), steps,
        column(rounds, "eval_return_mean")));
    charts.put("value-loss", Charts.lines("Critic value loss before each update", Charts.ENV_STEPS,
        "value loss (mean of (V(s) - target)^2, return^2)", steps,
        Charts.series("value loss", column(rounds, "value_loss"))));
    charts.put("policy-loss", Charts.lines("Actor policy loss before each update", Charts.ENV_STEPS,
        "policy loss (-mean of A * log pi(a|s), return x nats)", steps,
        Charts.series("policy loss", column(rounds, "policy_loss"))));
    charts.put("entropy", Charts.lines("Policy entropy on the round's states", Charts.ENV_STEPS,
        "entropy of pi(.|s) (nats)", steps, Charts.series("mean entropy", column(rounds, "entropy"))));
    charts.put("explained-variance", Charts.lines("Explained variance of the critic", Charts.ENV_STEPS,
        "explained variance, 1 - Var(y - V) / Var(y) (unitless)", steps,
        Charts.series("explained variance", column(rounds, "explained_variance"))));

    spark.sparkContext().setJobDescription("report " + runId + ": action frequencies");
    List<Row> freq = a.actionFrequencies().collectAsList();
    Map<String, double[]> byAction = new LinkedHashMap<>();
    freq.stream().map(r -> r.<Integer>getAs("action")).distinct().sorted().forEach(action -> {
      double[] f = new double[n];
      java.util.Arrays.fill(f, Double.NaN);
      for (Row r : freq) {
        if (r.<Integer>getAs("action") == action) {
          f[a.committedRounds().indexOf(r.<Integer>getAs("round"))] = r.<Double>getAs("fraction");
        }
      }
      byAction.put("action " + action, f);
    });
    charts.put("action-frequencies", Charts.lines("Action frequencies of the training steps", Charts.ENV_STEPS,
        "fraction of the round's steps (0..1)", steps, byAction));

    int lastWithEpisodes = -1;
    for (Row r : rounds) {
      if (r.<Integer>getAs("episodes") > 0) {
        lastWithEpisodes = r.<Integer>getAs("round");
      }
    }
    String lengthNote;
    if (lastWithEpisodes >= 0) {
      spark.sparkContext().setJobDescription("report " + runId + ": episode lengths of round " + lastWithEpisodes);
      double[] lengths = a.episodes().where("round = " + lastWithEpisodes).select("length").collectAsList()
          .stream().mapToDouble(r -> r.getInt(0)).toArray();
      charts.put("episode-lengths", Charts.histogram("Lengths of the " + lengths.length + " training episode"
              + (lengths.length == 1 ? "" : "s") + " that ended in round " + lastWithEpisodes
              + (lastWithEpisodes == a.lastRound() ? " (the last round)" : ""),
          "episode length (environment steps)", "episodes (count)", Charts.series("round " + lastWithEpisodes,
              lengths), 40, true));
      lengthNote = lastWithEpisodes == a.lastRound() ? ""
          : "No episode ended in the last round (" + a.lastRound() + "); the length chart shows round "
              + lastWithEpisodes + ".";
    } else {
      lengthNote = "No training episode has ended yet: there is no episode-length chart.";
    }

    spark.sparkContext().setJobDescription(null);
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    Path dir = a.layout().report();
    for (Map.Entry<String, Chart<?, ?>> c : charts.entrySet()) {
      Charts.write(c.getValue(), storage, new Path(dir, c.getKey() + ".png"));
    }
    Path index = new Path(dir, "index.html");
    byte[] html = html(a, new ArrayList<>(charts.keySet()), lengthNote).getBytes(StandardCharsets.UTF_8);
    storage.writeAtomically(index, out -> out.write(html));
    return index;
  }

  private static double[] column(List<Row> rows, String name) {
    double[] v = new double[rows.size()];
    for (int i = 0; i < v.length; i++) {
      Row r = rows.get(i);
      int f = r.fieldIndex(name);
      v[i] = r.isNullAt(f) ? Double.NaN : ((Number) r.get(f)).doubleValue();
    }
    return v;
  }

  static String html(TrajectoryAnalysis a, List<String> charts, String note) {
    RoundRecord last = a.rounds().get(a.rounds().size() - 1);
    RoundRecord lastEval = null;
    for (RoundRecord r : a.rounds()) {
      if (r.evaluated()) {
        lastEval = r;
      }
    }
    String id = escape(a.config().run().id());
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sparkac report: ").append(id)
        .append("</title>\n<style>body{font-family:sans-serif;max-width:1900px;margin:1em auto;padding:0 1em}"
            + "img{width:900px;max-width:100%;border:1px solid #ddd;margin:4px}"
            + "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}td,th{padding:2px 10px;text-align:left}"
            + "</style></head><body>\n");
    sb.append("<h1>Run ").append(id).append("</h1>\n<table>\n");
    row(sb, "folder", escape(a.layout().root().toString()));
    row(sb, "environment", escape(a.config().env().id()));
    row(sb, "committed rounds", a.rounds().get(0).round() + ".." + last.round());
    row(sb, "environment steps", String.format("%,d", last.totals().envSteps()));
    row(sb, "training episodes", String.format("%,d", last.totals().episodes()));
    row(sb, "wall time", String.format("%.1f s", last.phases().wallSeconds()));
    row(sb, "last greedy evaluation", lastEval == null ? "none" : String.format("round %d: %.2f &plusmn; %.2f "
        + "(mean &plusmn; std of the return over %d episodes)", lastEval.round(), lastEval.eval().evalReturnMean(),
        lastEval.eval().evalReturnStd(), a.config().eval().episodes()));
    sb.append("</table>\n");
    if (!note.isEmpty()) {
      sb.append("<p>").append(escape(note)).append("</p>\n");
    }
    sb.append("<div>\n");
    for (String c : charts) {
      sb.append("<img src=\"").append(c).append(".png\" alt=\"").append(c).append("\">\n");
    }
    sb.append("</div>\n<h2>Configuration</h2>\n<pre>").append(escape(ConfigLoader.render(a.config())))
        .append("</pre>\n</body></html>\n");
    return sb.toString();
  }

  private static void row(StringBuilder sb, String key, String value) {
    sb.append("<tr><th>").append(key).append("</th><td>").append(value).append("</td></tr>\n");
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
