package io.sparkac.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The actor ids {@code [from, to)} that one rollout partition owns. In config, not rollout, because
 * the configuration's checks size an update by the same split as the rollout runs it.
 */
public record ActorRange(int from, int to) implements Serializable {
  public ActorRange {
    if (from < 0 || to <= from) {
      throw new IllegalArgumentException("actor range must be non-empty, got: [" + from + ", " + to + ")");
    }
  }

  public int size() {
    return to - from;
  }

  /** Splits actors 0..actors-1 into {@code partitions} contiguous ranges of near-equal size. */
  public static List<ActorRange> split(int actors, int partitions) {
    if (partitions < 1 || partitions > actors) {
      throw new IllegalArgumentException("partitions must be in [1, " + actors + "], got: " + partitions);
    }
    List<ActorRange> ranges = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      ranges.add(new ActorRange((int) ((long) p * actors / partitions), (int) ((long) (p + 1) * actors / partitions)));
    }
    return ranges;
  }

  /** The Parquet part file of this range, named by actor ids only, so a retry replaces it. */
  public String fileName() {
    return String.format("part-%06d-%06d.parquet", from, to);
  }
}
