package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link SeededPermutation#shuffled}: the one Fisher-Yates shuffle of the learners that hold their rows. */
class SeededShuffleTest {
  @Test
  void aPermutationGivenByItsSeed() {
    int[] a = SeededPermutation.shuffled(100, 42);
    assertThat(a).containsExactlyInAnyOrder(IntStream.range(0, 100).toArray());
    assertThat(a).isNotEqualTo(IntStream.range(0, 100).toArray());
    assertThat(SeededPermutation.shuffled(100, 42)).containsExactly(a);
    assertThat(SeededPermutation.shuffled(100, 43)).isNotEqualTo(a);
    assertThat(SeededPermutation.shuffled(1, 42)).containsExactly(0);
  }
}
