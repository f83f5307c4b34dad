package io.sparkac.rollout;

import java.util.List;

/**
 * The figures of an evaluation: mean, standard deviation (population), min and max of the
 * episode returns, and the mean episode length. The mean and the standard deviation are computed
 * as the training loop computes the figures it commits to the manifest (a DoubleStream average
 * over episodes in index order), so an evaluation of the same checkpoint with the same episodes
 * gives the same bits.
 */
public record EvalSummary(int episodes, double returnMean, double returnStd, double returnMin, double returnMax,
    double lengthMean) {

  public static EvalSummary of(List<EvalTask.Episode> episodes) {
    if (episodes.isEmpty()) {
      throw new IllegalArgumentException("an evaluation summary needs at least one episode, got none");
    }
    double mean = episodes.stream().mapToDouble(EvalTask.Episode::episodeReturn).average().orElseThrow();
    double var = episodes.stream().mapToDouble(e -> (e.episodeReturn() - mean) * (e.episodeReturn() - mean))
        .average().orElseThrow();
    double min = episodes.stream().mapToDouble(EvalTask.Episode::episodeReturn).min().orElseThrow();
    double max = episodes.stream().mapToDouble(EvalTask.Episode::episodeReturn).max().orElseThrow();
    double len = episodes.stream().mapToInt(EvalTask.Episode::length).average().orElseThrow();
    return new EvalSummary(episodes.size(), mean, Math.sqrt(var), min, max, len);
  }
}
