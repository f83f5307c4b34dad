package io.sparkac.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.advantage.Advantages;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.MlpForward;
import io.sparkac.nn.MlpWeights;
import io.sparkac.rollout.EvalOutput;
import io.sparkac.rollout.EvalTask;
import io.sparkac.rollout.Rollout;
import io.sparkac.storage.Storage;
import io.sparkac.testing.SmallRuns;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.run.Checkpoints;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.train.TrainResult;
import io.sparkac.trajectory.RowBatch;
import io.sparkac.trajectory.TrajectoryReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysis facade on one tiny CartPole run (3 rounds of 128 steps) with a stray uncommitted round. */
class TrajectoryAnalysisTest {
  @TempDir
  static Path tmp;
  static Path run;
  static TrainResult result;
  static TrajectoryAnalysis analysis;

  @BeforeAll
  static void trainAndLeaveAnUncommittedRound() throws IOException {
    run = tmp.resolve("run");
    result = SmallRuns.train(run);
    // What a run killed in round 3 leaves: its trajectories, but no manifest entry.
    Path committed = run.resolve("trajectories").resolve("round=2");
    Path stray = Files.createDirectories(run.resolve("trajectories").resolve("round=3"));
    try (Stream<Path> files = Files.list(committed)) {
      for (Path f : files.toList()) {
        Files.copy(f, stray.resolve(f.getFileName()));
      }
    }
    analysis = TrajectoryAnalysis.of(SparkTestSession.get(), run.toString());
  }

  @Test
  void readsOnlyCommittedRounds() {
    assertThat(analysis.committedRounds()).containsExactly(0, 1, 2);
    assertThat(analysis.trajectories().count()).isEqualTo(384);
    assertThat(analysis.trajectories().select("round").distinct().orderBy("round").collectAsList())
        .extracting(r -> r.getInt(0)).containsExactly(0, 1, 2);
    assertThat(analysis.trajectories().where("eval").count()).isZero();
    assertThat(analysis.lastRound()).isEqualTo(2);
    assertThat(analysis.config().run().id()).isEqualTo("test");
  }

  @Test
  void episodesAndRoundSummariesAgreeWithTheLearnersFigures() {
    List<Row> summaries = analysis.roundSummaries().collectAsList();
    assertThat(summaries).hasSize(3);
    long total = 0;
    for (int i = 0; i < 3; i++) {
      Row s = summaries.get(i);
      RoundRecord r = result.rounds().get(i);
      assertThat(s.<Integer>getAs("round")).isEqualTo(r.round());
      assertThat(s.<Long>getAs("env_steps")).isEqualTo(r.totals().envSteps());
      assertThat(s.<Integer>getAs("episodes")).as("round %d episodes", i).isEqualTo(r.episodes().episodesInRound());
      total += r.episodes().episodesInRound();
      if (r.episodes().episodesInRound() > 0) {
        // CartPole's rewards are all 1, so the sums are exact whatever order Spark adds them in.
        assertThat(s.<Double>getAs("return_mean")).isEqualTo(r.episodes().episodeReturnMean());
        assertThat(s.<Double>getAs("return_min")).isEqualTo(r.episodes().episodeReturnMin());
        assertThat(s.<Double>getAs("return_max")).isEqualTo(r.episodes().episodeReturnMax());
        assertThat(s.<Double>getAs("length_mean")).isEqualTo(r.episodes().episodeLengthMean());
      } else {
        assertThat(s.isNullAt(s.fieldIndex("return_mean"))).isTrue();
      }
      assertThat(s.<Double>getAs("value_loss")).isEqualTo(r.losses().valueLoss());
      assertThat(s.<Double>getAs("explained_variance")).isEqualTo(r.losses().explainedVariance());
    }
    assertThat(total).as("random CartPole episodes end within 384 steps").isPositive();
    List<Row> episodes = analysis.episodes().collectAsList();
    assertThat((long) episodes.size()).isEqualTo(total);
    for (Row e : episodes) {
      assertThat(e.<Integer>getAs("length")).isPositive();
      assertThat(e.<Double>getAs("episode_return")).isEqualTo((double) e.<Integer>getAs("length"));
      assertThat(e.<Boolean>getAs("terminated") || e.<Boolean>getAs("truncated")).isTrue();
      assertThat(e.<Long>getAs("env_steps")).isEqualTo(128L * (e.<Integer>getAs("round") + 1));
      assertThat(e.<Integer>getAs("first_round")).isLessThanOrEqualTo(e.<Integer>getAs("round"));
      assertThat(e.<Long>getAs("episode_id") >>> 32).isEqualTo((long) e.<Integer>getAs("actor_id"));
    }
  }

