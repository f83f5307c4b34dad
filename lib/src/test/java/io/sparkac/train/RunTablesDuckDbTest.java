package io.sparkac.train;

import static io.sparkac.train.TrainerTest.config;
import static io.sparkac.train.TrainerTest.train;
import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.run.StartMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short real run read by DuckDB (its JDBC driver), a reader that shares no code with the
 * project: the trajectories' Parquet, their key-value metadata, metrics.csv and the manifest,
 * queried as a SQL user would, with the README's example as written.
 */
class RunTablesDuckDbTest {
  /** The root README's DuckDB example, run from the folder that holds {@code runs/}. */
  static final String README_EXAMPLE = """
      select t.round, count(*) as steps, count(*) filter (where t.terminated or t.truncated) as episodes_ended,
             avg(t.vf_pred) as mean_value, m.episode_return_mean, m.eval_return_mean
      from read_parquet('runs/cartpole/trajectories/*/*.parquet', hive_partitioning = true) t
      join read_json('runs/cartpole/manifest/round-*.json') m using (round)  -- committed rounds only
      group by all
      order by t.round
      """;
  /** The README's query of a trajectory file's metadata. */
  static final String README_METADATA = """
      select distinct decode(key) as key, decode(value) as value
      from parquet_kv_metadata('runs/cartpole/trajectories/round=0/*.parquet')
      where decode(key) like 'sparkac.%'
      """;

  @TempDir
  static Path tmp;
  static Path run;

  @BeforeAll
  static void trainThreeRounds() {
    run = tmp.resolve("runs/cartpole");
    // 3 rounds of 4 actors x 32 CartPole steps; rounds 1 and 2 evaluated
    train(config(run), StartMode.FRESH);
  }

