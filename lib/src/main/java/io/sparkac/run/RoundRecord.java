package io.sparkac.run;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkac.learner.LearnerStats;
import io.sparkac.rollout.RolloutResult;
import java.util.List;
import java.util.function.Function;

/**
 * One committed round (in asynchronous mode, one update): its manifest entry and its row of
 * {@code metrics.csv}, built from named parts. The JSON entry ({@link #toJson}) is flat: the
 * columns of {@code metrics.csv} under the same snake_case names, {@code null} for a missing
 * value, with {@code files}: the files the round committed (its Parquet parts, its actor
 * snapshots, its checkpoint), each with its size and CRC32C, paths relative to the run folder;
 * absent in entries written before they were recorded.
 */
public record RoundRecord(int round, int policyVersion, Totals totals,
    Episodes episodes, Losses losses, Eval eval,
    Phases phases, Source source, List<RunFile> files) {

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
   * synchronized mode; {@code actor_group} in the tables, which a synchronized run does not have); in asynchronous mode the run's completion order is the sequence of
   * {@code group} over the committed updates, and {@code round} is the update's index.
   * {@code sampleVersion} is the policy version the samples were drawn with (every row of the
   * update has it as {@code policy_version}) and {@code staleness = policyVersion - sampleVersion}
   * the updates applied since (0 in sync mode). {@code rhoMean}, {@code rhoMax} and
   * {@code correctedFraction} describe the importance ratios pi/pi_old of the samples and the
   * fraction of weights the correction truncated or zeroed (see
   * {@link io.sparkac.learner.OffPolicyCorrection}); NaN in sync mode, whose tables do not have them.
   */
  public record Source(int group, int sampleVersion, int staleness, double rhoMean, double rhoMax,
      double correctedFraction) {
    /** A synchronized round: all actors, samples of the current policy. */
    public static Source synchronous(int version) {
      return new Source(-1, version, 0, Double.NaN, Double.NaN, Double.NaN);
    }
  }

  /**
   * The version of the run folder's format, written into every manifest entry
   * ({@code schema_version}) and every trajectory file's Parquet metadata. 1: entries in
   * camelCase with {@code "NaN"} for missing values (read still); 2: snake_case keys, the columns
   * of {@code metrics.csv}, {@code null} for missing values, async-only keys in async runs only.
   */
  public static final int SCHEMA_VERSION = 2;

  /** Whether the record is an asynchronous update (it names its group of actors). */
  @JsonIgnore
  public boolean async() {
    return source.group() >= 0;
  }

  /**
   * The manifest entry: {@code schema_version}, the {@link #columns} of the record's mode by their
   * {@code metrics.csv} names, {@code null} for a missing value (not evaluated, no episode ended),
   * then {@code files}.
   */
  public ObjectNode toJson() {
    ObjectNode o = Checkpoints.JSON.createObjectNode();
    o.put("schema_version", SCHEMA_VERSION);
    for (Column c : columns(async())) {
      Number v = c.value().apply(this);
      if (v instanceof Double d) {
        if (d.isNaN()) {
          o.putNull(c.name());
        } else {
          o.put(c.name(), d);
        }
      } else if (v instanceof Long l) {
        o.put(c.name(), l);
      } else {
        o.put(c.name(), v.intValue());
      }
    }
    if (files != null) {
      o.set("files", Checkpoints.JSON.valueToTree(files));
    }
    return o;
  }

  /**
   * Reads a manifest entry: the flat JSON object of {@link #toJson}, or an entry of schema version
   * 1 (camelCase keys, {@code "NaN"} for missing values, written before this format).
   */
  static RoundRecord fromJson(JsonNode flat) throws JsonProcessingException {
    Entry e = new Entry(flat);
    return new RoundRecord(e.integer("round"), e.integer("policy_version"),
        new Totals(e.longValue("env_steps"), e.longValue("episodes")),
        new Episodes(e.integer("episodes_in_round"), e.dbl("episode_return_mean"), e.dbl("episode_return_min"),
            e.dbl("episode_return_max"), e.dbl("episode_length_mean")),
        new Losses(e.dbl("value_loss"), e.dbl("policy_loss"), e.dbl("entropy"), e.dbl("explained_variance"),
            e.dbl("critic_grad_norm"), e.dbl("actor_grad_norm")),
        new Eval(e.dbl("eval_return_mean"), e.dbl("eval_return_std"), e.dbl("eval_length_mean")),
        new Phases(e.dbl("rollout_seconds"), e.dbl("rollout_compute_seconds"), e.dbl("write_seconds"),
            e.dbl("read_seconds"), e.dbl("learn_seconds"), e.dbl("eval_seconds"), e.dbl("checkpoint_seconds"),
            e.dbl("overhead_seconds"), e.dbl("round_seconds"), e.dbl("wall_seconds")),
        new Source(e.has("actor_group") ? e.integer("actor_group") : -1, e.integer("sample_version"),
            e.integer("staleness"), e.dbl("rho_mean"), e.dbl("rho_max"), e.dbl("corrected_fraction")),
        flat.hasNonNull("files") ? List.of(Checkpoints.JSON.treeToValue(flat.get("files"), RunFile[].class)) : null);
  }

  /** A manifest entry's values by their snake_case names, found under the version-1 (camelCase) name too. */
  private record Entry(JsonNode flat) {
    JsonNode get(String name) {
      JsonNode v = flat.get(name);
      return v != null ? v : flat.get(camelCase(name));
    }

    boolean has(String name) {
      JsonNode v = get(name);
      return v != null && !v.isNull();
    }

    int integer(String name) {
      return get(name).asInt();
    }

    long longValue(String name) {
      return get(name).asLong();
    }

    /** NaN for a missing value: absent, null, or version 1's {@code "NaN"}. */
    double dbl(String name) {
      JsonNode v = get(name);
      return v == null || v.isNull() ? Double.NaN : v.isTextual() ? Double.parseDouble(v.asText()) : v.asDouble();
    }

    /** Version 1's key: {@code eval_return_mean -> evalReturnMean}; {@code actor_group} was {@code group}. */
    static String camelCase(String snake) {
      if (snake.equals("actor_group")) {
        return "group";
      }
      StringBuilder sb = new StringBuilder();
      boolean up = false;
      for (char ch : snake.toCharArray()) {
        if (ch == '_') {
          up = true;
        } else {
          sb.append(up ? Character.toUpperCase(ch) : ch);
          up = false;
        }
      }
      return sb.toString();
    }
  }

  /**
   * A column of {@code metrics.csv} and key of a manifest entry: its name, its type (int, long or
   * double), its value in a record, and whether only asynchronous runs have it (a synchronized run
   * has no group, and no importance ratios).
   */
  public record Column(String name, Class<?> type, Function<RoundRecord, Number> value, boolean asyncOnly) {
    Column(String name, Class<?> type, Function<RoundRecord, Number> value) {
      this(name, type, value, false);
    }
  }

  /** The columns of a synchronized ({@code async} false) or an asynchronous run, in order. */
  public static List<Column> columns(boolean async) {
    return async ? COLUMNS : COLUMNS.stream().filter(c -> !c.asyncOnly()).toList();
  }

  /**
   * Every column, in order: those of {@code metrics.csv} in an asynchronous run, and of the
   * analysis' metrics table. {@code actor_group} is the group of actors of an asynchronous update
   * (not {@code group}, a reserved word of SQL).
   */
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
      new Column("sample_version", int.class, r -> r.source.sampleVersion()),
      new Column("staleness", int.class, r -> r.source.staleness()),
      new Column("actor_group", int.class, r -> r.source.group(), true),
      new Column("rho_mean", double.class, r -> r.source.rhoMean(), true),
      new Column("rho_max", double.class, r -> r.source.rhoMax(), true),
      new Column("corrected_fraction", double.class, r -> r.source.correctedFraction(), true));

  public boolean evaluated() {
    return eval.evaluated();
  }
}
