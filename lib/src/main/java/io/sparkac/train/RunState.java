package io.sparkac.train;

/** The training counters saved with each checkpoint ({@code state.json}). */
public record RunState(int round, int policyVersion, long envSteps, long episodes, long seed, double wallSeconds,
    String config) {}
