package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.storage.Storage;
import io.sparkac.testing.SmallRuns;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.trajectory.TrajectoryReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train job's learning curve, {@code evaluate} and {@code report}, through {@link Main#run} on
 * the shared local[2] session, against one small run that the train job itself trains.
 */
class AnalysisJobsTest {
  @TempDir
  static Path tmp;
  static Path run;
  static String trainOutput;

  @BeforeAll
  static void trainWithTheTrainJob() throws IOException {
    SparkTestSession.get(); // the jobs' getOrCreate() then returns the shared session
    run = tmp.resolve("run");
    Path conf = tmp.resolve("small.conf");
    Files.writeString(conf, ConfigLoader.render(SmallRuns.config(run)));
    Captured c = capture("train", conf.toString());
    assertThat(c.status).as("train exit status; stderr: %s", c.err).isZero();
    trainOutput = c.out;
  }

  @Test
  void trainWritesTheLearningCurveAtTheEnd() throws IOException {
    Path png = run.resolve("report").resolve("learning-curve.png");
    assertThat(trainOutput).contains("learning curve: ").contains(png.toString());
    assertDrawnPng(png);
  }

  @Test
  void trainWritesTheLearningCurveWhenItStopsOnAnError() throws IOException {
    Path failing = tmp.resolve("failing");
    Path conf = tmp.resolve("failing.conf");
    // 128 steps per round: round 0 commits, and the reward turns NaN in round 1.
    Files.writeString(conf, ConfigLoader.render(SmallRuns.config(failing, "env.class=" + FailingLineWalk.class.getName())));
    FailingLineWalk.budget.set(200);
    try {
      Captured c = capture("train", conf.toString());
      assertThat(c.status).isEqualTo(1);
      assertThat(c.err).contains("reward of actor").contains("NaN");
      assertThat(c.err.lines().filter(l -> l.startsWith("error:")).toList()).singleElement().asString()
          .startsWith("error: train failed at round 1 (last committed round 0): round 1: reward of actor ");
    } finally {
      FailingLineWalk.budget.set(Long.MAX_VALUE);
    }
    assertThat(new Manifest(storage(), RunLayout.of(failing.toString())).committedRounds()).containsExactly(0);
    assertDrawnPng(failing.resolve("report").resolve("learning-curve.png"));
  }

  @Test
  void evaluateReproducesTheTrainJobsFinalEvaluationExactly() {
    RoundRecord last = new Manifest(storage(), RunLayout.of(run.toString())).read(2);
    assertThat(last.evaluated()).isTrue();

    Captured c = capture("evaluate", run.toString());
    assertThat(c.status).as("stderr: %s", c.err).isZero();
    EvaluateJob.Result r = EvaluateJob.evaluate(SparkTestSession.get(), run.toString(), null, null, true);
    assertThat(r.round()).isEqualTo(2);
    assertThat(r.summary().episodes()).isEqualTo(3);
    assertThat(r.summary().returnMean()).isEqualTo(last.eval().evalReturnMean());
    assertThat(r.summary().returnStd()).isEqualTo(last.eval().evalReturnStd());
    assertThat(r.summary().lengthMean()).isEqualTo(last.eval().evalLengthMean());
    assertThat(c.out).contains("round 2 (greedy, 3 episodes): return mean " + last.eval().evalReturnMean() + ", std "
        + last.eval().evalReturnStd());

    Dataset<Row> eval = SparkTestSession.get().read().parquet(run.resolve("eval").toString());
    assertThat(TrajectoryReader.mismatches(eval.schema())).isEmpty();
    assertThat(eval.where("not eval or round != 2 or policy_version != 3").count()).isZero();
    assertThat((double) eval.count()).isEqualTo(3 * r.summary().lengthMean());
    assertThat(eval.groupBy("episode_id").sum("reward").collectAsList())
        .extracting(row -> row.getDouble(1)).allSatisfy(ret -> assertThat(ret).isBetween(r.summary().returnMin(),
            r.summary().returnMax()));

    // An earlier round, more episodes, stochastic: another figure, and the folder of that round.
    EvaluateJob.Result s = EvaluateJob.evaluate(SparkTestSession.get(), run.toString(), 1, 7, false);
    assertThat(s.summary().episodes()).isEqualTo(7);
    assertThat(s.trajectories()).endsWith("eval/round=1");
    assertThat(SparkTestSession.get().read().parquet(s.trajectories()).select("episode_id").distinct().count())
        .isEqualTo(7);
  }

