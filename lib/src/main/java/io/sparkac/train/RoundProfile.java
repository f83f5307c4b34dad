package io.sparkac.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where a round's time goes, as {@code train --profile} prints it: one line per round and a
 * summary of the medians over the warm rounds at the end. The phases are those of the round's
 * loop in {@link Trainer}. On the driver's main thread, one after the other, adding up to the
 * round's time on the critical path (from the start of its rollout to the start of the next):
 * <ul>
 *   <li>{@code rollout}: the wait for the rollout job; in it, the slowest task's stepping loop
 *       ({@code step}) and Parquet write ({@code write}), the rest being the Spark job itself;</li>
 *   <li>{@code learn}: targets, advantages and both networks' updates (in it {@code read}, the
 *       round's rows gathered on the driver);</li>
 *   <li>{@code eval}: the new weights taken off the networks, and the greedy evaluation job at
 *       its interval;</li>
 *   <li>{@code commit wait}: handing the round's durable writes over, and waiting for the
 *       previous round's to end before the learner changes the networks they write.</li>
 * </ul>
 * Off the critical path, on the durable writes' thread while the next round rolls out
 * ({@link DurableWrites}): {@code snapshots} (the actors' end-of-round state), {@code checkpoint}
 * (both networks with their optimizer state, the run state and statistics, renamed into place)
 * and {@code commit}: the round's manifest entry ({@code manifest}) and {@code metrics.csv}
 * ({@code metrics}). They cost the round time only as far as {@code commit wait} shows.
 * The same phases, measured the same way, are what {@code bench} reports for real rounds.
 */
final class RoundProfile {
  /** The phases: those of the critical path in the order of the round, then those written off it. */
  enum Phase { ROLLOUT, STEP, WRITE, LEARN, READ, EVAL, WAIT, SNAPSHOTS, CHECKPOINT, MANIFEST, METRICS }

  /** Rounds at the start of a process that the summary leaves out: the JIT is still compiling. */
  static final int COLD_ROUNDS = 5;

  /**
   * One round's phases in nanoseconds (indexed by {@link Phase#ordinal()}), its time on the
   * critical path and its env steps.
   */
  record Round(int round, long[] nanos, long totalNanos, long envSteps) {
    long get(Phase p) {
      return nanos[p.ordinal()];
    }
  }

  private final List<Round> rounds = new ArrayList<>();

  /** From the durable writes' thread, as each round commits. */
  synchronized void add(Round r) {
    rounds.add(r);
  }

  /**
   * The profile line of a round: {@code profile round 12 | rollout 61.2 ms (step 1.0, write 15.3,
   * job 44.9) | learn ... | round 80.3 ms, 12,752 env steps/s | off the critical path: snapshots ...}.
   */
  static String line(Round r) {
    return "profile round " + r.round() + " | " + phases(r.nanos(), r.totalNanos(), r.envSteps());
  }

  /**
   * The medians over the rounds after the first {@link #COLD_ROUNDS} of this process (all of
   * them when there are no more), each phase's median on its own; null when no round ran.
   */
  synchronized String summary() {
    if (rounds.isEmpty()) {
      return null;
    }
    List<Round> warm = rounds.size() > COLD_ROUNDS ? rounds.subList(COLD_ROUNDS, rounds.size()) : rounds;
    long[] median = new long[Phase.values().length];
    for (Phase p : Phase.values()) {
      median[p.ordinal()] = median(warm.stream().mapToLong(r -> r.get(p)).toArray());
    }
    long total = median(warm.stream().mapToLong(Round::totalNanos).toArray());
    long steps = median(warm.stream().mapToLong(Round::envSteps).toArray());
    return String.format(Locale.ROOT, "profile: medians of %d rounds (%d..%d) | %s", warm.size(),
        warm.get(0).round(), warm.get(warm.size() - 1).round(), phases(median, total, steps));
  }

  private static String phases(long[] n, long total, long steps) {
    long rollout = n[Phase.ROLLOUT.ordinal()];
    long step = n[Phase.STEP.ordinal()];
    long write = n[Phase.WRITE.ordinal()];
    return String.format(Locale.ROOT,
        "rollout %s ms (step %s, write %s, job %s) | learn %s (read %s) | eval %s | commit wait %s"
            + " | round %s ms, %,.0f env steps/s | off the critical path: snapshots %s, checkpoint %s,"
            + " commit %s (manifest %s, metrics %s)",
        ms(rollout), ms(step), ms(write), ms(Math.max(0, rollout - step - write)), ms(n[Phase.LEARN.ordinal()]),
        ms(n[Phase.READ.ordinal()]), ms(n[Phase.EVAL.ordinal()]), ms(n[Phase.WAIT.ordinal()]), ms(total),
        total <= 0 ? 0.0 : steps / (total / 1e9), ms(n[Phase.SNAPSHOTS.ordinal()]),
        ms(n[Phase.CHECKPOINT.ordinal()]), ms(n[Phase.MANIFEST.ordinal()] + n[Phase.METRICS.ordinal()]),
        ms(n[Phase.MANIFEST.ordinal()]), ms(n[Phase.METRICS.ordinal()]));
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }

  static long median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
}
