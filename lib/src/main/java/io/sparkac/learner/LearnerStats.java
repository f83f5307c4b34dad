package io.sparkac.learner;

/**
 * What one synchronized update measured. Losses, entropy and explained variance are computed
 * on the round's samples with the networks as they were before the update.
 */
public record LearnerStats(int samples, double valueLoss, double policyLoss, double entropy,
    double explainedVariance, double advantageMean, double advantageStd, double criticGradNorm,
    double actorGradNorm, long criticNanos, long actorNanos) {}
