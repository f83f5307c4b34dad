package io.sparkac.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.analysis.OffPolicyEstimators.Episode;
import io.sparkac.analysis.OffPolicyEstimators.Interval;
import io.sparkac.analysis.OffPolicyEstimators.Prepared;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The estimators against values worked out by hand, and their bootstrap intervals on a simulated problem. */
class OffPolicyEstimatorsTest {
  /**
   * Two episodes, gamma 0.9. Episode 1: rewards 1, 1; ratios 2, 0.5 (w = 2, 1); V = 1.5, 0.5.
   * Episode 2: reward 1; ratio 0.5 (w = 0.5); V = 0.8.
   */
  static List<Episode> tiny() {
    return List.of(
        new Episode(new double[] {1, 1}, new double[] {Math.log(2), Math.log(0.5)}, new double[] {1.5, 0.5}),
        new Episode(new double[] {1}, new double[] {Math.log(0.5)}, new double[] {0.8}));
  }

  @Test
  void theEstimatorsGiveTheHandComputedValues() {
    double[] e = OffPolicyEstimators.estimate(OffPolicyEstimators.prepare(tiny(), 0.9));
    // IS: episode 1: 2*1 + 0.9*1*1 = 2.9; episode 2: 0.5*1 = 0.5; mean 1.7.
    assertThat(e[0]).isCloseTo(1.7, within(1e-12));
    // WIS: t=0: (2*1 + 0.5*1) / (2 + 0.5) = 1; t=1: 1*1 / (1 + 0.5, episode 2 ended with w 0.5) = 2/3.
    // 1 + 0.9 * 2/3 = 1.6.
    assertThat(e[1]).isCloseTo(1.6, within(1e-12));
    // DR: episode 1: (2*1 - (2-1)*1.5) + 0.9*(1*1 - (1-2)*0.5) = 0.5 + 1.35 = 1.85;
    // episode 2: 0.5*1 - (0.5-1)*0.8 = 0.9; mean 1.375.
    assertThat(e[2]).isCloseTo(1.375, within(1e-12));
    // WDR: t=0: (2*(1-1.5) + 0.5*(1-0.8)) / 2.5 + (1.5 + 0.8) / 2 = -0.36 + 1.15 = 0.79;
    // t=1: 1*(1-0.5) / 1.5 + 2*0.5 / 2.5 = 1/3 + 0.4; 0.79 + 0.9 * (1/3 + 0.4) = 1.45.
    assertThat(e[3]).isCloseTo(1.45, within(1e-12));
    // The logged (behaviour) return: (1 + 0.9) and 1, mean 1.45.
    assertThat(OffPolicyEstimators.loggedReturn(OffPolicyEstimators.prepare(tiny(), 0.9))).isCloseTo(1.45,
        within(1e-12));
  }

