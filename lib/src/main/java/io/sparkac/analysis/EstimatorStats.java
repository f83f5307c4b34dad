package io.sparkac.analysis;

/**
 * One advantage estimator on one round: the statistics of its advantages A_t and of its critic
 * targets y_t = A_t + V(s_t), and how far the targets are from the Monte-Carlo return G_t (the
 * lambda = 1 target, bootstrapped only where the data is cut).
 *
 * @param estimator "TD(0)", "GAE(lambda)" or "Monte-Carlo"
 * @param lambda 0 for TD(0), 1 for Monte-Carlo
 * @param rows the steps of the round
 * @param advantageMean mean of A_t
 * @param advantageStd standard deviation (population) of A_t: the noise the actor's gradient sees
 * @param targetMean mean of y_t
 * @param targetStd standard deviation of y_t
 * @param biasVsMonteCarlo mean of (y_t - G_t): what bootstrapping from the critic adds
 * @param rmseVsMonteCarlo root mean square of (y_t - G_t)
 */
public record EstimatorStats(String estimator, double lambda, int rows, double advantageMean, double advantageStd,
    double targetMean, double targetStd, double biasVsMonteCarlo, double rmseVsMonteCarlo) {}
