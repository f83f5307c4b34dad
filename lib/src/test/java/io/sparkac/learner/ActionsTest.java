package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one place actor labels are built: A * onehot(a) for discrete actions, [a, A, 0..] for continuous ones. */
class ActionsTest {
  @Test
  void discreteLabelsCarryTheAdvantageOnTheTakenActionsColumn() {
    Actions actions = new Actions(3, 0, new int[] {2, 0}, null);
    float[] y = new float[2 * 3];
    actions.label(0, 1.5f, y, 1); // sample 0 (action 2) written to label row 1
    actions.label(1, -2f, y, 0); // sample 1 (action 0) to label row 0
    assertThat(y).containsExactly(-2f, 0f, 0f, 0f, 0f, 1.5f);
    assertThat(actions.column(0)).isEqualTo(2);
  }

  @Test
  void continuousLabelsCarryTheActionThenTheAdvantage() {
    // 2-dimensional actions, outputs: 2 means + 2 log-stds
    Actions actions = new Actions(4, 2, null, new float[] {0.1f, 0.2f, 0.3f, 0.4f});
    float[] y = new float[2 * 4];
    actions.label(1, 7f, y, 0);
    actions.label(0, -1f, y, 1);
    assertThat(y).containsExactly(0.3f, 0.4f, 7f, 0f, 0.1f, 0.2f, -1f, 0f);
    assertThat(actions.column(1)).isEqualTo(2);
  }
}