  @Test
  void onPolicyDataGiveTheLoggedMeanReturnInEveryEstimator() {
    List<Episode> episodes = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 50; i++) {
      int len = 1 + rng.nextInt(30);
      double[] r = new double[len];
      double[] v = new double[len];
      for (int t = 0; t < len; t++) {
        r[t] = rng.nextDouble();
        v[t] = rng.nextDouble() * 10;
      }
      episodes.add(new Episode(r, new double[len], v));
    }
    Prepared p = OffPolicyEstimators.prepare(episodes, 0.97);
    double logged = OffPolicyEstimators.loggedReturn(p);
    for (double e : OffPolicyEstimators.estimate(p)) {
      assertThat(e).isCloseTo(logged, within(1e-9));
    }
    assertThat(OffPolicyEstimators.effectiveSampleSize(p)).isCloseTo(50, within(1e-9));
  }

  @Test
  void theBootstrapIsSeededAndItsIntervalsHoldThePointEstimate() {
    List<Episode> episodes = simulate(300, 0.7, new SplittableRandom(11));
    Prepared p = OffPolicyEstimators.prepare(episodes, 1.0);
    List<Interval> a = OffPolicyEstimators.bootstrap(p, 500, 0.95, 42);
    List<Interval> b = OffPolicyEstimators.bootstrap(p, 500, 0.95, 42);
    List<Interval> c = OffPolicyEstimators.bootstrap(p, 500, 0.95, 43);
    assertThat(a).isEqualTo(b).isNotEqualTo(c).hasSize(OffPolicyEstimators.NAMES.size() + 1);
    for (Interval i : a) {
      assertThat(i.low()).isLessThan(i.estimate());
      assertThat(i.high()).isGreaterThan(i.estimate());
    }
    List<Interval> narrow = OffPolicyEstimators.bootstrap(p, 500, 0.5, 42);
    assertThat(narrow.get(0).high() - narrow.get(0).low()).isLessThan(a.get(0).high() - a.get(0).low());
  }

  /**
   * A problem whose target value is known: each step the action is 1 with probability q (reward 1)
   * or 0 (reward 0), and the episode ends after each step with probability 0.2. The behaviour
   * takes action 1 with probability 0.5; the target with probability 0.7, so its expected return
   * is 0.7 * 5 = 3.5 (5 steps on average).
   */
  @Test
  void theIntervalsHoldTheTargetsTrueValueAndTheLoggedOneHoldsTheBehavioursValue() {
    List<Episode> episodes = simulate(2000, 0.7, new SplittableRandom(7));
    Prepared p = OffPolicyEstimators.prepare(episodes, 1.0);
    List<Interval> intervals = OffPolicyEstimators.bootstrap(p, 400, 0.95, 1);
    for (int m = 0; m < OffPolicyEstimators.NAMES.size(); m++) {
      Interval i = intervals.get(m);
      assertThat(3.5).as(OffPolicyEstimators.NAMES.get(m) + " " + i).isBetween(i.low(), i.high());
    }
    Interval logged = intervals.get(OffPolicyEstimators.NAMES.size());
    assertThat(2.5).as("logged " + logged).isBetween(logged.low(), logged.high());
    assertThat(logged.high()).as("the behaviour's own return is not the target's").isLessThan(3.5);
  }

  /** Episodes of the problem above, sampled with behaviour 0.5, with V = the behaviour's true value. */
  static List<Episode> simulate(int n, double target, SplittableRandom rng) {
    List<Episode> episodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<double[]> steps = new ArrayList<>();
      do {
        boolean one = rng.nextDouble() < 0.5;
        double ratio = one ? target / 0.5 : (1 - target) / 0.5;
        steps.add(new double[] {one ? 1 : 0, Math.log(ratio), 2.5});
      } while (rng.nextDouble() >= 0.2);
      int len = steps.size();
      double[] r = new double[len];
      double[] lr = new double[len];
      double[] v = new double[len];
      for (int t = 0; t < len; t++) {
        r[t] = steps.get(t)[0];
        lr[t] = steps.get(t)[1];
        v[t] = steps.get(t)[2];
      }
      episodes.add(new Episode(r, lr, v));
    }
    return episodes;
  }

  @Test
  void badInputIsRefusedWithWhatIsAllowed() {
    assertThatThrownBy(() -> OffPolicyEstimators.prepare(List.of(), 1.0)).hasMessageContaining("no episode");
    assertThatThrownBy(() -> OffPolicyEstimators.prepare(tiny(), 0)).hasMessageContaining("gamma = 0.0: must be in (0, 1]");
    assertThatThrownBy(() -> new Episode(new double[2], new double[1], new double[2]))
        .hasMessageContaining("different lengths");
    Prepared p = OffPolicyEstimators.prepare(tiny(), 1);
    assertThatThrownBy(() -> OffPolicyEstimators.bootstrap(p, 0, 0.9, 1)).hasMessageContaining("resamples = 0");
    assertThatThrownBy(() -> OffPolicyEstimators.bootstrap(p, 10, 1.0, 1)).hasMessageContaining("confidence = 1.0");
    assertThat(OffPolicyEstimators.quantile(new double[] {1, 2, 3, 4}, 0.5)).isEqualTo(2.5);
  }
}
