package io.sparkac.run;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkac.learner.LearnerStats;
import io.sparkac.rollout.RolloutResult;
import java.util.List;
import java.util.function.Function;

/**
 * One committed round (in asynchronous mode, one update): its manifest entry and its row of
 * {@code metrics.csv}, built from named parts. The JSON entry is flat (every part's fields at
 * the top level), as manifests have always been written, with {@code files}: the files the round
 * committed (its Parquet parts, its actor snapshots, its checkpoint), each with its size and
 * CRC32C, paths relative to the run folder; null in entries written before they were recorded.
 */
public record RoundRecord(int round, int policyVersion, @JsonUnwrapped Totals totals,
    @JsonUnwrapped Episodes episodes, @JsonUnwrapped Losses losses, @JsonUnwrapped Eval eval,
    @JsonUnwrapped Phases phases, @JsonUnwrapped Source source, List<RunFile> files) {

  /** The run's totals once the round is committed. */
  public record Totals(long envSteps, long episodes) {}

  /**
   * The training episodes that ended during the round (returns and lengths NaN when none did).
   */
  public record Episodes(int episodesInRound, double episodeReturnMean, double episodeReturnMin,
      double episodeReturnMax, double episodeLengthMean) {
    public static Episodes of(List<RolloutResult> parts) {
      int n = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double len = 0;
      for (RolloutResult p : parts) {
        for (int i = 0; i < p.episodeReturns().length; i++) {
          double r = p.episodeReturns()[i];
          n++;
          sum += r;
          min = Math.min(min, r);
          max = Math.max(max, r);
          len += p.episodeLengths()[i];
        }
      }
      return n == 0 ? new Episodes(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN)
          : new Episodes(n, sum / n, min, max, len / n);
    }
  }

  /** What the learner measured on the round's samples, with the networks as they were before the update. */
  public record Losses(double valueLoss, double policyLoss, double entropy, double explainedVariance,
      double criticGradNorm, double actorGradNorm) {
    public static Losses of(LearnerStats s) {
      return new Losses(s.valueLoss(), s.policyLoss(), s.entropy(), s.explainedVariance(), s.criticGradNorm(),
          s.actorGradNorm());
    }
  }

  /** The greedy evaluation of the updated policy; NaN when the round was not evaluated. */
  public record Eval(double evalReturnMean, double evalReturnStd, double evalLengthMean) {
    public static final Eval NONE = new Eval(Double.NaN, Double.NaN, Double.NaN);

    /** Mean and standard deviation of the return, mean length, of evaluation episodes. */
    public static Eval of(List<io.sparkac.rollout.EvalTask.Episode> episodes) {
      double mean = episodes.stream().mapToDouble(io.sparkac.rollout.EvalTask.Episode::episodeReturn).average()
          .orElse(Double.NaN);
      double var = episodes.stream().mapToDouble(e -> (e.episodeReturn() - mean) * (e.episodeReturn() - mean))
          .average().orElse(Double.NaN);
      double len = episodes.stream().mapToInt(io.sparkac.rollout.EvalTask.Episode::length).average()
          .orElse(Double.NaN);
      return new Eval(mean, Math.sqrt(var), len);
    }

    @JsonIgnore
    public boolean evaluated() {
      return !Double.isNaN(evalReturnMean);
    }
  }

  /**
   * Where the round's time went, in seconds. {@code rollout} is the wait for the rollout job on
   * the driver's clock; {@code rolloutCompute} and {@code write} the slowest task's stepping loop
   * and Parquet write; {@code read} gathering the round's rows on the driver (0 for a streamed
   * round or {@code learner.mode = spark}, whose Spark jobs count in {@code learn}); {@code learn}
   * the learner's update; {@code eval} the evaluation job; {@code checkpoint} the checkpoint and
   * snapshot writes. {@code overhead} is what is neither stepping, inference nor fitting: the
   * round's time less the sampling the driver waited for (the slowest task's stepping loop, or
   * less when an asynchronous group's job had already run), the learner and the evaluation.
   */
  public record Phases(double rolloutSeconds, double rolloutComputeSeconds, double writeSeconds, double readSeconds,
      double learnSeconds, double evalSeconds, double checkpointSeconds, double overheadSeconds, double roundSeconds,
      double wallSeconds) {
    public static Phases of(long rollout, long compute, long write, long read, long learn, long eval, long checkpoint,
        long total, double wallSeconds) {
      long overhead = total - Math.min(rollout, compute) - learn - eval;
      return new Phases(rollout / 1e9, compute / 1e9, write / 1e9, read / 1e9, learn / 1e9, eval / 1e9,
          checkpoint / 1e9, overhead / 1e9, total / 1e9, wallSeconds);
    }
  }

  /**
   * Which samples the update learned from. {@code group} is the group of actors (-1: all actors,
   * synchronized mode); in asynchronous mode the run's completion order is the sequence of
   * {@code group} over the committed updates, and {@code round} is the update's index.
   * {@code sampleVersion} is the policy version the samples were drawn with (every row of the
   * update has it as {@code policy_version}) and {@code staleness = policyVersion - sampleVersion}
   * the updates applied since (0 in sync mode). {@code rhoMean}, {@code rhoMax} and
   * {@code correctedFraction} describe the importance ratios pi/pi_old of the samples and the
   * fraction of weights the correction truncated or zeroed (see
   * {@link io.sparkac.learner.OffPolicyCorrection}); NaN in sync mode.
   */
  public record Source(int group, int sampleVersion, int staleness, double rhoMean, double rhoMax,
      double correctedFraction) {
    /** A synchronized round: all actors, samples of the current policy. */
    public static Source synchronous(int version) {
      return new Source(-1, version, 0, Double.NaN, Double.NaN, Double.NaN);
    }
  }

  /**
   * Reads a manifest entry: the flat JSON object that the parts were unwrapped into (Jackson
   * cannot bind {@code @JsonUnwrapped} record components itself).
   */
  static RoundRecord fromJson(JsonNode flat) throws JsonProcessingException {
    return new RoundRecord(flat.get("round").asInt(), flat.get("policyVersion").asInt(),
        Checkpoints.JSON.treeToValue(flat, Totals.class), Checkpoints.JSON.treeToValue(flat, Episodes.class),
        Checkpoints.JSON.treeToValue(flat, Losses.class), Checkpoints.JSON.treeToValue(flat, Eval.class),
        Checkpoints.JSON.treeToValue(flat, Phases.class), Checkpoints.JSON.treeToValue(flat, Source.class),
        flat.hasNonNull("files") ? List.of(Checkpoints.JSON.treeToValue(flat.get("files"), RunFile[].class)) : null);
  }

  /** A column of {@code metrics.csv}: its name, its type (int, long or double) and its value in a record. */
  public record Column(String name, Class<?> type, Function<RoundRecord, Number> value) {}

  /** The columns of {@code metrics.csv} and of the analysis' metrics table, in order. */
  public static final List<Column> COLUMNS = List.of(
      new Column("round", int.class, RoundRecord::round),
      new Column("policy_version", int.class, RoundRecord::policyVersion),
      new Column("env_steps", long.class, r -> r.totals.envSteps()),
      new Column("episodes", long.class, r -> r.totals.episodes()),
      new Column("episodes_in_round", int.class, r -> r.episodes.episodesInRound()),
      new Column("episode_return_mean", double.class, r -> r.episodes.episodeReturnMean()),
      new Column("episode_return_min", double.class, r -> r.episodes.episodeReturnMin()),
      new Column("episode_return_max", double.class, r -> r.episodes.episodeReturnMax()),
      new Column("episode_length_mean", double.class, r -> r.episodes.episodeLengthMean()),
      new Column("value_loss", double.class, r -> r.losses.valueLoss()),
      new Column("policy_loss", double.class, r -> r.losses.policyLoss()),
      new Column("entropy", double.class, r -> r.losses.entropy()),
      new Column("explained_variance", double.class, r -> r.losses.explainedVariance()),
      new Column("critic_grad_norm", double.class, r -> r.losses.criticGradNorm()),
      new Column("actor_grad_norm", double.class, r -> r.losses.actorGradNorm()),
      new Column("eval_return_mean", double.class, r -> r.eval.evalReturnMean()),
      new Column("eval_return_std", double.class, r -> r.eval.evalReturnStd()),
      new Column("eval_length_mean", double.class, r -> r.eval.evalLengthMean()),
      new Column("rollout_seconds", double.class, r -> r.phases.rolloutSeconds()),
      new Column("rollout_compute_seconds", double.class, r -> r.phases.rolloutComputeSeconds()),
      new Column("write_seconds", double.class, r -> r.phases.writeSeconds()),
      new Column("read_seconds", double.class, r -> r.phases.readSeconds()),
      new Column("learn_seconds", double.class, r -> r.phases.learnSeconds()),
      new Column("eval_seconds", double.class, r -> r.phases.evalSeconds()),
      new Column("checkpoint_seconds", double.class, r -> r.phases.checkpointSeconds()),
      new Column("overhead_seconds", double.class, r -> r.phases.overheadSeconds()),
      new Column("round_seconds", double.class, r -> r.phases.roundSeconds()),
      new Column("wall_seconds", double.class, r -> r.phases.wallSeconds()),
      new Column("group", int.class, r -> r.source.group()),
      new Column("sample_version", int.class, r -> r.source.sampleVersion()),
      new Column("staleness", int.class, r -> r.source.staleness()),
      new Column("rho_mean", double.class, r -> r.source.rhoMean()),
      new Column("rho_max", double.class, r -> r.source.rhoMax()),
      new Column("corrected_fraction", double.class, r -> r.source.correctedFraction()));
  public boolean evaluated() {
    return eval.evaluated();
  }
}
