package io.sparkac.learner;

import io.sparkac.random.Seeds;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A pseudorandom permutation of {@code [0, n)} given by its seed, computed one index at a time:
 * a four-round Feistel network over the smallest domain of 2^(2h) indices that holds n, walked
 * along its cycles until it lands below n (format-preserving encryption's cycle walking). A
 * Feistel network is a bijection whatever its round function, and a cycle that starts below n
 * comes back below n, so {@link #apply} is a bijection of {@code [0, n)}.
 *
 * <p>Why not a shuffled array: a streamed round's rows live on the executors, and each row must
 * learn its place in the epoch's order on its own, from its global index alone, so that the
 * driver can be sent the order's blocks one at a time, each exactly {@code block} positions long,
 * with no sort and no driver array of n entries. The order depends on the seed and n only, never
 * on the partitioning.
 */
public final class SeededPermutation implements Serializable {
  private static final int ROUNDS = 4;
  private final long n;
  private final int half;
  private final long mask;
  private final long[] keys = new long[ROUNDS];

  public SeededPermutation(long n, long seed) {
    if (n < 1) {
      throw new IllegalArgumentException("a permutation needs n >= 1, got: " + n);
    }
    this.n = n;
    int h = 1;
    while (h < 31 && (1L << (2 * h)) < n) {
      h++;
    }
    this.half = h;
    this.mask = (1L << h) - 1;
    for (int r = 0; r < ROUNDS; r++) {
      keys[r] = Seeds.mix(seed, r);
    }
  }

  /**
   * A Fisher-Yates shuffle of {@code [0, n)} drawn from a {@link SplittableRandom} with
   * {@code seed}: the order of a learner that holds all of its rows (the collected round, one
   * cached block of a partition), where an array of n entries is no burden.
   */
  static int[] shuffled(int n, long seed) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  public long size() {
    return n;
  }

  /** The position of index {@code i} in the permuted order. */
  public long apply(long i) {
    if (i < 0 || i >= n) {
      throw new IllegalArgumentException("index must be in [0, " + n + "), got: " + i);
    }
    long x = encrypt(i);
    while (x >= n) {
      x = encrypt(x);
    }
    return x;
  }

  private long encrypt(long x) {
    long left = x >>> half;
    long right = x & mask;
    for (int r = 0; r < ROUNDS; r++) {
      long next = left ^ (Seeds.mix(keys[r], right) & mask);
      left = right;
      right = next;
    }
    return (left << half) | right;
  }
}