  static Connection duckdb() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = c.createStatement()) {
      s.execute("set file_search_path = '" + tmp + "'"); // relative paths as from the project's folder
    }
    return c;
  }

  static List<Map<String, Object>> query(Connection c, String sql) throws SQLException {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnName(i), rs.getObject(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** Column name to DuckDB type, of what {@code from} reads. */
  static Map<String, String> types(Connection c, String from) throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    for (Map<String, Object> r : query(c, "describe select * from " + from)) {
      types.put((String) r.get("column_name"), (String) r.get("column_type"));
    }
    return types;
  }

  @Test
  void theReadmeExampleReadsTheCommittedRounds() throws SQLException {
    try (Connection c = duckdb()) {
      List<Map<String, Object>> rows = query(c, README_EXAMPLE);

      assertThat(rows).extracting(r -> ((Number) r.get("round")).intValue()).containsExactly(0, 1, 2);
      assertThat(rows).extracting(r -> ((Number) r.get("steps")).longValue()).containsOnly(128L);
      assertThat(rows.get(0).get("eval_return_mean")).as("round 0 was not evaluated: null, not \"NaN\"").isNull();
      assertThat(rows.get(1).get("eval_return_mean")).isInstanceOf(Double.class);
      assertThat(rows.get(2).get("eval_return_mean")).isInstanceOf(Double.class);
      assertThat(rows.get(2).get("mean_value")).isInstanceOf(Double.class);
      // the episodes that ended in the rows of a round are those its manifest entry counted
      List<Map<String, Object>> counted = query(c, "select round, episodes_in_round"
          + " from read_json('runs/cartpole/manifest/round-*.json') order by round");
      assertThat(rows).extracting(r -> ((Number) r.get("episodes_ended")).longValue()).isEqualTo(counted.stream()
          .map(r -> ((Number) r.get("episodes_in_round")).longValue()).toList());
      assertThat(rows.get(0).get("episodes_ended")).as("random CartPole episodes end within 32 steps")
          .isNotEqualTo(0L);
    }
  }

  @Test
  void aRoundThatWasNotCommittedIsLeftOutByTheExample() throws SQLException, IOException {
    // What a kill before round 2's commit leaves: its Parquet without its manifest entry.
    Path entry = run.resolve("manifest/round-000002.json");
    byte[] bytes = Files.readAllBytes(entry);
    Files.delete(entry);
    try (Connection c = duckdb()) {
      assertThat(query(c, "select count(*) as n from read_parquet('runs/cartpole/trajectories/*/*.parquet')")
          .get(0).get("n")).as("a plain read sees the uncommitted round").isEqualTo(384L);
      assertThat(query(c, README_EXAMPLE)).extracting(r -> ((Number) r.get("round")).intValue())
          .containsExactly(0, 1);
    } finally {
      Files.write(entry, bytes);
    }
  }

  @Test
  void metricsCsvIsTypedSnakeCaseWithoutReservedWordsOrEmptyColumns() throws SQLException {
    try (Connection c = duckdb()) {
      Map<String, String> types = types(c, "read_csv('runs/cartpole/metrics.csv')");

      assertThat(types.keySet()).allMatch(n -> n.matches("[a-z0-9_]+"))
          .doesNotContain("group", "actor_group", "rho_mean", "rho_max", "corrected_fraction")
          .contains("round", "env_steps", "eval_return_mean", "round_seconds", "sample_version", "staleness");
      assertThat(types).doesNotContainValue("VARCHAR");
      assertThat(types.get("eval_return_mean")).isEqualTo("DOUBLE");
      assertThat(types.get("env_steps")).isEqualTo("BIGINT");
      List<Map<String, Object>> rows = query(c,
          "select round, env_steps, eval_return_mean from read_csv('runs/cartpole/metrics.csv') order by round");
      assertThat(rows).extracting(r -> ((Number) r.get("env_steps")).longValue()).containsExactly(128L, 256L, 384L);
      assertThat(rows.get(0).get("eval_return_mean")).isNull();
      assertThat(rows.get(2).get("eval_return_mean")).isInstanceOf(Double.class);
    }
  }

  @Test
  void theManifestIsTypedSnakeCaseWithNulls() throws SQLException {
    try (Connection c = duckdb()) {
      Map<String, String> types = types(c, "read_json('runs/cartpole/manifest/round-*.json')");

      assertThat(types.keySet()).allMatch(n -> n.matches("[a-z0-9_]+"))
          .doesNotContain("group", "actor_group", "rho_mean")
          .contains("schema_version", "round", "eval_return_mean", "files");
      assertThat(types.get("eval_return_mean")).isEqualTo("DOUBLE");
      assertThat(types.get("episode_return_mean")).isEqualTo("DOUBLE");
      assertThat(types.get("env_steps")).isEqualTo("BIGINT");
      assertThat(query(c, "select distinct schema_version from read_json('runs/cartpole/manifest/round-*.json')"))
          .extracting(r -> ((Number) r.get("schema_version")).intValue()).containsExactly(2);
      // the files each round committed, with their sizes
      assertThat(query(c, "select count(*) as n from (select unnest(files) as f"
          + " from read_json('runs/cartpole/manifest/round-*.json')) where f.path like 'trajectories/%'")
          .get(0).get("n")).isEqualTo(6L);
    }
  }

  @Test
  void everyTrajectoryFileSaysWhatItHolds() throws SQLException, IOException {
    try (Connection c = duckdb()) {
      Map<String, String> meta = new LinkedHashMap<>();
      for (Map<String, Object> r : query(c, README_METADATA)) {
        meta.put((String) r.get("key"), (String) r.get("value"));
      }
      assertThat(meta).containsEntry("sparkac.schema_version", "2").containsEntry("sparkac.run_id", "test")
          .containsEntry("sparkac.env_id", "CartPole-v1")
          .containsEntry("sparkac.action_space", "{\"type\":\"discrete\",\"n\":2}")
          .containsEntry("sparkac.observation_names",
              "[\"cart_position\",\"cart_velocity\",\"pole_angle\",\"pole_angular_velocity\"]");
      assertThat(meta.get("sparkac.observation_space")).startsWith("{\"type\":\"box\",\"shape\":[4],\"low\":[-4.8,");
      // every file has it, the files of every round
      assertThat(query(c, "select count(distinct file_name) as n from parquet_kv_metadata("
          + "'runs/cartpole/trajectories/*/*.parquet') where decode(key) = 'sparkac.env_id'").get(0).get("n"))
          .isEqualTo(6L);
      Map<String, String> types = types(c, "read_parquet('runs/cartpole/trajectories/*/*.parquet', "
          + "hive_partitioning = true)");
      assertThat(types).containsEntry("obs", "FLOAT[]").containsEntry("action", "INTEGER")
          .containsEntry("reward", "DOUBLE").containsEntry("episode_id", "BIGINT").containsEntry("eval", "BOOLEAN");
    }
    try (Stream<Path> files = Files.walk(run)) {
      assertThat(files.map(p -> p.getFileName().toString())).as("no Hadoop checksum files beside the data")
          .noneMatch(n -> n.endsWith(".crc"));
    }
  }
}
