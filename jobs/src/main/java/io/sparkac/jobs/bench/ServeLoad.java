package io.sparkac.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkac.inference.PolicyServer;
import io.sparkac.inference.TrainedPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback load generator for {@code serve}: {@code ServeLoad <url | export-dir> [requests]
 * [clients] [batches]}. With a URL ({@code http://127.0.0.1:8080}) it loads a running
 * {@code serve}; with an export folder it starts a {@link PolicyServer} in this JVM (2 threads).
 * For each batch size (default: 1 and 256) it sends 200 warm-up requests, then {@code requests}
 * (default 1,000) from {@code clients} threads (default 2), each waiting for its answer before the
 * next, and prints the errors, the p50 and p99 latency and the requests (and observations) per
 * second. Observations are Gaussian (std 0.5) of the policy's size, made before the clock starts.
 */
public final class ServeLoad {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ServeLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ServeLoad <url | export-dir> [requests=1000] [clients=2] [batches=1,256]");
      System.exit(2);
    }
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int[] batches = args.length > 3 ? Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {1, 256};
    PolicyServer local = null;
    String base = args[0];
    if (!base.startsWith("http")) {
      local = new PolicyServer(TrainedPolicy.load(Path.of(base)), "127.0.0.1", 0,
          PolicyServer.DEFAULT_MAX_BODY_BYTES, 2);
      base = "http://127.0.0.1:" + local.address().getPort();
    }
    base = base.replaceAll("/+$", "");
    try {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      JsonNode info = JSON.readTree(client.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      int dims = info.get("observation").get("size").asInt();
      System.out.printf(Locale.ROOT, "serve load: %s (%s, %d observation floats), %d requests per batch size from %d "
          + "clients, %d cores%n", base, info.get("env").get("id").asText(), dims, requests, clients,
          Runtime.getRuntime().availableProcessors());
      for (int batch : batches) {
        List<String> bodies = bodies(requests + 200, batch, dims);
        run(client, base, bodies.subList(0, 200), clients); // warm-up
        Result r = run(client, base, bodies.subList(200, bodies.size()), clients);
        System.out.printf(Locale.ROOT, "batch %4d: %d requests, %d errors, p50 %.3f ms, p99 %.3f ms, %.0f requests/s"
                + " (%.0f observations/s)%n", batch, requests, r.errors, r.percentile(0.50), r.percentile(0.99),
            requests / r.seconds, requests * (double) batch / r.seconds);
      }
    } finally {
      if (local != null) {
        local.close();
      }
    }
  }

  private static List<String> bodies(int n, int batch, int dims) {
    SplittableRandom rng = new SplittableRandom(batch);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      StringBuilder s = new StringBuilder("{\"obs\": ");
      if (batch > 1) {
        s.append('[');
      }
      for (int b = 0; b < batch; b++) {
        s.append(b == 0 ? "[" : ",[");
        for (int k = 0; k < dims; k++) {
          s.append(k == 0 ? "" : ",").append((float) (rng.nextGaussian() * 0.5));
        }
        s.append(']');
      }
      if (batch > 1) {
        s.append(']');
      }
      out.add(s.append('}').toString());
    }
    return out;
  }

  private record Result(double[] millis, int errors, double seconds) {
    double percentile(double q) {
      double[] sorted = millis.clone();
      Arrays.sort(sorted);
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
  }

  private static Result run(HttpClient client, String base, List<String> bodies, int clients) throws Exception {
    URI act = URI.create(base + "/act");
    double[] millis = new double[bodies.size()];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long start = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        done.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
            long t0 = System.nanoTime();
            try {
              HttpResponse<String> r = client.send(HttpRequest.newBuilder(act)
                  .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i))).build(), HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() != 200) {
                errors.incrementAndGet();
              }
            } catch (Exception e) {
              errors.incrementAndGet();
            }
            millis[i] = (System.nanoTime() - t0) / 1e6;
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return new Result(millis, errors.get(), (System.nanoTime() - start) / 1e9);
  }
}
