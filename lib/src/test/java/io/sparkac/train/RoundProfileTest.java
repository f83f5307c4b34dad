package io.sparkac.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** train --profile's lines: one per round, and the medians over the warm rounds. */
class RoundProfileTest {
  /** A round whose phases are given in milliseconds, in the order of {@link RoundProfile.Phase}. */
  static RoundProfile.Round round(int u, long... ms) {
    long[] nanos = new long[ms.length];
    long total = 0;
    for (int i = 0; i < ms.length; i++) {
      nanos[i] = ms[i] * 1_000_000L;
    }
    for (RoundProfile.Phase p : new RoundProfile.Phase[] {RoundProfile.Phase.ROLLOUT, RoundProfile.Phase.LEARN,
        RoundProfile.Phase.EVAL, RoundProfile.Phase.WAIT}) {
      total += nanos[p.ordinal()];
    }
    return new RoundProfile.Round(u, nanos, total, 1024);
  }

  @Test
  void aRoundsLineNamesEveryPhaseTheSparkJobIsTheRolloutLessItsSlowestTaskAndTheRoundIsTheCriticalPath() {
    // rollout 60 (step 1, write 15), learn 30 (read 0), eval 0, commit wait 1; off the critical
    // path: snapshots 2, checkpoint 10, manifest 3, metrics 2
    String line = RoundProfile.line(round(7, 60, 1, 15, 30, 0, 0, 1, 2, 10, 3, 2));

    assertThat(line).isEqualTo("profile round 7 | rollout 60.0 ms (step 1.0, write 15.0, job 44.0)"
        + " | learn 30.0 (read 0.0) | eval 0.0 | commit wait 1.0 | round 91.0 ms, 11,253 env steps/s"
        + " | off the critical path: snapshots 2.0, checkpoint 10.0, commit 5.0 (manifest 3.0, metrics 2.0)");
  }

  @Test
  void theSummaryLeavesOutTheColdRoundsAndTakesEachPhasesMedian() {
    RoundProfile profile = new RoundProfile();
    assertThat(profile.summary()).isNull();
    for (int u = 0; u < RoundProfile.COLD_ROUNDS; u++) {
      profile.add(round(u, 900, 1, 1, 900, 0, 0, 900, 1, 900, 1, 1)); // cold: left out
    }
    profile.add(round(5, 60, 1, 15, 30, 0, 0, 1, 2, 10, 3, 2));
    profile.add(round(6, 40, 1, 11, 50, 0, 0, 2, 2, 20, 3, 2));
    profile.add(round(7, 50, 1, 13, 40, 0, 0, 9, 2, 99, 3, 2));

    assertThat(profile.summary()).isEqualTo("profile: medians of 3 rounds (5..7) | rollout 50.0 ms (step 1.0,"
        + " write 13.0, job 36.0) | learn 40.0 (read 0.0) | eval 0.0 | commit wait 2.0 | round 92.0 ms,"
        + " 11,130 env steps/s | off the critical path: snapshots 2.0, checkpoint 20.0, commit 5.0 (manifest 3.0,"
        + " metrics 2.0)");
  }

  @Test
  void aShortRunsSummaryTakesAllItsRounds() {
    RoundProfile profile = new RoundProfile();
    profile.add(round(0, 60, 1, 15, 30, 0, 0, 1, 2, 10, 3, 2));
    profile.add(round(1, 80, 1, 15, 30, 0, 0, 1, 2, 10, 3, 2));
    assertThat(profile.summary()).startsWith("profile: medians of 2 rounds (0..1) | rollout 70.0 ms");
  }
}
