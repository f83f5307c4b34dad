package io.sparkac.train;

/**
 * One committed round: its manifest entry and its row of {@code metrics.csv}. Returns are of the
 * training episodes that ended during the round (NaN when none did); eval fields are NaN when
 * the round was not evaluated.
 *
 * <p>Timings, in seconds: {@code rollout} is the rollout job on the driver's clock;
 * {@code rolloutCompute} and {@code write} the slowest task's stepping loop and Parquet write;
 * {@code read} gathering the round's rows on the driver (merging the rows the rollout tasks
 * returned; 0 for a streamed round or {@code learner.mode = spark}, whose Spark jobs count in
 * {@code learn}); {@code learn} the learner's update; {@code eval} the
 * evaluation job; {@code checkpoint} the checkpoint and snapshot writes. {@code overhead} is what
 * is neither stepping, inference nor fitting: the round's time less the slowest task's stepping
 * loop, the learner and the evaluation (job scheduling, row conversion, the Parquet write,
 * checkpoint and commit).
 *
 * <p>Parallel mode: {@code group} is the group of actors whose samples the update learned from
 * (-1: all actors, synchronized mode); in asynchronous mode the run's completion order is the
 * sequence of {@code group} over the committed updates, and {@code round} is the update's index.
 * {@code sampleVersion} is the policy version the samples were drawn with (every row of the
 * update has it as {@code policy_version}: one group's job samples with one policy) and
 * {@code staleness = policyVersion - sampleVersion} the updates applied since (0 in sync mode).
 * {@code rhoMean}, {@code rhoMax} and {@code correctedFraction} describe the importance ratios
 * pi/pi_old of the samples and the fraction of weights the correction truncated or zeroed (see
 * {@link io.sparkac.learner.OffPolicyCorrection}); NaN in sync mode.
 *
 * <p>{@code files}: the files the round committed (its Parquet parts, its actor snapshots, its
 * checkpoint), each with its size and CRC32C, paths relative to the run folder; null in entries
 * written before they were recorded.
 */
