package io.sparkac.train;

import io.sparkac.run.RoundRecord;
import java.util.List;

/** The committed rounds of a finished training run, and whether it reached its target return. */
public record TrainResult(List<RoundRecord> rounds, boolean solved) {
  public RoundRecord last() {
    return rounds.get(rounds.size() - 1);
  }

  /** The last evaluated round, or null. */
  public RoundRecord lastEvaluated() {
    for (int i = rounds.size() - 1; i >= 0; i--) {
      if (rounds.get(i).evaluated()) {
        return rounds.get(i);
      }
    }
    return null;
  }
}
