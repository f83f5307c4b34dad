package io.sparkac.train;

import static io.sparkac.train.TrainerTest.sortedRows;
import static io.sparkac.train.TrainerTest.weights;
import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.run.Manifest;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunLayout;
import io.sparkac.run.StartMode;
import io.sparkac.testing.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asynchronous training end to end on the shared local[2] session. */
class AsyncTrainerTest {
  @TempDir
  Path tmp;

  /** 4 actors in 2 partitions, 2 groups of 2 actors: 64 env steps per update. */
  static TrainConfig config(Path dir, String... overrides) {
    List<String> all = new ArrayList<>(List.of("parallel.mode=async", "parallel.groups=2"));
    all.addAll(List.of(overrides));
    return TrainerTest.config(dir, all.toArray(String[]::new));
  }

  static TrainResult train(TrainConfig config, StartMode mode) {
    return new Trainer(SparkTestSession.get(), config, mode).run();
  }

  static List<Integer> groups(TrainResult r) {
    return r.rounds().stream().map(x -> x.source().group()).toList();
  }

  static List<List<Object>> rows(Path run) {
    return sortedRows(SparkTestSession.get(), run).stream().map(TrainerTest::withoutExecutor).toList();
  }

  @Test
  void recordsGroupVersionAndStalenessOfEveryUpdate() throws IOException {
    Path run = tmp.resolve("async");
    TrainResult result = train(config(run, "run.total-steps=512", "parallel.correction=vtrace",
        "parallel.rho-bar=1.0"), StartMode.FRESH);
    SparkSession spark = SparkTestSession.get();

    assertThat(result.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(result.rounds()).extracting(r -> r.totals().envSteps())
        .containsExactly(64L, 128L, 192L, 256L, 320L, 384L, 448L, 512L);
    assertThat(groups(result)).containsOnly(0, 1).contains(0, 1);
    for (RoundRecord r : result.rounds()) {
      assertThat(r.policyVersion()).isEqualTo(r.round());
      assertThat(r.source().sampleVersion()).isBetween(0, r.round());
      assertThat(r.source().staleness()).isEqualTo(r.round() - r.source().sampleVersion());
      if (r.source().staleness() == 0) {
        // the sampling policy is the one being updated: rho = 1 exactly, nothing to correct
        assertThat(r.source().rhoMean()).isEqualTo(1.0);
        assertThat(r.source().correctedFraction()).isZero();
      }
    }
    // Both groups start with version 0, so the first update of the second group to finish learns
    // from samples of a policy one or more updates old.
    List<RoundRecord> stale = result.rounds().stream().filter(r -> r.source().staleness() > 0).toList();
    assertThat(stale).isNotEmpty();
    assertThat(stale).allSatisfy(r -> assertThat(r.source().rhoMean()).isNotEqualTo(1.0));
    assertThat(stale).anySatisfy(r -> assertThat(r.source().correctedFraction()).isPositive());

    // Each update's folder holds one group's rows, all drawn with the recorded policy version.
    Dataset<Row> df = spark.read().parquet(run.resolve("trajectories").toString());
    assertThat(df.count()).isEqualTo(512);
    for (RoundRecord r : result.rounds()) {
      Dataset<Row> update = df.filter("round = " + r.round());
      assertThat(update.count()).isEqualTo(64);
      assertThat(update.select("policy_version").distinct().collectAsList()).extracting(x -> x.getInt(0))
          .containsExactly(r.source().sampleVersion());
      List<Integer> actors = update.select("actor_id").distinct().collectAsList().stream().map(x -> x.getInt(0))
          .toList();
      assertThat(actors).containsExactlyInAnyOrderElementsOf(r.source().group() == 0 ? List.of(0, 1) : List.of(2, 3));
    }
    // A group's successive jobs sample with increasing versions (so no actor reuses a random stream).
    for (int g = 0; g < 2; g++) {
      int group = g;
      List<Integer> versions = result.rounds().stream().filter(r -> r.source().group() == group)
          .map(r -> r.source().sampleVersion()).toList();
      assertThat(versions).isSorted().doesNotHaveDuplicates();
    }

    // The completion order is in the manifest and in metrics.csv; no hidden folder is left behind.
    RoundRecord fromManifest = new Manifest(TrainerTest.storage(), RunLayout.of(run.toString())).read(3);
    assertThat(fromManifest).isEqualTo(result.rounds().get(3));
    assertThat(Files.readString(run.resolve("manifest").resolve("round-000003.json")))
        .contains("\"actor_group\"", "\"sample_version\"", "\"staleness\"", "\"rho_mean\"");
    List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
    assertThat(csv.get(0)).contains(",sample_version,staleness,actor_group,rho_mean,rho_max,corrected_fraction");
    assertThat(csv).hasSize(9);
    try (Stream<Path> entries = Files.list(run.resolve("trajectories"))) {
      assertThat(entries.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("round="));
    }
  }

  @Test
  void oneGroupIsTheSynchronizedAlgorithmBitForBit() {
    Path sync = tmp.resolve("sync");
    TrainerTest.train(TrainerTest.config(sync), StartMode.FRESH);
    Path async = tmp.resolve("async1");
    TrainResult result = train(config(async, "parallel.groups=1"), StartMode.FRESH);

    assertThat(result.rounds()).extracting(r -> r.source().staleness()).containsOnly(0);
    assertThat(rows(async)).hasSize(384).isEqualTo(rows(sync));
    assertThat(weights(async, 2, "actor")).isEqualTo(weights(sync, 2, "actor"));
    assertThat(weights(async, 2, "critic")).isEqualTo(weights(sync, 2, "critic"));
  }

  /**
   * A recorded order that completion would hardly ever produce (group 1 three times while group 0's
   * first job is in flight, so its samples are 3 updates stale): the run that replays it
   * must wait for the named groups; a run that replays that run then reproduces it exactly.
   */
  @Test
  void replayingTheRecordedOrderReproducesTheRun() {
    List<Integer> order = List.of(1, 1, 1, 0, 0, 1, 1, 1, 1, 0);
    Path crafted = tmp.resolve("crafted");
    writeOrder(crafted, order);
    Path recorded = tmp.resolve("recorded");
    TrainResult first = train(config(recorded, "run.total-steps=640", "parallel.correction=clipped",
        "parallel.replay-order=\"" + crafted + "\""), StartMode.FRESH);
    assertThat(groups(first)).isEqualTo(order);
    assertThat(first.rounds()).extracting(r -> r.source().staleness()).containsExactly(0, 0, 0, 3, 0, 2, 0, 0, 0, 4);

    Path replayed = tmp.resolve("replayed");
    TrainResult second = train(config(replayed, "run.total-steps=640", "parallel.correction=clipped",
        "parallel.replay-order=\"" + recorded + "\""), StartMode.FRESH);
    assertThat(groups(second)).isEqualTo(order);
    assertThat(rows(replayed)).hasSize(640).isEqualTo(rows(recorded));
    assertThat(weights(replayed, 9, "actor")).isEqualTo(weights(recorded, 9, "actor"));
    assertThat(weights(replayed, 9, "critic")).isEqualTo(weights(recorded, 9, "critic"));
  }

  /** A manifest that records only a completion order: the group of each update. */
  static void writeOrder(Path run, List<Integer> groups) {
    Manifest m = new Manifest(TrainerTest.storage(), RunLayout.of(run.toString()));
    double nan = Double.NaN;
    for (int u = 0; u < groups.size(); u++) {
      m.commit(new RoundRecord(u, u, new RoundRecord.Totals(0, 0), new RoundRecord.Episodes(0, nan, nan, nan, nan),
          new RoundRecord.Losses(nan, nan, nan, nan, nan, nan), RoundRecord.Eval.NONE,
          new RoundRecord.Phases(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan),
          new RoundRecord.Source(groups.get(u), 0, 0, nan, nan, nan), null));
    }
  }

  /**
   * Resume from the last committed update: the groups in flight there are resubmitted with the
   * policy they were sampling with, so a resumed replay of a run equals that run.
   *
   * <p>The interrupted run is a shorter replay of the whole run's order, cut after k updates. Its
   * update k - 2 does not resubmit its group (the group in flight brings the last steps), so its
   * update k - 1 must take the other group: k is the first cut from 5 on where the recorded order
   * changes group. (A fixed cut failed whenever the recorded order took one group twice there,
   * which depends on how fast updates are against the straggler. A straggler of 200 ms let a fast
   * machine apply all but the last update from the other group, leaving no cut: at 50 ms the
   * straggling group comes back after a few updates.)
   */
  @Test
  void resumesFromTheLastCommittedUpdate() {
    Path straight = tmp.resolve("straight");
    String[] common = {"parallel.straggler-ms=50", "normalize.observations=true"};
    TrainResult whole = train(config(straight, cat(common, "run.total-steps=640")), StartMode.FRESH);
    List<Integer> order = groups(whole);
    int k = 5;
    while (k < order.size() && order.get(k - 2).equals(order.get(k - 1))) {
      k++;
    }
    assertThat(k).as("a cut where the recorded order %s changes group", order).isLessThan(order.size());

    Path resumed = tmp.resolve("resumed");
    String replay = "parallel.replay-order=\"" + straight + "\"";
    TrainResult part = train(config(resumed, cat(common, "run.total-steps=" + 64 * k, replay)), StartMode.FRESH);
    assertThat(part.rounds()).hasSize(k);
    TrainResult rest = train(config(resumed, cat(common, "run.total-steps=640", replay)), StartMode.RESUME);

    assertThat(rest.rounds()).extracting(RoundRecord::round).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(groups(rest)).isEqualTo(groups(whole));
    assertThat(rows(resumed)).hasSize(640).isEqualTo(rows(straight));
    assertThat(weights(resumed, 9, "actor")).isEqualTo(weights(straight, 9, "actor"));
    assertThat(weights(resumed, 9, "critic")).isEqualTo(weights(straight, 9, "critic"));
  }

  /**
   * A short learning test that catches a broken asynchronous learner: a greedy untrained policy
   * scores about 9 and a random one about 22. With the V-trace correction, seed 2 of this
   * configuration reached a greedy mean of 500 over 100 episodes at its first evaluation
   * (10,240 steps) in the benchmark runs (README, "Asynchronous mode"); the order of the groups
   * varies from run to run, hence the margin.
   */
  @Test
  void learnsCartPole() {
    Path run = tmp.resolve("learn");
    TrainConfig config = ConfigLoader.parse("", List.of("run.dir=\"" + run + "\"", "run.seed=2",
        "rollout.actors=16", "rollout.steps-per-actor=64", "rollout.partitions=2", "run.total-steps=40960",
        "learner.minibatch-size=64", "learner.critic-learning-rate=0.005", "eval.interval-rounds=5",
        "eval.episodes=20", "eval.target-return=475", "parallel.mode=async", "parallel.groups=2",
        "parallel.correction=vtrace"));
    TrainResult result = train(config, StartMode.FRESH);
    double best = result.rounds().stream().filter(RoundRecord::evaluated)
        .mapToDouble(r -> r.eval().evalReturnMean()).max().orElse(0);
    assertThat(best).as("best greedy eval mean within 40k steps").isGreaterThanOrEqualTo(200);
    double bestEv = result.rounds().stream().mapToDouble(r -> r.losses().explainedVariance()).max().orElse(0);
    assertThat(bestEv).as("the critic explains the targets in some update").isGreaterThan(0.5);
    assertThat(result.rounds()).anySatisfy(r -> assertThat(r.source().staleness()).isPositive());
  }

  private static String[] cat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }
}
