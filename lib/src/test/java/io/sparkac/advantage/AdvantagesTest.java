package io.sparkac.advantage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * TD(0) and GAE(lambda) against values computed by hand (the arithmetic is in the comments), in
 * the style of SB3's {@code tests/test_gae.py}.
 *
 * <p>The main fixture is one actor's six rows with gamma = 0.5 and lambda = 0.25, so that every
 * intermediate value is an exact binary fraction and gamma, lambda and gamma * lambda = 0.125 are
 * all different (swapping them would change the result):
 *
 * <pre>
 *  i  r  terminated truncated continues  V(s)  V(s')   what the row exercises
 *  0  1      -          -        yes      0.5   1.0    inside an episode
 *  1  1      -          -        yes      1.0   2.0    inside an episode
 *  2  1     yes         -        no       2.0   5.0    terminated: bootstrap 0, not V(s') = 5
 *  3  2      -         yes       no       1.0   3.0    truncated mid-rollout: bootstrap V(s') = 3, cut
 *  4  1      -          -        yes      0.0   1.0    a new episode
 *  5  1      -          -        no       1.0   2.0    end of the actor's data: bootstrap V(s') = 2, cut
 * </pre>
 */
class AdvantagesTest {
  private static final double EPS = 1e-12;

  private static final double[] REWARD = {1, 1, 1, 2, 1, 1};
  private static final boolean[] TERMINATED = {false, false, true, false, false, false};
  private static final boolean[] CONTINUES = {true, true, false, false, true, false};
  private static final double[] VALUE = {0.5, 1.0, 2.0, 1.0, 0.0, 1.0};
  private static final double[] NEXT_VALUE = {1.0, 2.0, 5.0, 3.0, 1.0, 2.0};
  private static final double GAMMA = 0.5;
  private static final double LAMBDA = 0.25;

  // TD errors, delta_i = r_i + gamma * (terminated ? 0 : V(s'_i)) - V(s_i), gamma = 0.5:
  //   d0 = 1 + 0.5 * 1.0 - 0.5 =  1.0
  //   d1 = 1 + 0.5 * 2.0 - 1.0 =  1.0
  //   d2 = 1 + 0          - 2.0 = -1.0   (terminated: V(s') = 5 is ignored)
  //   d3 = 2 + 0.5 * 3.0 - 1.0 =  2.5   (truncated: bootstrapped with V(s') = 3)
  //   d4 = 1 + 0.5 * 1.0 - 0.0 =  1.5
  //   d5 = 1 + 0.5 * 2.0 - 1.0 =  1.0   (end of data: bootstrapped with V(s') = 2)
  private static final double[] DELTA = {1.0, 1.0, -1.0, 2.5, 1.5, 1.0};

  @Test
  void td0IsTheOneStepTdErrorAndTargetIsRPlusGammaVNext() {
    Advantages.Estimates e = Advantages.td0(REWARD, TERMINATED, VALUE, NEXT_VALUE, GAMMA);

    assertThat(e.advantages()).containsExactly(DELTA, within(EPS));
    // target = r + gamma * V(s') (0 when terminated) = delta + V(s):
    //   1.0 + 0.5 = 1.5 ; 1.0 + 1.0 = 2.0 ; -1.0 + 2.0 = 1.0 ; 2.5 + 1.0 = 3.5 ; 1.5 + 0 = 1.5 ; 1.0 + 1.0 = 2.0
    assertThat(e.targets()).containsExactly(new double[] {1.5, 2.0, 1.0, 3.5, 1.5, 2.0}, within(EPS));
  }

  @Test
  void gaeCutsTheRecursionAtTerminationTruncationAndEndOfData() {
    Advantages.Estimates e = Advantages.gae(REWARD, TERMINATED, CONTINUES, VALUE, NEXT_VALUE, GAMMA, LAMBDA);

    // A_i = delta_i + gamma * lambda * A_{i+1} where row i continues, else delta_i; gamma * lambda = 0.125:
    //   A5 = d5                  =  1.0                 (end of the actor's data: cut)
    //   A4 = d4 + 0.125 * A5     =  1.5 + 0.125 = 1.625
    //   A3 = d3                  =  2.5                 (truncated: A4 belongs to the next episode)
    //   A2 = d2                  = -1.0                 (terminated)
    //   A1 = d1 + 0.125 * A2     =  1.0 - 0.125 = 0.875
    //   A0 = d0 + 0.125 * A1     =  1.0 + 0.109375 = 1.109375
    assertThat(e.advantages()).containsExactly(
        new double[] {1.109375, 0.875, -1.0, 2.5, 1.625, 1.0}, within(EPS));
    // lambda-return targets = A + V(s):
    //   1.109375 + 0.5, 0.875 + 1.0, -1.0 + 2.0, 2.5 + 1.0, 1.625 + 0.0, 1.0 + 1.0
    assertThat(e.targets()).containsExactly(
        new double[] {1.609375, 1.875, 1.0, 3.5, 1.625, 2.0}, within(EPS));
  }

  @Test
  void gaeWithTypicalCoefficientsOnAThreeStepChain() {
    // r = 1, V(s) = V(s') = 0.5 everywhere, rows 0 and 1 continue, row 2 is the end of the data.
    // gamma = 0.99, lambda = 0.95, gamma * lambda = 0.9405
    //   d  = 1 + 0.99 * 0.5 - 0.5 = 0.995 for every row
    //   A2 = 0.995
    //   A1 = 0.995 + 0.9405 * 0.995     = 0.995 * 1.9405 = 1.9307975
    //   A0 = 0.995 + 0.9405 * 1.9307975 = 0.995 + 1.81591504875 = 2.81091504875
    Advantages.Estimates e = Advantages.gae(new double[] {1, 1, 1}, new boolean[3], new boolean[] {true, true, false},
        new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5}, 0.99, 0.95);

    assertThat(e.advantages()).containsExactly(new double[] {2.81091504875, 1.9307975, 0.995}, within(EPS));
    assertThat(e.targets()).containsExactly(new double[] {3.31091504875, 2.4307975, 1.495}, within(EPS));
  }

  @Test
  void twoActorsBackToBackDoNotLeakIntoEachOther() {
    // Actor 0: rows 0-1, its data ends at row 1 (no termination). Actor 1: rows 2-3.
    // gamma = 0.5, lambda = 1 (so any leak across the boundary would show at full weight).
    double[] r = {1, 1, 10, 10};
    boolean[] term = {false, false, false, true};
    boolean[] cont = {true, false, true, false};
    double[] v = {0, 0, 0, 0};
    double[] vNext = {0, 4, 0, 100};
    Advantages.Estimates e = Advantages.gae(r, term, cont, v, vNext, 0.5, 1.0);

    // Actor 1: A3 = 10 + 0 (terminated, V(s') = 100 ignored) - 0 = 10
    //          A2 = (10 + 0.5 * 0 - 0) + 0.5 * 1 * A3 = 10 + 5 = 15
    // Actor 0: A1 = 1 + 0.5 * 4 - 0 = 3  (end of its data: bootstrap with its own V(s') = 4, not actor 1's A2)
    //          A0 = (1 + 0.5 * 0 - 0) + 0.5 * A1 = 1 + 1.5 = 2.5
    assertThat(e.advantages()).containsExactly(new double[] {2.5, 3, 15, 10}, within(EPS));

    // The same as computing each actor on its own.
    Advantages.Estimates a0 = Advantages.gae(Arrays.copyOfRange(r, 0, 2), Arrays.copyOfRange(term, 0, 2),
        Arrays.copyOfRange(cont, 0, 2), Arrays.copyOfRange(v, 0, 2), Arrays.copyOfRange(vNext, 0, 2), 0.5, 1.0);
    Advantages.Estimates a1 = Advantages.gae(Arrays.copyOfRange(r, 2, 4), Arrays.copyOfRange(term, 2, 4),
        Arrays.copyOfRange(cont, 2, 4), Arrays.copyOfRange(v, 2, 4), Arrays.copyOfRange(vNext, 2, 4), 0.5, 1.0);
    assertThat(Arrays.copyOfRange(e.advantages(), 0, 2)).containsExactly(a0.advantages());
    assertThat(Arrays.copyOfRange(e.advantages(), 2, 4)).containsExactly(a1.advantages());
  }

  @Test
  void lambdaOneIsTheMonteCarloReturnWithBootstrappedTails() {
    // By hand on the fixture, gamma = 0.5, G_i = r_i + gamma * G_{i+1} inside an episode:
    //   rows 0-2 end terminated: G2 = 1, G1 = 1 + 0.5 * 1 = 1.5, G0 = 1 + 0.5 * 1.5 = 1.75
    //   row 3 is truncated:      G3 = 2 + 0.5 * V(s'_3) = 2 + 1.5 = 3.5
    //   rows 4-5, data ends:     G5 = 1 + 0.5 * V(s'_5) = 2, G4 = 1 + 0.5 * 2 = 2
    Advantages.Estimates e = Advantages.gae(REWARD, TERMINATED, CONTINUES, VALUE, NEXT_VALUE, GAMMA, 1.0);
    assertThat(e.targets()).containsExactly(new double[] {1.75, 1.5, 1.0, 3.5, 2.0, 2.0}, within(EPS));
    // advantages = G - V(s) = 1.25, 0.5, -1, 2.5, 2, 1
    assertThat(e.advantages()).containsExactly(new double[] {1.25, 0.5, -1.0, 2.5, 2.0, 1.0}, within(EPS));

    // And on random rollouts against a forward Monte-Carlo sum written independently.
    SplittableRandom rng = new SplittableRandom(7);
    for (int trial = 0; trial < 50; trial++) {
      Rollout ro = Rollout.random(rng, 1 + rng.nextInt(60));
      double gamma = 0.5 + 0.5 * rng.nextDouble();
      Advantages.Estimates mc = Advantages.gae(ro.r, ro.term, ro.cont, ro.v, ro.vNext, gamma, 1.0);
      double[] expected = monteCarloReturns(ro, gamma);
      assertThat(mc.targets()).containsExactly(expected, within(1e-9));
    }
  }

  @Test
  void lambdaZeroIsTd0() {
    SplittableRandom rng = new SplittableRandom(11);
    for (int trial = 0; trial < 50; trial++) {
      Rollout ro = Rollout.random(rng, 1 + rng.nextInt(60));
      double gamma = 0.5 + 0.5 * rng.nextDouble();
      Advantages.Estimates gae0 = Advantages.gae(ro.r, ro.term, ro.cont, ro.v, ro.vNext, gamma, 0.0);
      Advantages.Estimates td = Advantages.td0(ro.r, ro.term, ro.v, ro.vNext, gamma);
      assertThat(gae0.advantages()).containsExactly(td.advantages());
      assertThat(gae0.targets()).containsExactly(td.targets());
      // and TD(0) is r + gamma * (1 - terminated) * V(s') - V(s), row by row
      for (int i = 0; i < ro.r.length; i++) {
        double expected = ro.r[i] + gamma * (ro.term[i] ? 0 : ro.vNext[i]) - ro.v[i];
        assertThat(td.advantages()[i]).isCloseTo(expected, within(1e-12));
      }
    }
  }

  @Test
  void rejectsInconsistentInput() {
    assertThatThrownBy(() -> Advantages.gae(new double[] {1}, new boolean[] {true}, new boolean[] {true},
        new double[] {0}, new double[] {0}, 0.9, 0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0 is terminated but marked as continuing");
    assertThatThrownBy(() -> Advantages.gae(new double[2], new boolean[2], new boolean[2], new double[1],
        new double[2], 0.9, 0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 rows");
    assertThatThrownBy(() -> Advantages.gae(new double[1], new boolean[1], new boolean[1], new double[1],
        new double[1], 0.0, 0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gamma");
    assertThatThrownBy(() -> Advantages.gae(new double[1], new boolean[1], new boolean[1], new double[1],
        new double[1], 0.9, 1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lambda");
  }

  @Test
  void normalizeGivesMeanZeroAndSampleStdOne() {
    // mean 3, sample variance (4 + 1 + 0 + 1 + 4) / 4 = 2.5, std = sqrt(2.5) = 1.5811388300841898
    double[] a = {1, 2, 3, 4, 5};
    Advantages.normalize(a);
    double s = Math.sqrt(2.5);
    assertThat(a).containsExactly(new double[] {-2 / s, -1 / s, 0, 1 / s, 2 / s}, within(1e-7));

    SplittableRandom rng = new SplittableRandom(3);
    double[] b = new double[1000];
    for (int i = 0; i < b.length; i++) {
      b[i] = 5 + 3 * rng.nextDouble();
    }
    Advantages.normalize(b);
    double mean = Arrays.stream(b).average().orElseThrow();
    double var = Arrays.stream(b).map(x -> (x - mean) * (x - mean)).sum() / (b.length - 1);
    assertThat(mean).isCloseTo(0, within(1e-12));
    assertThat(var).isCloseTo(1, within(1e-6));
  }

  @Test
  void normalizeLeavesASingleValueAloneAndMapsConstantsToZeroWithoutNaN() {
    double[] one = {4.2};
    Advantages.normalize(one);
    assertThat(one).containsExactly(4.2);

    double[] constant = {2, 2, 2};
    Advantages.normalize(constant);
    assertThat(constant).containsExactly(0, 0, 0);
  }

  @Test
  void explainedVariance() {
    double[] y = {1, 2, 3, 4};
    // perfect prediction: 1 - 0 / Var(y) = 1
    assertThat(Advantages.explainedVariance(y.clone(), y)).isCloseTo(1, within(1e-12));
    // a constant prediction explains nothing: Var(y - c) = Var(y)
    assertThat(Advantages.explainedVariance(new double[] {7, 7, 7, 7}, y)).isCloseTo(0, within(1e-12));
    // y - v = [0, 0, 0, -1]: mean -0.25, Var = (3 * 0.0625 + 0.5625) / 4 = 0.1875;
    // Var(y) = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25; EV = 1 - 0.1875 / 1.25 = 0.85
    assertThat(Advantages.explainedVariance(new double[] {1, 2, 3, 5}, y)).isCloseTo(0.85, within(1e-12));
    // worse than a constant: v = -y, Var(2y) = 4 Var(y), EV = 1 - 4 = -3
    assertThat(Advantages.explainedVariance(new double[] {-1, -2, -3, -4}, y)).isCloseTo(-3, within(1e-12));
    // constant targets: undefined
    assertThat(Advantages.explainedVariance(new double[] {1, 2}, new double[] {3, 3})).isNaN();
  }

  /** Discounted return summed forwards from each row to its episode's end or the data's end. */
  private static double[] monteCarloReturns(Rollout ro, double gamma) {
    int n = ro.r.length;
    double[] g = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      double discount = 1;
      int j = i;
      while (true) {
        sum += discount * ro.r[j];
        discount *= gamma;
        if (ro.term[j]) {
          break;
        }
        if (!ro.cont[j]) {
          sum += discount * ro.vNext[j]; // truncated or data ends: bootstrap with V(s')
          break;
        }
        j++;
      }
      g[i] = sum;
    }
    return g;
  }

  /** Random rows of several actors and episodes, with consistent flags and values. */
  private record Rollout(double[] r, boolean[] term, boolean[] cont, double[] v, double[] vNext) {
    static Rollout random(SplittableRandom rng, int n) {
      double[] r = new double[n];
      boolean[] term = new boolean[n];
      boolean[] cont = new boolean[n];
      double[] v = new double[n];
      double[] vNext = new double[n];
      for (int i = 0; i < n; i++) {
        r[i] = rng.nextDouble(-1, 2);
        v[i] = rng.nextDouble(-3, 3);
        vNext[i] = rng.nextDouble(-3, 3);
        double u = rng.nextDouble();
        term[i] = u < 0.1;
        boolean truncated = !term[i] && u < 0.2;
        boolean actorEnds = rng.nextDouble() < 0.1;
        cont[i] = !term[i] && !truncated && !actorEnds && i < n - 1;
      }
      // Inside an episode next_obs[i] is obs[i+1], so V(s'_i) = V(s_{i+1}) (what makes the
      // lambda = 1 sum of TD errors telescope into the Monte-Carlo return).
      for (int i = 0; i < n - 1; i++) {
        if (cont[i]) {
          vNext[i] = v[i + 1];
        }
      }
      return new Rollout(r, term, cont, v, vNext);
    }
  }
}