  @Test
  void metricsAreTheManifestWithNullForNone() {
    List<Row> m = analysis.metrics().orderBy("round").collectAsList();
    assertThat(m).hasSize(3);
    assertThat(m.get(0).isNullAt(m.get(0).fieldIndex("eval_return_mean"))).isTrue();
    assertThat(m.get(1).<Double>getAs("eval_return_mean")).isEqualTo(result.rounds().get(1).eval().evalReturnMean());
    assertThat(m.get(2).<Double>getAs("eval_return_mean")).isEqualTo(result.rounds().get(2).eval().evalReturnMean());
    assertThat(m.get(2).<Long>getAs("env_steps")).isEqualTo(384);
  }

  @Test
  void actionFrequenciesSumToOnePerRound() {
    List<Row> f = analysis.actionFrequencies().collectAsList();
    Map<Integer, Long> counts = f.stream().collect(Collectors.groupingBy(r -> r.getInt(0),
        Collectors.summingLong(r -> r.<Long>getAs("count"))));
    assertThat(counts).containsOnlyKeys(0, 1, 2).allSatisfy((round, c) -> assertThat(c).isEqualTo(128));
    Map<Integer, Double> fractions = f.stream().collect(Collectors.groupingBy(r -> r.getInt(0),
        Collectors.summingDouble(r -> r.<Double>getAs("fraction"))));
    fractions.values().forEach(s -> assertThat(s).isCloseTo(1.0, within(1e-12)));
    assertThat(f).extracting(r -> r.<Integer>getAs("action")).containsOnly(0, 1);
  }

  @Test
  void theCriticOfEachRoundIsTheOneThatSampledIt() {
    SparkSession spark = SparkTestSession.get();
    for (int round : new int[] {0, 2}) {
      RowBatch d = TrajectoryReader.readRound(spark, run.resolve("trajectories").resolve("round=" + round).toString());
      float[] v = new float[d.rows()];
      new MlpForward(analysis.criticBefore(round, d.obsSize())).forward(d.obs(), d.rows(), v);
      for (int i = 0; i < d.rows(); i++) {
        assertThat((double) v[i]).as("round %d row %d", round, i).isEqualTo(d.vfPred()[i]);
      }
    }
  }

  @Test
  void estimatorsOnTheSameRound() {
    EstimatorComparison c = analysis.compareEstimators(1);
    assertThat(c.stats()).extracting(EstimatorStats::estimator)
        .containsExactly("TD(0)", "GAE(0.95)", "Monte-Carlo");
    assertThat(c.stats()).extracting(EstimatorStats::rows).containsOnly(128);
    EstimatorStats mc = c.stats("Monte-Carlo");
    assertThat(mc.biasVsMonteCarlo()).isZero();
    assertThat(mc.rmseVsMonteCarlo()).isZero();

    // TD(0) by hand from the pure functions, with the critic that sampled round 1.
    RowBatch d = TrajectoryReader.readRound(SparkTestSession.get(), run.resolve("trajectories/round=1").toString());
    double[] value = new double[d.rows()];
    double[] next = new double[d.rows()];
    float[] f = new float[d.rows()];
    MlpForward critic = new MlpForward(analysis.criticBefore(1, d.obsSize()));
    critic.forward(d.obs(), d.rows(), f);
    for (int i = 0; i < f.length; i++) {
      value[i] = f[i];
    }
    critic.forward(d.nextObs(), d.rows(), f);
    for (int i = 0; i < f.length; i++) {
      next[i] = f[i];
    }
    double[] td = Advantages.td0(d.reward(), d.terminated(), value, next, 0.99).advantages();
    assertThat(c.advantages().get(0)).containsExactly(td);
    EstimatorStats td0 = c.stats("TD(0)");
    assertThat(td0.advantageMean()).isCloseTo(TrajectoryAnalysis.mean(td), within(1e-12));
    assertThat(td0.advantageStd()).isCloseTo(TrajectoryAnalysis.std(td), within(1e-12));
    double[] mcTargets = Advantages.gae(d.reward(), d.terminated(), d.continues(), value, next, 0.99, 1.0).targets();
    double bias = 0;
    for (int i = 0; i < td.length; i++) {
      bias += td[i] + value[i] - mcTargets[i];
    }
    assertThat(td0.biasVsMonteCarlo()).isCloseTo(bias / td.length, within(1e-9));
    assertThat(c.returnStd()).isCloseTo(TrajectoryAnalysis.std(mcTargets), within(1e-12));
    // The run's estimator is GAE(0.95).
    assertThat(analysis.advantageStatistics(1)).isEqualTo(c.stats("GAE(0.95)"));
  }

