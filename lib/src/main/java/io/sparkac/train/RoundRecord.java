package io.sparkac.train;

/**
 * One committed round: its manifest entry and its row of {@code metrics.csv}. Returns are of the
 * training episodes that ended during the round (NaN when none did); eval fields are NaN when
 * the round was not evaluated.
 *
 * <p>Timings, in seconds: {@code rollout} is the rollout job on the driver's clock;
 * {@code rolloutCompute} and {@code write} the slowest task's stepping loop and Parquet write;
 * {@code read} reading the round back; {@code learn} the learner's update; {@code eval} the
 * evaluation job; {@code checkpoint} the checkpoint and snapshot writes. {@code overhead} is what
 * is neither stepping, inference nor fitting: the round's time less the slowest task's stepping
 * loop, the learner and the evaluation (job scheduling, row conversion, Parquet write and read,
 * checkpoint and commit).
 */
public record RoundRecord(int round, int policyVersion, long envSteps, long episodes, int episodesInRound,
    double episodeReturnMean, double episodeReturnMin, double episodeReturnMax, double episodeLengthMean,
    double valueLoss, double policyLoss, double entropy, double explainedVariance, double criticGradNorm,
    double actorGradNorm, double evalReturnMean, double evalReturnStd, double evalLengthMean,
    double rolloutSeconds, double rolloutComputeSeconds, double writeSeconds, double readSeconds,
    double learnSeconds, double evalSeconds, double checkpointSeconds, double overheadSeconds, double roundSeconds,
    double wallSeconds) {

  static final String CSV_HEADER = "round,policy_version,env_steps,episodes,episodes_in_round,"
      + "episode_return_mean,episode_return_min,episode_return_max,episode_length_mean,value_loss,policy_loss,"
      + "entropy,explained_variance,critic_grad_norm,actor_grad_norm,eval_return_mean,eval_return_std,"
      + "eval_length_mean,rollout_seconds,rollout_compute_seconds,write_seconds,read_seconds,learn_seconds,"
      + "eval_seconds,checkpoint_seconds,overhead_seconds,round_seconds,wall_seconds";

  String csvRow() {
    return round + "," + policyVersion + "," + envSteps + "," + episodes + "," + episodesInRound + ","
        + num(episodeReturnMean) + "," + num(episodeReturnMin) + "," + num(episodeReturnMax) + ","
        + num(episodeLengthMean) + "," + num(valueLoss) + "," + num(policyLoss) + "," + num(entropy) + ","
        + num(explainedVariance) + "," + num(criticGradNorm) + "," + num(actorGradNorm) + ","
        + num(evalReturnMean) + "," + num(evalReturnStd) + "," + num(evalLengthMean) + ","
        + num(rolloutSeconds) + "," + num(rolloutComputeSeconds) + "," + num(writeSeconds) + ","
        + num(readSeconds) + "," + num(learnSeconds) + "," + num(evalSeconds) + "," + num(checkpointSeconds) + ","
        + num(overheadSeconds) + "," + num(roundSeconds) + "," + num(wallSeconds);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  public boolean evaluated() {
    return !Double.isNaN(evalReturnMean);
  }
}
