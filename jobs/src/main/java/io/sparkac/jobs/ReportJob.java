package io.sparkac.jobs;

import io.sparkac.analysis.RunFigures;
import io.sparkac.analysis.RunsReport;
import io.sparkac.run.RunLayout;
import io.sparkac.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import scala.Tuple2;

/**
 * {@code report <run> [<run> ...] [--out DIR]}: the charts of one run, or of several overlaid
 * (each run in its own colour), and an {@code index.html} that shows them with each run's
 * configuration; see {@link RunsReport}. It starts no Spark session: it reads the manifest
 * entries, the evaluation episodes in {@code eval/} and a few rounds' Parquet columns in plain
 * Java ({@link RunFigures}), which takes seconds where a Spark session and its jobs took tens.
 */
@Command(name = "report", header = "Write the charts of one or several runs and an HTML page with their configs.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Write PNG charts and an index.html for one run, or for several overlaid: learning curves by env"
        + " steps and by wall time, the evaluation's mean with a band of one standard deviation, the episode-length"
        + " distribution of the last rounds, time per round, env steps per second, losses, entropy, explained"
        + " variance and action frequencies. Into <run-dir>/report/ (the first run's with several), or --out."},
    footer = {"%nExample:", "  report runs/cartpole", "  report runs/cartpole runs/cartpole-seed2 --out runs/compare"})
final class ReportJob implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ReportJob.class);

  @Parameters(arity = "0..*", paramLabel = "<run-dir>", description = "the run folders")
  List<String> runDirs = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "where the charts and index.html go (default: the first"
      + " run's report/ folder)")
  String out;

  @Override
  public Integer call() {
    if (runDirs.isEmpty()) {
      throw new Main.UsageException("report: at least one run folder is required");
    }
    Storage storage = new Storage(hadoopConf());
    Path index;
    try {
      index = write(storage, runDirs, out);
    } catch (IllegalArgumentException e) { // a folder that is not a run
      System.err.println("error: report: " + e.getMessage());
      return 2;
    }
    System.out.println("report: " + index);
    return 0;
  }

  /** Writes the report; returns the path of its {@code index.html}. */
  static Path write(Storage storage, List<String> runDirs, String out) {
    long t0 = System.nanoTime();
    List<RunFigures> runs = new ArrayList<>();
    for (String dir : runDirs) {
      runs.add(RunFigures.read(storage, dir));
    }
    long t1 = System.nanoTime();
    Path dir = out != null ? new Path(out) : RunLayout.of(runDirs.get(0)).report();
    Path index = RunsReport.write(storage, runs, dir);
    log.info("report: read {} run(s) in {} s, drew and wrote the charts in {} s", runs.size(),
        String.format("%.2f", (t1 - t0) / 1e9), String.format("%.2f", (System.nanoTime() - t1) / 1e9));
    return index;
  }

  /**
   * Hadoop's configuration with the {@code spark.hadoop.*} settings that spark-submit passes (as
   * a Spark session would apply them), without starting Spark.
   */
  static Configuration hadoopConf() {
    Configuration conf = new Configuration();
    for (Tuple2<String, String> kv : new SparkConf(true).getAll()) {
      if (kv._1().startsWith("spark.hadoop.")) {
        conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
      }
    }
    return conf;
  }
}