  @Test
  void evaluateNamesWhatIsWrongWithItsArguments() {
    assertThat(capture("evaluate", run.toString(), "--round", "9")).satisfies(c -> {
      assertThat(c.status).isEqualTo(2);
      assertThat(c.err).contains("--round 9 is not a committed round").contains("0..2");
    });
    assertThat(capture("evaluate", run.toString(), "--greedy", "--stochastic").err)
        .contains("--greedy and --stochastic exclude each other");
    assertThat(capture("evaluate", run.toString(), "--episodes", "0").err).contains("--episodes = 0: must be >= 1");
    assertThat(capture("evaluate", run.toString(), "--episodes", "many").err)
        .contains("--episodes = many: not a whole number");
    boolean evaluated = Files.exists(run.resolve("eval").resolve("round=2"));
    assertThat(capture("evaluate", run.toString(), "--episodes", "1000000000")).satisfies(c -> {
      assertThat(c.status).as("stderr: %s", c.err).isEqualTo(2);
      assertThat(c.err).startsWith("error: eval.episodes = 1000000000, rollout.partitions = 2: an evaluation task's"
          + " up to 250,000,000,000 recorded steps (episodes of up to 500 steps) would need arrays of");
    });
    assertThat(Files.exists(run.resolve("eval").resolve("round=2"))).as("the round's evaluation is left as it was")
        .isEqualTo(evaluated);
    assertThat(capture("evaluate", run.toString(), "--episodes", "200000").err).startsWith("error: eval.episodes ="
        + " 200000, rollout.partitions = 2: an evaluation task needs about ");
    assertThat(capture("evaluate").err).contains("the run folder is required");
    assertThat(capture("evaluate", tmp.resolve("nothing").toString()).err).contains("has no committed round");
  }

  @Test
  void reportWritesItsChartsAndOnePageWithTheConfig() throws IOException {
    Captured c = capture("report", run.toString());
    assertThat(c.status).as("stderr: %s", c.err).isZero();
    Path report = run.resolve("report");
    List<String> charts = ReportJobTest.CHARTS;
    for (String chart : charts) {
      assertDrawnPng(report.resolve(chart + ".png"));
    }
    String html = Files.readString(report.resolve("index.html"));
    for (String chart : charts) {
      assertThat(html).contains("<img src=\"" + chart + ".png\"");
    }
    assertThat(html).contains("<h1>Run test (seed 1)</h1>").contains("CartPole-v1").contains("actors=4")
        .contains("round 2: ");
    assertThat(capture("report").status).isEqualTo(2);
  }

  static void assertDrawnPng(Path png) throws IOException {
    assertThat(png).isRegularFile();
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(900);
    assertThat(img.getHeight()).isEqualTo(500);
    long colours = Arrays.stream(img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth()))
        .distinct().count();
    assertThat(colours).as("%s is a drawn chart, not a blank image", png).isGreaterThan(20);
  }

  static Storage storage() {
    return new Storage(SparkTestSession.get().sparkContext().hadoopConfiguration());
  }

  @Test
  void evaluateNamesAChangedCheckpointFileAndItsRound() throws IOException {
    Path copy = tmp.resolve("changed");
    RunFolderSafetyTest.copyTree(run, copy);
    Path actor = copy.resolve("checkpoints/round=2/actor.zip");
    byte[] bytes = Files.readAllBytes(actor);
    bytes[bytes.length / 2] ^= 1;
    Files.write(actor, bytes);

    Captured c = capture("evaluate", copy.toString());

    assertThat(c.status).as("stderr: %s", c.err).isEqualTo(2);
    assertThat(c.err).startsWith("error: committed round 2 of " + copy + " is damaged: checkpoints/round=2/actor.zip"
        + " has CRC32C ");
  }

  record Captured(int status, String out, String err) {}

  /** Runs a job through {@link Main#run}, capturing what it prints. */
  static synchronized Captured capture(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int status = Main.run(args);
      return new Captured(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
