package io.sparkac.random;

/**
 * Derives independent seeds from a tuple of longs (run seed, actor id, round, ...), so that every
 * random draw depends on the run seed and the actor's identity, never on a partition, task
 * attempt, thread or clock.
 *
 * <p>Each part is folded in with the SplitMix64 finalizer (Steele, Lea and Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), the same mixer
 * {@link java.util.SplittableRandom} uses, so that nearby tuples give unrelated seeds.
 */
public final class Seeds {
  /** Stream tags keep the seeds of different uses apart. */
  public static final long ACTIONS = 0x41435430L; // "ACT0"
  public static final long EPISODES = 0x45505330L; // "EPS0"
  public static final long EVAL = 0x4556414CL; // "EVAL"
  public static final long NETWORK = 0x4E455430L; // "NET0"
  public static final long SHUFFLE = 0x53485546L; // "SHUF"

  private Seeds() {}

  public static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h = mix64(h ^ mix64(p + 0x9E3779B97F4A7C15L));
    }
    return h;
  }

  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
