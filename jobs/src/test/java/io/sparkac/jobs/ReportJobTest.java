package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.analysis.RunFigures;
import io.sparkac.analysis.RunsReport;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import io.sparkac.testing.SmallRuns;
import io.sparkac.testing.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * The report of several runs: two small CartPole runs of different seeds (and lengths), one with
 * an evaluation written to disk by the evaluate job.
 */
class ReportJobTest {
  static final List<String> CHARTS = List.of("learning-curve", "learning-curve-wall-time", "evaluation",
      "episode-lengths", "round-time", "env-steps-per-second", "value-loss", "policy-loss", "entropy",
      "explained-variance", "action-frequencies");
  @TempDir
  static Path tmp;
  static Path runA;
  static Path runB;
  static EvaluateJob.Result evaluated;

  @BeforeAll
  static void trainTwoRuns() {
    runA = tmp.resolve("run-a");
    runB = tmp.resolve("run-b");
    SmallRuns.train(runA, "run.id=seed-1", "run.seed=1", "run.total-steps=640");
    SmallRuns.train(runB, "run.id=seed-2", "run.seed=2");
    // Round 2 of run A: 7 stochastic episodes on disk, in eval/round=2/.
    evaluated = EvaluateJob.evaluate(SparkTestSession.get(), runA.toString(), 2, 7, false);
  }

  static Storage storage() {
    return new Storage(SparkTestSession.get().sparkContext().hadoopConfiguration());
  }

