package io.sparkac.rollout;

import io.sparkac.nn.MlpWeights;
import java.io.Serializable;

/**
 * What the driver broadcasts to the rollout of one round: the policy and critic weights as plain
 * arrays and the actors' snapshots from the previous round (null entries: fresh actors).
 */
public record PolicySnapshot(int round, int policyVersion, MlpWeights actor, MlpWeights critic,
    ActorSnapshot[] actors) implements Serializable {}
