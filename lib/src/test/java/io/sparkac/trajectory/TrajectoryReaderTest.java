package io.sparkac.trajectory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigLoader;
import io.sparkac.testing.SparkTestSession;
import io.sparkac.run.StartMode;
import io.sparkac.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder that is not a trajectory table, or holds a corrupt file, gets an error that names the
 * folder, the file and the missing or mismatched columns, before any Spark job reads it.
 */
class TrajectoryReaderTest {
  @TempDir
  static Path shared;
  /** A real run's trajectories: one round of 4 actors x 32 steps, in two part files. */
  static Path table;

  @TempDir
  Path tmp;

  @BeforeAll
  static void writeOneRound() {
    Path run = shared.resolve("run");
    new Trainer(SparkTestSession.get(), ConfigLoader.parse("", List.of("run.dir=\"" + run + "\"", "rollout.actors=4",
        "rollout.steps-per-actor=32", "rollout.partitions=2", "run.total-steps=128", "eval.episodes=1")),
        StartMode.FRESH).run();
    table = run.resolve("trajectories");
  }

  static Path[] partFiles(Path roundDir) throws IOException {
    try (Stream<Path> files = Files.list(roundDir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toArray(Path[]::new);
    }
  }

  /** A copy of round 0 (Parquet files only, without Hadoop's .crc files) to break. */
  Path copyOfRoundZero() throws IOException {
    Path round = Files.createDirectories(tmp.resolve("copy/round=0"));
    for (Path f : partFiles(table.resolve("round=0"))) {
      Files.copy(f, round.resolve(f.getFileName()));
    }
    return round.getParent();
  }

  @Test
  void aTrajectoryTableIsRead() {
    Dataset<Row> df = TrajectoryReader.open(SparkTestSession.get(), table.toString());

    assertThat(df.count()).isEqualTo(128);
    assertThat(df.schema().fieldNames()).containsExactlyInAnyOrder(TrajectorySchema.SCHEMA.fieldNames());
    assertThat(TrajectoryReader.open(SparkTestSession.get(), table.resolve("round=0").toString()).count())
        .isEqualTo(128);
  }

  @Test
  void aTableOfAnotherSchemaNamesTheMissingColumns() {
    SparkSession spark = SparkTestSession.get();
    Path other = tmp.resolve("scores");
    spark.range(10).withColumn("score", functions.rand(1)).write().parquet(other.toString());

    assertThatThrownBy(() -> TrajectoryReader.open(spark, other.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(other + " is not a trajectory table: file:" + other + "/part-")
        .hasMessageContaining(": missing column action int; missing column action_logp double;")
        .hasMessageContaining("missing column obs array<float>;")
        .hasMessageEndingWith("missing column vf_pred double");
  }

  @Test
  void columnsOfTheWrongTypeAreNamedWithBothTypes() {
    SparkSession spark = SparkTestSession.get();
    Path wrong = tmp.resolve("wrong-types");
    spark.read().parquet(table.toString()).drop("round")
        .withColumn("actor_id", functions.col("actor_id").cast("string"))
        .withColumn("obs", functions.col("obs").cast("array<double>"))
        .write().parquet(wrong.toString());

    assertThatThrownBy(() -> TrajectoryReader.open(spark, wrong.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageMatching(".* is not a trajectory table: file:.*/part-[^:]*\\.parquet: "
            + "column actor_id is string, expected int; column obs is array<double>, expected array<float>");
  }

  @Test
  void aTruncatedFileIsNamed() throws IOException {
    Path copy = copyOfRoundZero();
    Path victim = partFiles(copy.resolve("round=0"))[1];
    byte[] bytes = Files.readAllBytes(victim);
    Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));

    assertThatThrownBy(() -> TrajectoryReader.open(SparkTestSession.get(), copy.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(copy + " is not a trajectory table: file:" + victim
            + " is not a readable Parquet file (corrupt or truncated): ");
  }

  @Test
  void aFileThatIsNotParquetIsNamed() throws IOException {
    Path copy = copyOfRoundZero();
    Path garbage = copy.resolve("round=0/part-999999-999999.parquet");
    Files.writeString(garbage, "actor_id,t\n0,0\n");

    assertThatThrownBy(() -> TrajectoryReader.open(SparkTestSession.get(), copy.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(copy + " is not a trajectory table: file:" + garbage
            + " is not a readable Parquet file (corrupt or truncated): ")
        .hasMessageContaining("is not a Parquet file");
  }

  @Test
  void anEmptyOrMissingFolderIsNamed() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty/round=0"));
    Files.writeString(empty.resolve("_SUCCESS"), ""); // hidden: not a data file

    assertThatThrownBy(() -> TrajectoryReader.open(SparkTestSession.get(), empty.getParent().toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(empty.getParent() + " is not a trajectory table: it holds no Parquet files (a trajectory table"
            + " is a folder of round=N/ folders of part-*.parquet files)");
    Path missing = tmp.resolve("missing");
    assertThatThrownBy(() -> TrajectoryReader.open(SparkTestSession.get(), missing.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(missing + " is not a trajectory table: no such folder");
  }

  @Test
  void theLearnersReadOfACorruptRoundNamesTheRound() throws IOException {
    Path copy = copyOfRoundZero();
    Path victim = partFiles(copy.resolve("round=0"))[0];
    byte[] bytes = Files.readAllBytes(victim);
    Files.write(victim, Arrays.copyOf(bytes, bytes.length - 20));
    String round = copy.resolve("round=0").toString();

    assertThatThrownBy(() -> TrajectoryReader.readRound(SparkTestSession.get(), round))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot read trajectory round " + round + ": ");
  }

  @Test
  void openRoundsReadsOnlyTheGivenRoundsWithTheirRoundColumn() throws IOException {
    Path copy = copyOfRoundZero();
    Path roundOne = Files.createDirectories(copy.resolve("round=1"));
    for (Path f : partFiles(copy.resolve("round=0"))) {
      Files.copy(f, roundOne.resolve(f.getFileName()));
    }
    SparkSession spark = SparkTestSession.get();

    Dataset<Row> one = TrajectoryReader.openRounds(spark, copy.toString(), List.of(1));
    assertThat(one.count()).isEqualTo(128);
    assertThat(one.select("round").distinct().collectAsList()).extracting(r -> r.getInt(0)).containsExactly(1);
    assertThat(TrajectoryReader.openRounds(spark, copy.toString(), List.of(1, 0)).count()).isEqualTo(256);
    assertThat(TrajectoryReader.openRounds(spark, copy.toString(), List.of()).count()).isZero();
    assertThatThrownBy(() -> TrajectoryReader.openRounds(spark, copy.toString(), List.of(0, 2)))
        .hasMessage(copy.resolve("round=2") + " is not a trajectory table: no such folder");
  }
}