  @Test
  void twoRunsGiveEveryChartOverlaidAndOnePageThatNamesBoth() throws Exception {
    Path out = tmp.resolve("compare");
    AnalysisJobsTest.Captured c = AnalysisJobsTest.capture("report", runA.toString(), runB.toString(), "--out",
        out.toString());
    assertThat(c.status()).as("stderr: %s", c.err()).isZero();
    assertThat(c.out()).contains("report: " + out.resolve("index.html"));
    try (var files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted().toList())
          .containsExactlyInAnyOrderElementsOf(CHARTS.stream().map(n -> n + ".png").toList());
    }
    for (String chart : CHARTS) {
      AnalysisJobsTest.assertDrawnPng(out.resolve(chart + ".png"));
    }
    String html = Files.readString(out.resolve("index.html"));
    assertThat(html).contains("<h1>2 runs</h1>").contains("seed-1 (seed 1)").contains("seed-2 (seed 2)")
        .contains(runA.toString()).contains(runB.toString()).contains("Configuration of seed-2 (seed 2)")
        .contains("from the episodes in eval/ on disk for round 2; from the train job's greedy evaluations (3"
            + " episodes each, the manifest's mean and std) for rounds 1, 3, 4.");
    for (String chart : CHARTS) {
      assertThat(html).contains("<img src=\"" + chart + ".png\"");
    }
    assertThat(runA.resolve("report").resolve("index.html")).as("--out: the runs' own folders untouched")
        .doesNotExist();
  }

  @Test
  void theChartsHoldEachRunsFigures() {
    RunFigures a = RunFigures.read(storage(), runA.toString());
    RunFigures b = RunFigures.read(storage(), runB.toString());
    RunsReport.Report report = RunsReport.build(List.of(a, b));
    assertThat(report.charts().keySet()).containsExactlyElementsOf(CHARTS);
    assertThat(report.notes()).isEmpty();

    // One line per run on the per-round charts, with the manifest's figures.
    List<RoundRecord> rounds = new Manifest(storage(), RunLayout.of(runA.toString())).readAll();
    assertThat(rounds).hasSize(5);
    XYChart time = (XYChart) report.charts().get("round-time");
    assertThat(time.getSeriesMap().keySet()).containsExactly("seed-1 (seed 1)", "seed-2 (seed 2)");
    XYSeries roundTime = time.getSeriesMap().get("seed-1 (seed 1)");
    assertThat(roundTime.getYData()).containsExactly(rounds.stream().mapToDouble(r -> r.phases().roundSeconds())
        .toArray());
    double[] sps = a.stepsPerSecond();
    for (int i = 0; i < rounds.size(); i++) {
      assertThat(sps[i]).isCloseTo(128 / rounds.get(i).phases().roundSeconds(), within(1e-9));
    }

    // Evaluations: round 2 from the 7 episodes on disk, the train job's greedy one elsewhere.
    RunFigures.Evaluation onDisk = a.evaluations().stream().filter(e -> e.round() == 2).findFirst().orElseThrow();
    assertThat(onDisk.fromDisk()).isTrue();
    assertThat(onDisk.episodes()).isEqualTo(7);
    assertThat(onDisk.mean()).isCloseTo(evaluated.summary().returnMean(), within(1e-9));
    assertThat(onDisk.std()).isCloseTo(evaluated.summary().returnStd(), within(1e-9));
    RoundRecord last = rounds.get(4);
    assertThat(a.evaluations()).filteredOn(e -> e.round() == 4).singleElement().satisfies(e -> {
      assertThat(e.fromDisk()).isFalse();
      assertThat(e.mean()).isEqualTo(last.eval().evalReturnMean());
      assertThat(e.std()).isEqualTo(last.eval().evalReturnStd());
    });
    XYChart eval = (XYChart) report.charts().get("evaluation");
    assertThat(eval.getSeriesMap().keySet()).contains("seed-1 (seed 1)", "seed-2 (seed 2)");

    // Episode lengths: every episode that ended in the window, as Spark SQL counts them.
    int[] w = a.lengthRounds();
    assertThat(w[1]).isEqualTo(4);
    long endedInManifest = rounds.stream().filter(r -> r.round() >= w[0])
        .mapToLong(r -> r.episodes().episodesInRound()).sum();
    assertThat(a.episodeLengths()).hasSize((int) endedInManifest);
    List<Row> lengths = SparkTestSession.get().read().parquet(runA.resolve("trajectories").toString())
        .where("(terminated or truncated) and round >= " + w[0]).selectExpr("t + 1").collectAsList();
    double[] expected = lengths.stream().mapToDouble(r -> r.getInt(0)).sorted().toArray();
    double[] actual = a.episodeLengths().clone();
    Arrays.sort(actual);
    assertThat(actual).containsExactly(expected);
    assertThat(a.episodeLengths().length).as("more than one episode").isGreaterThan(1);

    // Action frequencies: each sampled round's fractions sum to 1.
    assertThat(a.actionRounds()).containsExactly(0, 1, 2, 3, 4);
    for (int k = 0; k < a.actionRounds().length; k++) {
      double sum = 0;
      for (double[] f : a.actionFractions()) {
        sum += f[k];
      }
      assertThat(sum).isCloseTo(1.0, within(1e-12));
    }
  }

  @Test
  void aContinuousRunHasNoActionChartAndThePageSaysWhy() throws Exception {
    Path pendulum = tmp.resolve("pendulum");
    SmallRuns.train(pendulum, "env.id=Pendulum-v1", "run.total-steps=256");
    RunFigures p = RunFigures.read(storage(), pendulum.toString());
    assertThat(p.actionRounds()).isEmpty();
    assertThat(p.actionFractions()).isEmpty();
    RunsReport.Report both = RunsReport.build(List.of(p, RunFigures.read(storage(), runB.toString())));
    assertThat(both.charts()).containsKey("action-frequencies"); // run B's
    AnalysisJobsTest.Captured c = AnalysisJobsTest.capture("report", pendulum.toString());
    assertThat(c.status()).as("stderr: %s", c.err()).isZero();
    assertThat(pendulum.resolve("report").resolve("action-frequencies.png")).doesNotExist();
    assertThat(Files.readString(pendulum.resolve("report").resolve("index.html")))
        .contains("no run has discrete actions: there is no action chart.");
  }

  @Test
  void oneRunGoesToItsOwnReportFolderAndBadFoldersAreNamed() throws Exception {
    AnalysisJobsTest.Captured c = AnalysisJobsTest.capture("report", runB.toString());
    assertThat(c.status()).as("stderr: %s", c.err()).isZero();
    assertThat(Files.readString(runB.resolve("report").resolve("index.html"))).contains("<h1>Run seed-2 (seed 2)</h1>");
    AnalysisJobsTest.Captured missing = AnalysisJobsTest.capture("report", runA.toString(),
        tmp.resolve("nothing").toString(), "--out", tmp.resolve("never").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("run folder " + tmp.resolve("nothing") + " has no committed round");
    assertThat(tmp.resolve("never")).doesNotExist();
    assertThat(AnalysisJobsTest.capture("report").err()).contains("at least one run folder is required");
  }
}
