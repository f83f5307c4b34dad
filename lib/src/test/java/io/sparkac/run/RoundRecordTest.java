package io.sparkac.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.storage.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round's manifest entry and its metrics.csv row, as a SQL user reads them: snake_case keys,
 * null (not "NaN") for a missing value, no column that one mode always leaves empty; entries of
 * schema version 1 (camelCase, "NaN") still read; metrics.csv appended a row per round.
 */
class RoundRecordTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  static RoundRecord sync(int round, boolean evaluated) {
    return new RoundRecord(round, round, new RoundRecord.Totals(128L * (round + 1), 7 + round),
        new RoundRecord.Episodes(3, 21.5, 9, 40, 21.5 + round),
        new RoundRecord.Losses(0.25, -0.125, 0.69, 0.1, 1.5, 2.5),
        evaluated ? new RoundRecord.Eval(150.25, 12.5, 150.25) : RoundRecord.Eval.NONE,
        new RoundRecord.Phases(0.1, 0.01, 0.02, 0.0, 0.03, 0.0, 0.04, 0.05, 0.2, 1.0 + round),
        RoundRecord.Source.synchronous(round), List.of(new RunFile("trajectories/round=" + round + "/part-0.parquet",
            1234, 0xdeadbeefL)));
  }

  static RoundRecord async(int round) {
    RoundRecord s = sync(round, false);
    return new RoundRecord(round, round, s.totals(), new RoundRecord.Episodes(0, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN), s.losses(), s.eval(), s.phases(), new RoundRecord.Source(1, round - 1, 1, 1.01, 1.5, 0.0625),
        s.files());
  }

  @Test
  void anEntryIsSnakeCaseWithNullForMissingValuesAndReadsBack() throws IOException {
    RoundRecord r = sync(3, false);
    JsonNode entry = r.toJson();

    assertThat(entry.get("schema_version").asInt()).isEqualTo(RoundRecord.SCHEMA_VERSION);
    List<String> keys = new ArrayList<>();
    entry.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).allMatch(k -> k.matches("[a-z0-9_]+"), "snake_case");
    assertThat(keys).doesNotContain("group", "actor_group", "rho_mean", "rho_max", "corrected_fraction")
        .contains("eval_return_mean", "sample_version", "staleness", "files");
    assertThat(entry.get("eval_return_mean").isNull()).isTrue();
    assertThat(JSON.writeValueAsString(entry)).doesNotContain("NaN");
    assertThat(entry.get("env_steps").isIntegralNumber()).isTrue();
    assertThat(RoundRecord.fromJson(JSON.readTree(JSON.writeValueAsBytes(entry)))).isEqualTo(r);

    RoundRecord a = async(4);
    JsonNode asyncEntry = a.toJson();
    assertThat(asyncEntry.get("actor_group").asInt()).isEqualTo(1);
    assertThat(asyncEntry.get("rho_mean").asDouble()).isEqualTo(1.01);
    assertThat(asyncEntry.get("episode_return_mean").isNull()).isTrue();
    assertThat(RoundRecord.fromJson(JSON.readTree(JSON.writeValueAsBytes(asyncEntry)))).isEqualTo(a);
  }

  /** Entries as written before schema version 2 (camelCase keys, "NaN" strings) read as before. */
  @Test
  void readsVersionOneEntries() throws IOException {
    String syncV1 = """
        {"round":3,"policyVersion":3,"envSteps":512,"episodes":10,"episodesInRound":3,"episodeReturnMean":21.5,
         "episodeReturnMin":9.0,"episodeReturnMax":40.0,"episodeLengthMean":24.5,"valueLoss":0.25,
         "policyLoss":-0.125,"entropy":0.69,"explainedVariance":0.1,"criticGradNorm":1.5,"actorGradNorm":2.5,
         "evalReturnMean":"NaN","evalReturnStd":"NaN","evalLengthMean":"NaN","rolloutSeconds":0.1,
         "rolloutComputeSeconds":0.01,"writeSeconds":0.02,"readSeconds":0.0,"learnSeconds":0.03,"evalSeconds":0.0,
         "checkpointSeconds":0.04,"overheadSeconds":0.05,"roundSeconds":0.2,"wallSeconds":4.0,"group":-1,
         "sampleVersion":3,"staleness":0,"rhoMean":"NaN","rhoMax":"NaN","correctedFraction":"NaN",
         "files":[{"path":"trajectories/round=3/part-0.parquet","size":1234,"crc32c":3735928559}]}
        """;
    assertThat(RoundRecord.fromJson(JSON.readTree(syncV1))).isEqualTo(sync(3, false));
    String asyncV1 = syncV1.replace("\"group\":-1", "\"group\":1").replace("\"staleness\":0", "\"staleness\":1")
        .replace("\"rhoMean\":\"NaN\",\"rhoMax\":\"NaN\",\"correctedFraction\":\"NaN\"",
            "\"rhoMean\":1.01,\"rhoMax\":1.5,\"correctedFraction\":0.0625")
        .replace("\"episodesInRound\":3,\"episodeReturnMean\":21.5", "\"episodesInRound\":0,\"episodeReturnMean\":\"NaN\"")
        .replace("\"episodeReturnMin\":9.0,\"episodeReturnMax\":40.0,\"episodeLengthMean\":24.5",
            "\"episodeReturnMin\":\"NaN\",\"episodeReturnMax\":\"NaN\",\"episodeLengthMean\":\"NaN\"")
        .replace("\"round\":3,\"policyVersion\":3", "\"round\":4,\"policyVersion\":4")
        .replace("\"envSteps\":512,\"episodes\":10", "\"envSteps\":640,\"episodes\":11")
        .replace("\"wallSeconds\":4.0", "\"wallSeconds\":5.0").replace("round=3", "round=4");
    assertThat(RoundRecord.fromJson(JSON.readTree(asyncV1))).isEqualTo(async(4));
    // files were not recorded at first
    assertThat(RoundRecord.fromJson(JSON.readTree(syncV1.replaceAll(",\\s*\"files\":\\[.*\\]", ""))).files())
        .isNull();
  }

  @Test
  void metricsCsvHasTheColumnsOfTheRunsModeOnly() {
    String sync = new String(Manifest.metricsCsv(List.of(sync(0, false), sync(1, true)), true),
        StandardCharsets.UTF_8);
    List<String> lines = sync.lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("round,policy_version,env_steps,episodes,")
        .endsWith(",wall_seconds,sample_version,staleness").doesNotContain("group", "rho");
    assertThat(lines.get(1).split(",", -1)).hasSize(lines.get(0).split(",").length);
    // not evaluated: empty cells, which CSV readers take as null
    int evalColumn = List.of(lines.get(0).split(",")).indexOf("eval_return_mean");
    assertThat(lines.get(1).split(",", -1)[evalColumn]).isEmpty();
    assertThat(lines.get(2).split(",", -1)[evalColumn]).isEqualTo("150.25");

    String async = new String(Manifest.metricsCsv(List.of(async(1)), true), StandardCharsets.UTF_8);
    assertThat(async.lines().findFirst().orElseThrow()).endsWith(
        ",sample_version,staleness,actor_group,rho_mean,rho_max,corrected_fraction");
  }

  /** Each committed round adds one line to the same file; the first writes the header. */
  @Test
  void metricsCsvIsAppendedARowPerRound() throws IOException {
    RunLayout layout = RunLayout.of(tmp.resolve("run").toString());
    Manifest manifest = new Manifest(new Storage(new Configuration()), layout);
    Path csv = tmp.resolve("run/metrics.csv");
    List<RoundRecord> history = new ArrayList<>();
    history.add(sync(0, false));
    manifest.appendMetrics(history.get(0), history);
    Object file = Files.readAttributes(csv, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    for (int r = 1; r < 4; r++) {
      history.add(sync(r, r % 2 == 1));
      manifest.appendMetrics(history.get(r), history);
    }

    assertThat(Files.readString(csv)).isEqualTo(new String(Manifest.metricsCsv(history, true),
        StandardCharsets.UTF_8));
    assertThat(Files.readAttributes(csv, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
        .as("the same file, appended to (a rewrite renames a new file into place)").isEqualTo(file);
    try (var names = Files.list(tmp.resolve("run"))) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("metrics.csv");
    }
  }
}
