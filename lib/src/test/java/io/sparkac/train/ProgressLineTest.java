package io.sparkac.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.run.RoundRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one progress line per round, in both parallel modes. */
class ProgressLineTest {
  static final double NAN = Double.NaN;
  /** 4,096 steps in 0.5 s, 8,192 left. */
  static final Trainer.Pace PACE = Trainer.Pace.of(4096, 500_000_000L, 8192);

  static RoundRecord record(int round, RoundRecord.Source source, RoundRecord.Eval eval) {
    return new RoundRecord(round, round, new RoundRecord.Totals(4096, 12),
        new RoundRecord.Episodes(3, 21.5, 10, 30, 21.5), new RoundRecord.Losses(1.5, -0.2, 0.69, 0.25, 1, 2), eval,
        new RoundRecord.Phases(0.1, 0.01, 0.02, 0, 0.05, 0, 0.03, 0.04, 0.2, 3.5), source, null);
  }

  @Test
  void aSynchronizedRoundSaysItsRoundsAreAnUpperBound() {
    // 1,000,000 steps of 16 x 64: at most 977 rounds; a run with a target may stop long before
    TrainConfig config = ConfigLoader.parse("", List.of("run.total-steps=1000000", "rollout.actors=16",
        "rollout.steps-per-actor=64", "eval.target-return=475"));
    String line = Trainer.progressLine(record(3, RoundRecord.Source.synchronous(3), RoundRecord.Eval.NONE), config, PACE);

    assertThat(line).startsWith("round 3 (of at most 977) | steps 4,096 | return 21.5 (3 ep) | len 21.5 |")
        .doesNotContain("3/977").doesNotContain("eval").doesNotContain("rho");
  }

  @Test
  void anAsyncUpdateSaysItsGroupVersionAndStaleness() {
    TrainConfig config = ConfigLoader.parse("", List.of("run.total-steps=8192", "parallel.mode=async",
        "parallel.groups=2", "rollout.partitions=2"));
    String line = Trainer.progressLine(record(5, new RoundRecord.Source(1, 4, 1, 0.98, 1.2, 0.05),
        new RoundRecord.Eval(480.5, 12.25, 480.5)), config, PACE);

    assertThat(line).startsWith("update 5 | group 1, version 4 (stale 1) | steps 4,096/8,192 |")
        .contains("| rho 0.980 (max 1.20, 5% corrected)").contains("| eval 480.5 +- 12.3");
  }

  @Test
  void theLineEndsWithTheStepsPerSecondAndTheTimeLeftToTheStepBudget() {
    TrainConfig config = ConfigLoader.parse("", List.of("run.total-steps=12288"));
    String line = Trainer.progressLine(record(3, RoundRecord.Source.synchronous(3), RoundRecord.Eval.NONE), config,
        PACE);

    // 4,096 steps in 0.5 s: 8,192 steps/s; 8,192 steps left at that pace: 1 s
    assertThat(line).endsWith(" | wall 3.5s | 8,192 steps/s | eta 1s");
    assertThat(line).matches(".* \\| [0-9,]+ steps/s \\| eta (-|\\d+s|\\d+m\\d\\ds|\\d+h\\d\\dm)$");
  }

  @Test
  void thePaceIsTheRateInThisProcessAndTheTimeLeftAtThatRate() {
    Trainer.Pace pace = Trainer.Pace.of(10_000, 2_000_000_000L, 1_000_000);
    assertThat(pace.stepsPerSecond()).isEqualTo(5000.0);
    assertThat(pace.secondsLeft()).isEqualTo(200.0);
    assertThat(pace.format()).isEqualTo("5,000 steps/s | eta 3m20s");
    // no step yet: no estimate; the budget reached: nothing left
    assertThat(Trainer.Pace.of(0, 1_000_000L, 100).format()).isEqualTo("0 steps/s | eta -");
    assertThat(Trainer.Pace.of(100, 1_000_000_000L, 0).format()).isEqualTo("100 steps/s | eta 0s");
    assertThat(Trainer.Pace.duration(59.4)).isEqualTo("59s");
    assertThat(Trainer.Pace.duration(3599)).isEqualTo("59m59s");
    assertThat(Trainer.Pace.duration(7500)).isEqualTo("2h05m");
  }
}
