package io.sparkac.inference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link PolicyServer} on loopback with a hand-made policy (logits = obs, V = sum + 0.5), without Spark. */
class PolicyServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static PolicyServer server;
  static PolicyServer continuous;
  static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new PolicyServer(TrainedPolicyTest.discrete(null), "127.0.0.1", 0, 4096, 2);
    continuous = new PolicyServer(TrainedPolicyTest.continuous(), "127.0.0.1", 0, 4096, 1);
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    server.close();
    continuous.close();
  }

  static HttpResponse<String> post(PolicyServer s, String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(s, path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(PolicyServer s, String path) {
    return URI.create("http://127.0.0.1:" + s.address().getPort() + path);
  }

  @Test
  void bindsTheLoopbackAddress() {
    assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void singleAndBatchRequests() throws Exception {
    HttpResponse<String> r = post(server, "/act", "{\"obs\": [0.1, 0.3]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree("{\"action\": 1}"));
    r = post(server, "/act", "{\"obs\": [[0.1, 0.3], [2, -1]], \"logits\": true, \"value\": true}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode n = JSON.readTree(r.body());
    assertThat(n.get("action").toString()).isEqualTo("[1,0]");
    assertThat(n.get("logits").get(1).toString()).isEqualTo("[2.0,-1.0]");
    assertThat(n.get("value").get(1).floatValue()).isEqualTo(1.5f);
    r = post(continuous, "/act", "{\"obs\": [0.25], \"logits\": true}");
    assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree("{\"action\": [0.5], \"mean\": [0.5], \"log_std\": [2.0]}"));
  }

  @Test
  void describesThePolicy() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(server, "/")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).get("env").get("id").asText()).isEqualTo("Test-v0");
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "wrong dimension|{\"obs\": [1, 2, 3]}|obs has 3 values; Test-v0 observations have 2",
      "wrong dimension in a batch|{\"obs\": [[1, 2], [3]]}|obs[1] has 1 values; Test-v0 observations have 2",
      "NaN|{\"obs\": [1, NaN]}|obs[1] is NaN; observations must be finite numbers",
      "Infinity|{\"obs\": [-Infinity, 1]}|obs[0] is -Infinity; observations must be finite numbers",
      "beyond float|{\"obs\": [1e39, 1]}|is outside the float range",
      "a string|{\"obs\": [1, \"a\"]}|obs[1] is \"a\"; observations are numbers",
      "null|{\"obs\": [1, null]}|obs[1] is null; observations are numbers",
      "not JSON|obs=1,2|the body is not JSON",
      "truncated JSON|{\"obs\": [1, 2|the body is not JSON",
      "empty body|''|the body must be a JSON object",
      "a list|[1, 2]|the body must be a JSON object",
      "no obs|{\"ob\": [1, 2]}|unknown field \"ob\"",
      "empty obs|{\"obs\": []}|\"obs\" must be a list of 2 numbers",
      "bad flag|{\"obs\": [1, 2], \"value\": \"yes\"}|\"value\" is \"yes\"; it must be true or false"})
  void badInputGets400SayingWhatWasExpected(String what, String body, String message) throws Exception {
    HttpResponse<String> r = post(server, "/act", body);
    assertThat(r.statusCode()).as(what).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).get("error").asText()).as(what).contains(message);
  }

  @Test
  void anOversizedBodyGets400() throws Exception {
    String big = "{\"obs\": [" + "1,".repeat(5000) + "1]}";
    HttpResponse<String> r = post(server, "/act", big);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).get("error").asText()).contains("the limit is 4096 bytes");
    // Still serving.
    assertThat(post(server, "/act", "{\"obs\": [0, 1]}").statusCode()).isEqualTo(200);
  }

  @Test
  void wrongPathsAndMethods() throws Exception {
    assertThat(post(server, "/nope", "{}").statusCode()).isEqualTo(404);
    assertThat(client.send(HttpRequest.newBuilder(uri(server, "/act")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    assertThat(post(server, "/", "{}").statusCode()).isEqualTo(405);
  }

  @Test
  void aThousandConcurrentRequestsWithoutAnError() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int k = i;
        answers.add(pool.submit(() -> {
          float a = (k % 7) / 7f;
          HttpResponse<String> r = post(server, "/act", "{\"obs\": [" + a + ", 0.5]}");
          return r.statusCode() == 200 && JSON.readTree(r.body()).get("action").asInt() == (a > 0.5f ? 0 : 1) ? 1 : 0;
        }));
      }
      int ok = 0;
      for (Future<Integer> f : answers) {
        ok += f.get();
      }
      assertThat(ok).isEqualTo(1000);
    } finally {
      pool.shutdown();
    }
  }
}
