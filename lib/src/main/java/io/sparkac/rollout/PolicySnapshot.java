package io.sparkac.rollout;

import io.sparkac.nn.MlpWeights;
import io.sparkac.policy.ObservationNormalizer;
import java.io.Serializable;

/**
 * What the driver broadcasts to the rollout of one round: the policy and critic weights as plain
 * arrays, the observation statistics (null when observations are not normalised) and the
 * actors' snapshots from the previous round (null entries: fresh actors).
 */
public record PolicySnapshot(int round, int policyVersion, MlpWeights actor, MlpWeights critic,
    ObservationNormalizer normalizer, ActorSnapshot[] actors) implements Serializable {}
