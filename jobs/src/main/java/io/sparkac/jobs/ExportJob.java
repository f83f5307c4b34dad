package io.sparkac.jobs;

import io.sparkac.export.PolicyExport;
import io.sparkac.export.RunPolicy;
import io.sparkac.inference.PolicyInfo;
import io.sparkac.inference.TrainedPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code export <run-dir> [--round N] [--out DIR]}: writes a committed round's policy as
 * {@code policy.onnx} (the actor, ONNX opset 17, the observation normalisation folded in),
 * {@code value.onnx} (the critic), {@code policy.json} (spaces, bounds, normalisation, source,
 * ONNX names) and {@code weights.json} (for {@code io.sparkac.inference.TrainedPolicy}). No Spark.
 */
@Command(name = "export", header = "Export a committed round's policy as ONNX and JSON.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    customSynopsis = "export <run-dir> [--round N] [--out DIR] [--exact]",
    description = {"Write a committed round's policy (default: the last round) into DIR (default: <run-dir>-export):"
        + " policy.onnx (the actor, ONNX opset 17, normalisation folded in; outputs logits and the greedy action, or"
        + " the Gaussian mean, log-std and the greedy action), value.onnx (the critic), policy.json (what the policy"
        + " is and where it came from) and weights.json (for TrainedPolicy and serve)."},
    footer = {"%nExamples:", "  export runs/cartpole", "  export runs/cartpole --round 20 --out /tmp/cartpole-policy",
        "  export runs/pendulum --exact"})
final class ExportJob implements Callable<Integer> {
  @Parameters(arity = "0..1", paramLabel = "<run-dir>", description = "the run folder")
  String runDir;

  @Option(names = "--round", paramLabel = "N", description = "a committed round (default: the last)")
  String roundText;

  @Option(names = "--out", paramLabel = "DIR", description = "the export folder (default: <run-dir>-export)")
  String out;

  @Option(names = "--exact", description = "ONNX layers in the project's order of float operations (ONNX Runtime"
      + " then gives TrainedPolicy's outputs bit for bit; a larger, slower graph) instead of MatMul and Tanh")
  boolean exact;

  @Override
  public Integer call() throws IOException {
    if (runDir == null) {
      throw new Main.UsageException("export: the run folder is required");
    }
    Integer round = ServeJob.whole("export", "--round", roundText, 0);
    Path target = Path.of(out != null ? out : defaultOut(runDir));
    TrainedPolicy policy;
    List<Path> written;
    try {
      policy = RunPolicy.read(runDir, round);
      written = PolicyExport.write(policy, target, exact);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException("export: " + e.getMessage());
    }
    PolicyInfo.Source s = policy.info().source();
    System.out.printf("export %s round %d (%s, %s) -> %s%n", runDir, s.round(), policy.info().env().id(),
        policy.info().normalization() == null ? "no observation normalisation" : "observation normalisation folded in",
        target);
    for (Path p : written) {
      System.out.println("  " + p);
    }
    return 0;
  }

  /** {@code <run-dir>-export} beside a local run folder; a run folder at a URI needs --out. */
  static String defaultOut(String runDir) {
    if (runDir.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !runDir.startsWith("file:")) {
      throw new Main.UsageException("export: " + runDir + " is not on the local disk; give --out DIR");
    }
    String local = runDir.startsWith("file:") ? java.net.URI.create(runDir).getPath() : runDir;
    return local.replaceAll("/+$", "") + "-export";
  }
}
