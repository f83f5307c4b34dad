package io.sparkac.random;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeedsTest {

  @Test
  void deterministicAndPinned() {
    assertThat(Seeds.mix(1, Seeds.ACTIONS, 0, 0)).isEqualTo(Seeds.mix(1, Seeds.ACTIONS, 0, 0));
    // Pinned values: a resumed run and a rerun of an old config must draw the same seeds, so the
    // mixer may not change silently (changing it changes every trajectory of every run).
    assertThat(Seeds.mix(1, Seeds.ACTIONS, 0, 0)).isEqualTo(0xde6b30f16642b3ecL);
    assertThat(Seeds.mix(42, Seeds.EPISODES, 3, 7)).isEqualTo(0x1de56d9bf97e82dfL);
  }

  @Test
  void theMixerIsSplitMix64AsInSplittableRandom() {
    // SplittableRandom(s).nextLong() = mix64(s + GOLDEN_GAMMA), GOLDEN_GAMMA = 0x9E3779B97F4A7C15
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 10_000; i++) {
      long s = rng.nextLong();
      assertThat(Seeds.mix64(s + 0x9E3779B97F4A7C15L)).isEqualTo(new SplittableRandom(s).nextLong());
    }
  }

  @Test
  void orderAndLengthSensitive() {
    assertThat(Seeds.mix(1, 2)).isNotEqualTo(Seeds.mix(2, 1));
    assertThat(Seeds.mix(1)).isNotEqualTo(Seeds.mix(1, 0));
    assertThat(Seeds.mix()).isNotEqualTo(Seeds.mix(0));
    assertThat(Seeds.mix(0, 0)).isNotEqualTo(Seeds.mix(0));
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < 10_000; i++) {
      long a = rng.nextLong(1000);
      long b = rng.nextLong(1000);
      if (a != b) {
        assertThat(Seeds.mix(7, a, b)).as("(%d, %d)", a, b).isNotEqualTo(Seeds.mix(7, b, a));
      }
    }
  }

  @Test
  void noCollisionsOverAGridOfTenToTheFiveTuples() {
    // run seed x actor x round, as the rollout's action streams use them: 10 * 100 * 100 = 10^5
    Set<Long> seen = new HashSet<>();
    for (long seed = 0; seed < 10; seed++) {
      for (long actor = 0; actor < 100; actor++) {
        for (long round = 0; round < 100; round++) {
          seen.add(Seeds.mix(seed, Seeds.ACTIONS, actor, round));
        }
      }
    }
    assertThat(seen).hasSize(100_000);
  }

  @Test
  void streamTagsKeepUsesApart() {
    // the same numbers under the five tags: 5 * 20 * 200 = 20 000 distinct seeds
    long[] tags = {Seeds.ACTIONS, Seeds.EPISODES, Seeds.EVAL, Seeds.NETWORK, Seeds.SHUFFLE};
    assertThat(new HashSet<>(Arrays.stream(tags).boxed().toList())).hasSize(5);
    Set<Long> seen = new HashSet<>();
    for (long tag : tags) {
      for (long actor = 0; actor < 20; actor++) {
        for (long k = 0; k < 200; k++) {
          seen.add(Seeds.mix(1, tag, actor, k));
        }
      }
    }
    assertThat(seen).hasSize(5 * 20 * 200);
  }

  @Test
  void nearbyTuplesGiveUnrelatedSeeds() {
    // avalanche: flipping one input bit flips each output bit with probability ~1/2, so about
    // 32 of 64 on average (a weak mixer such as seed * 31 + actor flips few high bits)
    SplittableRandom rng = new SplittableRandom(5);
    long flipped = 0;
    int trials = 0;
    for (int i = 0; i < 500; i++) {
      long seed = rng.nextLong();
      long actor = rng.nextInt(1000);
      long round = rng.nextInt(1000);
      long base = Seeds.mix(seed, Seeds.ACTIONS, actor, round);
      for (int bit = 0; bit < 64; bit++) {
        flipped += Long.bitCount(base ^ Seeds.mix(seed, Seeds.ACTIONS, actor, round ^ (1L << bit)));
        flipped += Long.bitCount(base ^ Seeds.mix(seed ^ (1L << bit), Seeds.ACTIONS, actor, round));
        trials += 2;
      }
    }
    double mean = (double) flipped / trials;
    // 64 000 trials of Binomial(64, 1/2): mean 32, standard error 4 / sqrt(64 000) = 0.016
    assertThat(mean).isBetween(31.8, 32.2);
    // neighbouring rounds of one actor: never the same seed, nor seeds one apart
    for (long round = 0; round < 10_000; round++) {
      long d = Seeds.mix(1, Seeds.ACTIONS, 0, round) - Seeds.mix(1, Seeds.ACTIONS, 0, round + 1);
      assertThat(d).isNotIn(-1L, 0L, 1L);
    }
  }
}
