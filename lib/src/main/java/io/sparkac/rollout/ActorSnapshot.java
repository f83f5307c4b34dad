package io.sparkac.rollout;

import java.io.Serializable;

/**
 * An actor's state at the end of a round, so that its episode continues in the next round on
 * whichever executor runs it: the environment's internal state and step counter, the current
 * observation, and the actor's episode bookkeeping. No random-number state: every draw derives
 * from (run seed, actor id, round) or (run seed, actor id, episode index).
 */
public record ActorSnapshot(int actorId, double[] envState, int elapsedSteps, float[] obs, long episodeIndex,
    double episodeReturn, int episodeLength) implements Serializable {}
