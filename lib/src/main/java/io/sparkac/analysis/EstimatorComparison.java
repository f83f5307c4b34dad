package io.sparkac.analysis;

import java.util.List;

/**
 * TD(0), GAE(lambda) and Monte-Carlo advantages computed on the same round with the critic that
 * the learner used for it (the critic before the round's update).
 *
 * @param round the round
 * @param gamma the run's discount
 * @param stats one entry per estimator, in the order TD(0), GAE(lambda), Monte-Carlo
 * @param returnStd the standard deviation of the Monte-Carlo return G_t itself: the noise of a
 *     policy gradient without a baseline, to compare with the Monte-Carlo advantages' G_t - V(s_t)
 * @param advantages the advantages of each estimator, row by row, in the order of {@code stats}
 */
public record EstimatorComparison(int round, double gamma, List<EstimatorStats> stats, double returnStd,
    List<double[]> advantages) {

  /** The entry of an estimator by name. */
  public EstimatorStats stats(String estimator) {
    return stats.stream().filter(s -> s.estimator().equals(estimator)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no estimator " + estimator + "; have "
            + stats.stream().map(EstimatorStats::estimator).toList()));
  }
}