public record RoundRecord(int round, int policyVersion, long envSteps, long episodes, int episodesInRound,
    double episodeReturnMean, double episodeReturnMin, double episodeReturnMax, double episodeLengthMean,
    double valueLoss, double policyLoss, double entropy, double explainedVariance, double criticGradNorm,
    double actorGradNorm, double evalReturnMean, double evalReturnStd, double evalLengthMean,
    double rolloutSeconds, double rolloutComputeSeconds, double writeSeconds, double readSeconds,
    double learnSeconds, double evalSeconds, double checkpointSeconds, double overheadSeconds, double roundSeconds,
    double wallSeconds, int group, int sampleVersion, int staleness, double rhoMean, double rhoMax,
    double correctedFraction, java.util.List<RunFile> files) {

  /** A round whose committed files are not (yet) recorded. */
  public RoundRecord(int round, int policyVersion, long envSteps, long episodes, int episodesInRound,
      double episodeReturnMean, double episodeReturnMin, double episodeReturnMax, double episodeLengthMean,
      double valueLoss, double policyLoss, double entropy, double explainedVariance, double criticGradNorm,
      double actorGradNorm, double evalReturnMean, double evalReturnStd, double evalLengthMean,
      double rolloutSeconds, double rolloutComputeSeconds, double writeSeconds, double readSeconds,
      double learnSeconds, double evalSeconds, double checkpointSeconds, double overheadSeconds,
      double roundSeconds, double wallSeconds, int group, int sampleVersion, int staleness, double rhoMean,
      double rhoMax, double correctedFraction) {
    this(round, policyVersion, envSteps, episodes, episodesInRound, episodeReturnMean, episodeReturnMin,
        episodeReturnMax, episodeLengthMean, valueLoss, policyLoss, entropy, explainedVariance, criticGradNorm,
        actorGradNorm, evalReturnMean, evalReturnStd, evalLengthMean, rolloutSeconds, rolloutComputeSeconds,
        writeSeconds, readSeconds, learnSeconds, evalSeconds, checkpointSeconds, overheadSeconds, roundSeconds,
        wallSeconds, group, sampleVersion, staleness, rhoMean, rhoMax, correctedFraction, null);
  }

  /** This record with the files the round committed. */
  public RoundRecord withFiles(java.util.List<RunFile> committed) {
    return new RoundRecord(round, policyVersion, envSteps, episodes, episodesInRound, episodeReturnMean,
        episodeReturnMin, episodeReturnMax, episodeLengthMean, valueLoss, policyLoss, entropy, explainedVariance,
        criticGradNorm, actorGradNorm, evalReturnMean, evalReturnStd, evalLengthMean, rolloutSeconds,
        rolloutComputeSeconds, writeSeconds, readSeconds, learnSeconds, evalSeconds, checkpointSeconds,
        overheadSeconds, roundSeconds, wallSeconds, group, sampleVersion, staleness, rhoMean, rhoMax,
        correctedFraction, java.util.List.copyOf(committed));
  }

  /** A synchronized round: all actors, samples of the current policy. */
  public RoundRecord(int round, int policyVersion, long envSteps, long episodes, int episodesInRound,
      double episodeReturnMean, double episodeReturnMin, double episodeReturnMax, double episodeLengthMean,
      double valueLoss, double policyLoss, double entropy, double explainedVariance, double criticGradNorm,
      double actorGradNorm, double evalReturnMean, double evalReturnStd, double evalLengthMean,
      double rolloutSeconds, double rolloutComputeSeconds, double writeSeconds, double readSeconds,
      double learnSeconds, double evalSeconds, double checkpointSeconds, double overheadSeconds,
      double roundSeconds, double wallSeconds) {
    this(round, policyVersion, envSteps, episodes, episodesInRound, episodeReturnMean, episodeReturnMin,
        episodeReturnMax, episodeLengthMean, valueLoss, policyLoss, entropy, explainedVariance, criticGradNorm,
        actorGradNorm, evalReturnMean, evalReturnStd, evalLengthMean, rolloutSeconds, rolloutComputeSeconds,
        writeSeconds, readSeconds, learnSeconds, evalSeconds, checkpointSeconds, overheadSeconds, roundSeconds,
        wallSeconds, -1, policyVersion, 0, Double.NaN, Double.NaN, Double.NaN, null);
  }

  static final String CSV_HEADER = "round,policy_version,env_steps,episodes,episodes_in_round,"
      + "episode_return_mean,episode_return_min,episode_return_max,episode_length_mean,value_loss,policy_loss,"
      + "entropy,explained_variance,critic_grad_norm,actor_grad_norm,eval_return_mean,eval_return_std,"
      + "eval_length_mean,rollout_seconds,rollout_compute_seconds,write_seconds,read_seconds,learn_seconds,"
      + "eval_seconds,checkpoint_seconds,overhead_seconds,round_seconds,wall_seconds,group,sample_version,staleness,"
      + "rho_mean,rho_max,corrected_fraction";

  String csvRow() {
    return round + "," + policyVersion + "," + envSteps + "," + episodes + "," + episodesInRound + ","
        + num(episodeReturnMean) + "," + num(episodeReturnMin) + "," + num(episodeReturnMax) + ","
        + num(episodeLengthMean) + "," + num(valueLoss) + "," + num(policyLoss) + "," + num(entropy) + ","
        + num(explainedVariance) + "," + num(criticGradNorm) + "," + num(actorGradNorm) + ","
        + num(evalReturnMean) + "," + num(evalReturnStd) + "," + num(evalLengthMean) + ","
        + num(rolloutSeconds) + "," + num(rolloutComputeSeconds) + "," + num(writeSeconds) + ","
        + num(readSeconds) + "," + num(learnSeconds) + "," + num(evalSeconds) + "," + num(checkpointSeconds) + ","
        + num(overheadSeconds) + "," + num(roundSeconds) + "," + num(wallSeconds) + "," + group + ","
        + sampleVersion + "," + staleness + "," + num(rhoMean) + "," + num(rhoMax) + "," + num(correctedFraction);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  public boolean evaluated() {
    return !Double.isNaN(evalReturnMean);
  }
}
