package io.sparkac.jobs;

import io.sparkac.inference.PolicyServer;
import io.sparkac.inference.TrainedPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code serve <run-dir or export dir> [--port P] [--host H]}: a trained policy over HTTP
 * ({@link PolicyServer}: {@code POST /act}, {@code GET /}) until SIGTERM or Ctrl-C, which stop it
 * cleanly. No Spark.
 */
@Command(name = "serve", header = "Serve a trained policy over HTTP (POST /act, GET /).",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "serve <run-dir | export-dir> [--round N] [--port P] [--host H] [--threads T]"
        + " [--max-body-bytes B]",
    description = {"Serve a policy over HTTP until SIGTERM or Ctrl-C. POST /act with {\"obs\": [..]} returns"
        + " {\"action\": a}; with {\"obs\": [[..], ..]} a list; \"logits\": true adds the logits (or mean and"
        + " log_std), \"value\": true V(s). GET / returns policy.json. Bad input gets 400 with what was expected."},
    footer = {"%nExamples:", "  serve runs/cartpole-export",
        "  serve runs/cartpole --round 20 --port 9000",
        "  curl -s -d '{\"obs\": [0.01, 0.02, 0.03, 0.04]}' http://127.0.0.1:8080/act"})
final class ServeJob implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeJob.class);

  @Parameters(arity = "0..1", paramLabel = "<dir>", description = "an export folder, or a run folder")
  String dir;

  @Option(names = "--round", paramLabel = "N", description = "a committed round of a run folder (default: the last)")
  String roundText;

  @Option(names = "--port", paramLabel = "P", description = "the port (default: 8080; 0: any free port)")
  String portText = "8080";

  @Option(names = "--host", paramLabel = "H", description = "the address to bind (default: 127.0.0.1, this machine"
      + " only; 0.0.0.0 for every interface)")
  String host = "127.0.0.1";

  @Option(names = "--threads", paramLabel = "T", description = "request threads (default: 2)")
  String threadsText = "2";

  @Option(names = "--max-body-bytes", paramLabel = "B",
      description = "the largest request body (default: " + PolicyServer.DEFAULT_MAX_BODY_BYTES + ")")
  String maxBodyText = String.valueOf(PolicyServer.DEFAULT_MAX_BODY_BYTES);

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (dir == null) {
      throw new Main.UsageException("serve: an export folder or a run folder is required");
    }
    Integer round = whole("serve", "--round", roundText, 0);
    int port = whole("serve", "--port", portText, 0);
    if (port > 65535) {
      throw new Main.UsageException("serve: --port = " + port + ": must be <= 65535");
    }
    int threads = whole("serve", "--threads", threadsText, 1);
    int maxBody = whole("serve", "--max-body-bytes", maxBodyText, 1);
    TrainedPolicy policy;
    try {
      // A run folder at a Hadoop URI (hdfs:, s3a:) is read through the run package; a local folder
      // may be an export folder or a run folder.
      boolean uri = dir.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") && !dir.startsWith("file:");
      policy = uri ? io.sparkac.export.RunPolicy.read(dir, round)
          : TrainedPolicy.load(Path.of(dir.startsWith("file:") ? java.net.URI.create(dir).getPath() : dir), round);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("serve: " + e.getMessage());
    }
    PolicyServer server;
    try {
      server = new PolicyServer(policy, host, port, maxBody, threads);
    } catch (IOException e) {
      throw new Main.UsageException("serve: cannot listen on " + host + ":" + port + ": " + e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      System.out.println("serve: stopped");
      System.out.flush();
      stopped.countDown();
    }, "serve-shutdown"));
    var a = server.address();
    System.out.printf("serve: %s (round %s of %s) on http://%s:%d/ (POST /act, GET /); stop with Ctrl-C or "
            + "SIGTERM%n", policy.info().env().id(), policy.info().source() == null ? "?" : policy.info().source().round(),
        policy.info().source() == null ? dir : policy.info().source().run(), a.getHostString(), a.getPort());
    System.out.flush();
    log.info("serving {} on {}", dir, a);
    stopped.await();
    return 0;
  }

  /** An option's whole-number value, at least {@code min}; null when the option is not given. */
  static Integer whole(String job, String option, String text, int min) {
    if (text == null) {
      return null;
    }
    int v;
    try {
      v = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new Main.UsageException(job + ": " + option + " = " + text + ": not a whole number");
    }
    if (v < min) {
      throw new Main.UsageException(job + ": " + option + " = " + v + ": must be >= " + min);
    }
    return v;
  }
}
