package io.sparkac.trajectory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RowBatch#merge} puts rows in (actor_id, episode_id, t) order, row values moving with their keys. */
class RowBatchMergeTest {
  @ParameterizedTest(name = "{0} rows")
  @ValueSource(ints = {0, 1, 2, 37, 1000})
  void mergeSortsRowsByActorEpisodeAndStep(int n) {
    // Row k is actor k / 10, episode (k / 5) % 2, step k % 5: k is the row's rank in the sorted order.
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      order.add(k);
    }
    Collections.shuffle(order, new Random(n));
    List<RowBatch> batches = new ArrayList<>();
    int from = 0;
    for (int size : new int[] {n / 3, n / 2, n - n / 3 - n / 2}) {
      RowBatch b = new RowBatch(size, 2, 0);
      for (int r = 0; r < size; r++) {
        int k = order.get(from + r);
        b.actorId()[r] = k / 10;
        b.episodeId()[r] = RowBatch.episodeId(k / 10, (k / 5) % 2);
        b.t()[r] = k % 5;
        b.obs()[2 * r + 1] = k;
        b.action()[r] = k;
        b.reward()[r] = k;
        b.terminated()[r] = k % 5 == 4 && k % 10 == 4;
      }
      from += size;
      batches.add(b);
    }

    RowBatch m = RowBatch.merge(batches);

    assertThat(m.rows()).isEqualTo(n);
    for (int k = 0; k < n; k++) {
      assertThat(m.action()[k]).isEqualTo(k);
      assertThat(m.reward()[k]).isEqualTo(k);
      assertThat(m.obs()[2 * k + 1]).isEqualTo(k);
      assertThat(m.t()[k]).isEqualTo(k % 5);
      boolean next = k + 1 < n && (k + 1) / 5 == k / 5 && !m.terminated()[k];
      assertThat(m.continues()[k]).as("row %d continues", k).isEqualTo(next);
    }
  }
}
