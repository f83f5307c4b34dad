package io.sparkac.inference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TrainedPolicy} over HTTP, with the JDK's own server ({@code com.sun.net.httpserver}):
 *
 * <ul>
 *   <li>{@code GET /}: the policy's description ({@code policy.json}).
 *   <li>{@code POST /act} with {@code {"obs": [..]}} returns {@code {"action": a}}; with a batch
 *       {@code {"obs": [[..], ..]}} it returns {@code {"action": [a, ..]}}. {@code "logits": true}
 *       adds the logits (discrete) or {@code mean} and {@code log_std} (continuous), and
 *       {@code "value": true} V(s). A discrete action is its index, a continuous one a list.
 * </ul>
 * Bad input (not JSON, no or unknown field, a wrong dimension, a non-number, NaN or infinity, a
 * body over the limit) gets 400 with {@code {"error": ".."}} saying what was expected; an unknown
 * path 404, a wrong method 405.
 */
public final class PolicyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyServer.class);
  /** The largest request body accepted by default: 1 MiB (a batch of 256 CartPole rows is about 20 kB). */
  public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
  private static final Set<String> FIELDS = Set.of("obs", "logits", "value");
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  static {
    // The JDK server writes the headers and the body separately; with Nagle's algorithm on, the
    // body waited for the client's delayed ACK: about 40 ms a request on loopback. Read once, when
    // the server's configuration class loads; an explicit -Dsun.net.httpserver.nodelay wins.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final TrainedPolicy policy;
  private final int maxBodyBytes;
  private final HttpServer server;
  private final ExecutorService executor;
  private final byte[] description;

  /** Binds {@code host:port} (port 0: any free port) and starts serving with {@code threads} threads. */
  public PolicyServer(TrainedPolicy policy, String host, int port, int maxBodyBytes, int threads) throws IOException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads = " + threads + ": must be >= 1");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("max body bytes = " + maxBodyBytes + ": must be >= 1");
    }
    this.policy = policy;
    this.maxBodyBytes = maxBodyBytes;
    this.description = policy.infoJson().getBytes(StandardCharsets.UTF_8);
    this.server = HttpServer.create(new InetSocketAddress(host, port), 128);
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "policy-server");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The address the server listens on (with the port it got). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Stops accepting, lets requests in progress finish (up to a second), and stops the threads. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/")) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
          send(ex, 405, error("GET / describes the policy; POST /act acts"));
        } else {
          send(ex, 200, description);
        }
      } else if (path.equals("/act")) {
        if (!method.equals("POST")) {
          send(ex, 405, error("/act takes POST with {\"obs\": [..]} or {\"obs\": [[..], ..]}"));
        } else {
          act(ex);
        }
      } else {
        send(ex, 404, error("no " + path + " here: GET / describes the policy; POST /act acts"));
      }
    } catch (IOException e) {
      log.debug("request failed: {}", e.toString()); // the client went away
    } catch (RuntimeException e) {
      log.error("request failed", e);
      try {
        send(ex, 500, error("internal error: " + e));
      } catch (IOException | RuntimeException ignored) {
        // the response may have started
      }
    }
  }

  private void act(HttpExchange ex) throws IOException {
    byte[] body;
    try {
      body = readBody(ex);
    } catch (BadRequest e) {
      send(ex, 400, error(e.getMessage()));
      return;
    }
    byte[] response;
    try {
      response = JSON.writeValueAsBytes(answer(body));
    } catch (BadRequest | IllegalArgumentException e) {
      send(ex, 400, error(e.getMessage()));
      return;
    }
    send(ex, 200, response);
  }

  /** The answer to one /act request body. */
  ObjectNode answer(byte[] body) {
    JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("the body is not JSON (" + e.getOriginalMessage() + "); expected " + expected());
    } catch (IOException e) {
      throw new BadRequest("cannot read the body: " + e.getMessage());
    }
    if (request == null || !request.isObject()) {
      throw new BadRequest("the body must be a JSON object; expected " + expected());
    }
    for (Iterator<String> it = request.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new BadRequest("unknown field \"" + f + "\"; the fields are obs, logits (true/false), value (true/false)");
      }
    }
    boolean logits = flag(request, "logits");
    boolean value = flag(request, "value");
    if (value && !policy.hasValue()) {
      throw new BadRequest("\"value\": this export has no critic (value.onnx / weights.json critic)");
    }
    JsonNode obs = request.get("obs");
    if (obs == null || !obs.isArray() || obs.isEmpty()) {
      throw new BadRequest("\"obs\" must be a list of " + policy.observationSize() + " numbers, or a list of such "
          + "lists; expected " + expected());
    }
    boolean batch = obs.get(0).isArray();
    float[][] rows;
    if (batch) {
      rows = new float[obs.size()][];
      for (int r = 0; r < rows.length; r++) {
        rows[r] = row(obs.get(r), "obs[" + r + "]");
      }
    } else {
      rows = new float[][] {row(obs, "obs")};
    }
    TrainedPolicy.Outputs out = policy.outputs(rows, value);
    ObjectNode answer = NODES.objectNode();
    if (batch) {
      ArrayNode actions = answer.putArray("action");
      for (float[] a : out.actions()) {
        actions.add(action(a));
      }
      if (logits) {
        if (policy.discrete()) {
          answer.set("logits", matrix(out.logits()));
        } else {
          answer.set("mean", matrix(out.mean()));
          answer.set("log_std", matrix(out.logStd()));
        }
      }
      if (value) {
        answer.set("value", vector(out.value()));
      }
    } else {
      answer.set("action", action(out.actions()[0]));
      if (logits) {
        if (policy.discrete()) {
          answer.set("logits", vector(out.logits()[0]));
        } else {
          answer.set("mean", vector(out.mean()[0]));
          answer.set("log_std", vector(out.logStd()[0]));
        }
      }
      if (value) {
        answer.put("value", out.value()[0]);
      }
    }
    return answer;
  }

  private String expected() {
    return "{\"obs\": [" + policy.observationSize() + " numbers]} or {\"obs\": [[" + policy.observationSize()
        + " numbers], ...]}";
  }

  private static boolean flag(JsonNode request, String name) {
    JsonNode v = request.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new BadRequest("\"" + name + "\" is " + v + "; it must be true or false");
    }
    return v.booleanValue();
  }

  /** One observation: a list of exactly the observation's size of finite numbers. */
  private float[] row(JsonNode node, String where) {
    int d = policy.observationSize();
    if (!node.isArray()) {
      throw new BadRequest(where + " is " + abbreviate(node) + "; it must be a list of " + d + " numbers");
    }
    if (node.size() != d) {
      throw new BadRequest(where + " has " + node.size() + " values; " + envName() + " observations have " + d);
    }
    float[] out = new float[d];
    for (int k = 0; k < d; k++) {
      JsonNode v = node.get(k);
      if (!v.isNumber()) {
        throw new BadRequest(where + "[" + k + "] is " + abbreviate(v) + "; observations are numbers");
      }
      double x = v.doubleValue();
      if (!Double.isFinite(x)) {
        throw new BadRequest(where + "[" + k + "] is " + x + "; observations must be finite numbers");
      }
      float f = (float) x;
      if (!Float.isFinite(f)) {
        throw new BadRequest(where + "[" + k + "] = " + v + " is outside the float range (+-" + Float.MAX_VALUE + ")");
      }
      out[k] = f;
    }
    return out;
  }

  private String envName() {
    return policy.info().env() == null ? "the policy's" : policy.info().env().id();
  }

  private static String abbreviate(JsonNode v) {
    String s = v.toString();
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }

  private JsonNode action(float[] a) {
    if (policy.discrete()) {
      return NODES.numberNode((int) a[0]);
    }
    return vector(a);
  }

  private static ArrayNode vector(float[] v) {
    ArrayNode n = NODES.arrayNode(v.length);
    for (float x : v) {
      n.add(x);
    }
    return n;
  }

  private static ArrayNode matrix(float[][] m) {
    ArrayNode n = NODES.arrayNode(m.length);
    for (float[] row : m) {
      n.add(vector(row));
    }
    return n;
  }

  /** The body, refused past {@code maxBodyBytes} (by its Content-Length, or while reading a chunked one). */
  private byte[] readBody(HttpExchange ex) throws IOException {
    String length = ex.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw new BadRequest("Content-Length = " + length + ": not a number");
      }
      if (n > maxBodyBytes) {
        // Read it first: a client still sending when the connection closes sees a reset, not the 400.
        drain(ex.getRequestBody(), Math.min(n, DRAIN_LIMIT));
        throw new BadRequest(tooLarge(n + " bytes"));
      }
    }
    InputStream in = ex.getRequestBody();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int r;
    while ((r = in.read(buf)) >= 0) {
      out.write(buf, 0, r);
      if (out.size() > maxBodyBytes) {
        drain(in, DRAIN_LIMIT);
        throw new BadRequest(tooLarge("more than " + maxBodyBytes + " bytes"));
      }
    }
    return out.toByteArray();
  }

  /** Bytes of an oversized body read and dropped before the 400; past them the connection is closed. */
  private static final long DRAIN_LIMIT = 64L << 20;

  private static void drain(InputStream in, long max) throws IOException {
    byte[] buf = new byte[65536];
    long total = 0;
    int r;
    while (total < max && (r = in.read(buf)) >= 0) {
      total += r;
    }
  }

  private String tooLarge(String size) {
    return "the body has " + size + "; the limit is " + maxBodyBytes + " bytes (serve --max-body-bytes); send "
        + "smaller batches";
  }

  private static byte[] error(String message) {
    ObjectNode n = NODES.objectNode();
    n.put("error", message);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** A request the server refuses with 400. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }
}
