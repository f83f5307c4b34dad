package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** The streamed learner's minibatch order: a bijection of [0, n) given by its seed alone. */
class SeededPermutationTest {
  @Test
  void isABijectionForAnySize() {
    for (long n : new long[] {1, 2, 3, 4, 5, 17, 64, 100, 1000, 4097, 65_537}) {
      SeededPermutation p = new SeededPermutation(n, 42);
      BitSet seen = new BitSet((int) n);
      for (long i = 0; i < n; i++) {
        long x = p.apply(i);
        assertThat(x).as("n = %d, i = %d", n, i).isBetween(0L, n - 1);
        assertThat(seen.get((int) x)).as("n = %d: %d hit twice", n, x).isFalse();
        seen.set((int) x);
      }
      assertThat(seen.cardinality()).isEqualTo((int) n);
    }
  }

  @Test
  void dependsOnTheSeedOnly() {
    SeededPermutation a = new SeededPermutation(1000, 7);
    SeededPermutation b = new SeededPermutation(1000, 7);
    SeededPermutation c = new SeededPermutation(1000, 8);
    int moved = 0;
    int differs = 0;
    for (long i = 0; i < 1000; i++) {
      assertThat(a.apply(i)).isEqualTo(b.apply(i));
      moved += a.apply(i) != i ? 1 : 0;
      differs += a.apply(i) != c.apply(i) ? 1 : 0;
    }
    assertThat(moved).as("a shuffle, not the identity").isGreaterThan(950);
    assertThat(differs).as("another seed, another order").isGreaterThan(950);
  }

  @Test
  void rejectsIndicesOutsideTheRange() {
    assertThatThrownBy(() -> new SeededPermutation(0, 1)).hasMessage("a permutation needs n >= 1, got: 0");
    assertThatThrownBy(() -> new SeededPermutation(10, 1).apply(10)).hasMessage("index must be in [0, 10), got: 10");
  }
}
