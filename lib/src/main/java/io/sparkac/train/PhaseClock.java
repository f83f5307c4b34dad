package io.sparkac.train;

/** The round's clock: the time of each phase as the round goes through them, and the round's total. */
final class PhaseClock {
  private final long start = System.nanoTime();
  private long last = start;

  /** Nanoseconds since the previous lap (or the round's start). */
  long lap() {
    long now = System.nanoTime();
    long d = now - last;
    last = now;
    return d;
  }

  /** Nanoseconds since the round's start. */
  long total() {
    return System.nanoTime() - start;
  }
}
