package io.sparkac.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The actor split: contiguous near-equal ranges, grouped in async mode by splitting the ranges the
 * same way; the configuration's samples per update (which sizes driver-max-samples and the memory
 * check) are the largest group's, as the rollout runs it.
 */
class ActorRangeTest {
  @Test
  void splitsActorsIntoContiguousNearEqualRanges() {
    assertThat(ActorRange.split(10, 4)).containsExactly(new ActorRange(0, 2), new ActorRange(2, 5),
        new ActorRange(5, 7), new ActorRange(7, 10));
  }

  @Test
  void samplesPerUpdateAreTheLargestGroupsAsTheRolloutGroupsThem() {
    for (int actors = 1; actors <= 9; actors++) {
      for (int partitions = 1; partitions <= actors; partitions++) {
        for (int groups = 1; groups <= partitions; groups++) {
          TrainConfig.Rollout rollout = new TrainConfig.Rollout(actors, 3, partitions);
          TrainConfig.Parallel async = new TrainConfig.Parallel(TrainConfig.ParallelMode.ASYNC, groups,
              TrainConfig.Correction.NONE, 0.2, 1.0, "", 0);
          // As Rollout.groups builds a group's job: partitions [g*P/G, (g+1)*P/G) of the actor split.
          List<ActorRange> ranges = ActorRange.split(actors, partitions);
          int largest = 0;
          for (ActorRange g : ActorRange.split(partitions, groups)) {
            largest = Math.max(largest, ranges.subList(g.from(), g.to()).stream().mapToInt(ActorRange::size).sum());
          }
          assertThat(TrainConfig.samplesPerUpdate(rollout, async))
              .as("%d actors, %d partitions, %d groups", actors, partitions, groups).isEqualTo(3L * largest);
        }
      }
    }
  }
}
