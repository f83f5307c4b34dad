package io.sparkac.jobs;

import static io.sparkac.jobs.AnalysisJobsTest.capture;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.inference.TrainedPolicy;
import io.sparkac.testing.SmallRuns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export} through {@link Main#run} on a small run trained on the shared session, and
 * {@code serve} as a real process (through SparkSubmit, as {@code jobs/sparkac} starts it):
 * it answers on loopback, refuses bad input with 400 and stops cleanly on SIGTERM.
 */
class ExportServeJobsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  static Path tmp;
  static Path run;
  static Path export;

  @BeforeAll
  static void trainAndExport() {
    run = tmp.resolve("run");
    SmallRuns.train(run, "normalize.observations=true");
    export = tmp.resolve("run-export");
    AnalysisJobsTest.Captured c = capture("export", run.toString());
    assertThat(c.status()).as("stderr: %s", c.err()).isZero();
    assertThat(c.out()).contains("export " + run + " round 2").contains(export.toString());
  }

  @Test
  void exportWritesTheFourFilesBesideTheRun() throws Exception {
    try (var files = Files.list(export)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("policy.onnx", "value.onnx", "policy.json", "weights.json");
    }
    TrainedPolicy exported = TrainedPolicy.load(export);
    TrainedPolicy fromRun = TrainedPolicy.load(run);
    assertThat(exported.actorWeights()).isEqualTo(fromRun.actorWeights());
    assertThat(exported.info().source().round()).isEqualTo(2);
    assertThat(exported.info().normalization()).isNotNull();
  }

  @Test
  void exportRefusesBadInputBeforeWriting() throws Exception {
    AnalysisJobsTest.Captured c = capture("export", run.toString(), "--round", "7", "--out", tmp.resolve("x").toString());
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err()).contains("round 7 is not a committed round of " + run + "; committed rounds: 0..2");
    assertThat(tmp.resolve("x")).doesNotExist();

    Path mine = tmp.resolve("mine");
    Files.createDirectories(mine);
    Files.writeString(mine.resolve("notes.txt"), "keep");
    c = capture("export", run.toString(), "--out", mine.toString());
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err()).contains("notes.txt").contains("new or empty folder");
    assertThat(Files.readString(mine.resolve("notes.txt"))).isEqualTo("keep");
    try (var files = Files.list(mine)) {
      assertThat(files).hasSize(1);
    }

    c = capture("export", tmp.resolve("nothing").toString());
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err()).contains("has no committed round");
  }

  @Test
  void serveAnswersRefusesBadInputAndStopsOnSigterm() throws Exception {
    Path log = tmp.resolve("serve.log");
    // Output to a file: Process.destroy() closes the pipes, and the last line comes after it.
    Process p = new ProcessBuilder(JobProcess.command("local[1]", List.of(), List.of("serve", export.toString(),
        "--port", "0"))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      int port = -1;
      Pattern listening = Pattern.compile("serve: CartPole-v1 \\(round 2 of .*\\) on http://127\\.0\\.0\\.1:(\\d+)/");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (port < 0 && System.nanoTime() < deadline && p.isAlive()) {
        Matcher m = listening.matcher(Files.readString(log));
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        } else {
          Thread.sleep(100);
        }
      }
      assertThat(port).as(Files.readString(log)).isPositive();

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI act = URI.create("http://127.0.0.1:" + port + "/act");
      TrainedPolicy policy = TrainedPolicy.load(export);
      float[] obs = {0.01f, -0.2f, 0.03f, 0.1f};
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(act).POST(HttpRequest.BodyPublishers.ofString(
          "{\"obs\": [0.01, -0.2, 0.03, 0.1], \"value\": true}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode answer = JSON.readTree(r.body());
      assertThat(answer.get("action").asInt()).isEqualTo(policy.actDiscrete(obs));
      assertThat(answer.get("value").floatValue()).isEqualTo(policy.outputs(new float[][] {obs}, true).value()[0]);

      for (String bad : List.of("{\"obs\": [1, 2]}", "{\"obs\": [1, 2, NaN, 4]}", "not json",
          "{\"obs\": [" + "0,".repeat(600_000) + "0]}")) {
        HttpResponse<String> b = client.send(HttpRequest.newBuilder(act).POST(HttpRequest.BodyPublishers.ofString(bad))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(b.statusCode()).as(b.body()).isEqualTo(400);
        assertThat(JSON.readTree(b.body()).get("error").asText()).isNotBlank();
      }
      HttpResponse<String> d = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(JSON.readTree(d.body()).get("onnx").get("opset").asInt()).isEqualTo(17);

      p.destroy(); // SIGTERM
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s after SIGTERM").isTrue();
      String seen = Files.readString(log);
      assertThat(p.exitValue()).as(seen).isEqualTo(143);
      assertThat(seen).contains("serve: stopped");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void serveRefusesWhatIsNotAPolicy() {
    AnalysisJobsTest.Captured c = capture("serve", tmp.toString(), "--port", "0");
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err()).contains("is neither an export folder");
    c = capture("serve", export.toString(), "--port", "70000");
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err()).contains("--port = 70000: must be <= 65535");
  }
}