  @Test
  void readsRunsWrittenBeforeTheEvalColumn() throws IOException {
    SparkSession spark = SparkTestSession.get();
    Path old = tmp.resolve("old");
    try (Stream<Path> files = Files.walk(run)) {
      for (Path f : files.toList()) {
        Path target = old.resolve(run.relativize(f).toString());
        if (run.relativize(f).toString().startsWith("trajectories")) {
          continue; // rewritten below, without the eval column
        }
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else if (run.relativize(f).toString().startsWith("manifest") && f.toString().endsWith(".crc")) {
          continue; // Hadoop's checksum of an entry rewritten below
        } else if (run.relativize(f).toString().startsWith("manifest")) {
          // entries of that time recorded no committed files (their Parquet is rewritten here)
          com.fasterxml.jackson.databind.node.ObjectNode entry = (com.fasterxml.jackson.databind.node.ObjectNode)
              new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
          entry.remove("files");
          Files.writeString(target, entry.toString());
        } else {
          Files.copy(f, target);
        }
      }
    }
    for (int r = 0; r < 3; r++) {
      spark.read().parquet(run.resolve("trajectories/round=" + r).toString()).drop("eval").write()
          .parquet(old.resolve("trajectories/round=" + r).toString());
    }
    TrajectoryAnalysis a = TrajectoryAnalysis.of(spark, old.toString());
    assertThat(TrajectoryReader.mismatches(spark.read().parquet(old.resolve("trajectories").toString()).schema()))
        .isEmpty();
    assertThat(a.trajectories().where("not eval").count()).isEqualTo(384);
    assertThat(a.episodes().count()).isEqualTo(analysis.episodes().count());
  }

  @Test
  void refusesUncommittedRoundsAndRunsWithoutCommits() throws IOException {
    assertThatThrownBy(() -> analysis.compareEstimators(3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round 3").hasMessageContaining("not committed").hasMessageContaining("0..2");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> TrajectoryAnalysis.of(SparkTestSession.get(), empty.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(empty.toString()).hasMessageContaining("no committed round");
    assertThatThrownBy(() -> analysis.evalTrajectories())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("evaluate");
  }

  @Test
  void evaluationTrajectoriesRecordTheSameEpisodes() {
    SparkSession spark = SparkTestSession.get();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Storage storage = new Storage(jsc.hadoopConfiguration());
    RunLayout layout = RunLayout.of(run.toString());
    Checkpoints checkpoints = new Checkpoints(storage, layout);
    TrainConfig config = analysis.config();
    MlpWeights actor = MlpWeights.of(checkpoints.readActor(1), config.network().activation());
    MlpWeights critic = MlpWeights.of(checkpoints.readCritic(1), config.network().activation());
    Rollout rollout = new Rollout(jsc, config);

    for (boolean greedy : new boolean[] {true, false}) {
      storage.delete(layout.evalRound(1));
      List<EvalTask.Episode> plain = rollout.evaluate(actor, null, 5, greedy, "test: evaluate");
      List<EvalTask.Episode> recorded = rollout.evaluate(actor, null, 5, greedy, "test: evaluate and record",
          new EvalOutput(layout.evalRound(1).toString(), 2, critic));
      assertThat(recorded).as("greedy=%s", greedy).isEqualTo(plain);

      assertThat(analysis.evaluatedRounds()).containsExactly(1);
      assertThat(analysis.evalTrajectories().where("not eval or round != 1 or policy_version != 2").count())
          .isZero();
      assertThat(analysis.evalTrajectories().count()).isEqualTo(plain.stream().mapToInt(EvalTask.Episode::length).sum());
      List<Row> episodes = analysis.evalEpisodes().orderBy("actor_id").collectAsList();
      assertThat(episodes).hasSize(5);
      for (int e = 0; e < 5; e++) {
        assertThat(episodes.get(e).<Integer>getAs("actor_id")).isEqualTo(e);
        assertThat(episodes.get(e).<Integer>getAs("length")).isEqualTo(plain.get(e).length());
        assertThat(episodes.get(e).<Double>getAs("episode_return")).isEqualTo(plain.get(e).episodeReturn());
        assertThat(episodes.get(e).<Boolean>getAs("terminated")).isEqualTo(plain.get(e).terminated());
      }
    }
    // vf_pred is the given critic's V(obs).
    RowBatch d = TrajectoryReader.readRound(spark, layout.evalRound(1).toString());
    float[] v = new float[d.rows()];
    new MlpForward(critic).forward(d.obs(), d.rows(), v);
    for (int i = 0; i < d.rows(); i++) {
      assertThat((double) v[i]).isEqualTo(d.vfPred()[i]);
    }
    storage.delete(layout.evalRound(1));
  }
}
