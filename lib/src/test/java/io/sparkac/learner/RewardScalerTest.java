package io.sparkac.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.trajectory.RowBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Reward scaling against SB3's {@code VecNormalize(norm_reward=True)}, re-implemented below from
 * {@code stable_baselines3/common/vec_env/vec_normalize.py}: per actor the discounted return
 * {@code R <- gamma R + r}, reset to 0 when an episode ends (terminated or truncated: SB3's
 * {@code dones}), its running mean and variance, and rewards divided by the running standard
 * deviation and clipped.
 *
 * <p>One documented difference: SB3 updates the statistics every vector step and scales that
 * step's rewards with them; {@link RewardScaler} merges a whole round's returns first and scales
 * all of the round's rewards with the statistics after the round. The statistics themselves and
 * the per-actor returns are the same as SB3's after every round.
 */
class RewardScalerTest {
  private static final double GAMMA = 0.9;
  private static final double EPSILON = 1e-8;

  /** SB3's VecNormalize reward side with n actors, stepped in lockstep. */
  private static final class Sb3VecNormalize {
    final double[] returns;
    double mean = 0;
    double var = 1;
    double count = 1e-4;
    final double clip;

    Sb3VecNormalize(int actors, double clip) {
      returns = new double[actors];
      this.clip = clip;
    }

    /** step_wait: _update_reward(rewards), then normalize_reward(rewards), then returns[dones] = 0. */
    double[] step(double[] rewards, boolean[] dones) {
      int n = rewards.length;
      for (int a = 0; a < n; a++) {
        returns[a] = returns[a] * GAMMA + rewards[a];
      }
      // ret_rms.update(self.returns): update_from_moments(np.mean, np.var, n)
      double batchMean = Arrays.stream(returns).average().orElseThrow();
      double batchVar = Arrays.stream(returns).map(x -> (x - batchMean) * (x - batchMean)).sum() / n;
      double delta = batchMean - mean;
      double tot = count + n;
      double newMean = mean + delta * n / tot;
      double m2 = var * count + batchVar * n + delta * delta * count * n / tot;
      mean = newMean;
      var = m2 / tot;
      count = tot;
      double[] scaled = new double[n];
      for (int a = 0; a < n; a++) {
        scaled[a] = Math.max(-clip, Math.min(clip, rewards[a] / Math.sqrt(var + EPSILON)));
        if (dones[a]) {
          returns[a] = 0;
        }
      }
      return scaled;
    }
  }

  /**
   * A round of {@code steps} steps for each actor, in RowBatch's order (actor_id, then time);
   * {@code reward[a][t]}, {@code terminated[a][t]}, {@code truncated[a][t]}.
   */
  private static RowBatch round(double[][] reward, boolean[][] terminated, boolean[][] truncated) {
    int actors = reward.length;
    int steps = reward[0].length;
    int n = actors * steps;
    RowBatch d = new RowBatch(n, 1, 0);
    int[] actorId = d.actorId();
    double[] r = d.reward();
    boolean[] term = d.terminated();
    boolean[] trunc = d.truncated();
    boolean[] continues = d.continues();
    for (int a = 0; a < actors; a++) {
      for (int t = 0; t < steps; t++) {
        int i = a * steps + t;
        actorId[i] = a;
        r[i] = reward[a][t];
        term[i] = terminated[a][t];
        trunc[i] = truncated[a][t];
        continues[i] = t + 1 < steps && !term[i] && !trunc[i];
      }
    }
    return d;
  }

  /** Feeds a round to the SB3 reference in time order. */
  private static void stepAll(Sb3VecNormalize sb3, double[][] reward, boolean[][] terminated, boolean[][] truncated) {
    int actors = reward.length;
    for (int t = 0; t < reward[0].length; t++) {
      double[] r = new double[actors];
      boolean[] done = new boolean[actors];
      for (int a = 0; a < actors; a++) {
        r[a] = reward[a][t];
        done[a] = terminated[a][t] || truncated[a][t];
      }
      sb3.step(r, done);
    }
  }

  // Actor 0's episode terminates after its 2nd step; actor 1's is truncated after its 4th.
  private static final double[][] REWARD_1 = {{1, 2, 3, 4, 5}, {-1, 0.5, 2, -3, 1}};
  private static final boolean[][] TERMINATED_1 = {{false, true, false, false, false}, new boolean[5]};
  private static final boolean[][] TRUNCATED_1 = {new boolean[5], {false, false, false, true, false}};
  private static final double[][] REWARD_2 = {{0.5, -2, 1, 0, 3}, {2, 2, -1, 0.25, 4}};
  private static final boolean[][] NONE = {new boolean[5], new boolean[5]};
  private static final boolean[][] TERMINATED_2 = {new boolean[5], {false, true, false, false, false}};

  @Test
  void returnsResetAtTerminationAndTruncationAsInSb3() {
    RewardScaler.Scaled s = RewardScaler.initial(2, GAMMA, 10).scale(round(REWARD_1, TERMINATED_1, TRUNCATED_1));

    // by hand: actor 0 sees returns 1, 2.9 (terminated: reset), 3, 6.7, 11.03; it ends at 11.03
    //          actor 1 sees -1, -0.4, 1.64, -1.524 (truncated: reset), 1; it ends at 1
    double[] seen = {1, 2.9, 3, 6.7, 11.03, -1, -0.4, 1.64, -1.524, 1};
    assertThat(s.next().actorReturns()).containsExactly(new double[] {11.03, 1}, within(1e-12));
    double seenMean = Arrays.stream(seen).average().orElseThrow();
    double seenVar = Arrays.stream(seen).map(x -> (x - seenMean) * (x - seenMean)).average().orElseThrow();
    // merged with the prior (count 1e-4, mean 0, variance 1)
    double total = 10 + 1e-4;
    double mean = seenMean * 10 / total;
    double var = (1e-4 + seenVar * 10 + seenMean * seenMean * 1e-4 * 10 / total) / total;
    assertThat(s.next().mean()).isCloseTo(mean, within(1e-12));
    assertThat(s.next().var()).isCloseTo(var, within(1e-12));
    assertThat(s.next().count()).isCloseTo(total, within(1e-12));

    // the same statistics as SB3 stepping both actors in lockstep
    Sb3VecNormalize sb3 = new Sb3VecNormalize(2, 10);
    stepAll(sb3, REWARD_1, TERMINATED_1, TRUNCATED_1);
    assertThat(s.next().mean()).isCloseTo(sb3.mean, within(1e-12));
    assertThat(s.next().var()).isCloseTo(sb3.var, within(1e-12));
    assertThat(s.next().count()).isCloseTo(sb3.count, within(1e-12));
    assertThat(s.next().actorReturns()).containsExactly(sb3.returns, within(1e-12));

    // every reward divided by the standard deviation after the round
    double std = Math.sqrt(var + EPSILON);
    double[] expected = new double[10];
    for (int i = 0; i < 10; i++) {
      expected[i] = REWARD_1[i / 5][i % 5] / std;
    }
    assertThat(s.rewards()).containsExactly(expected, within(1e-12));
  }

  @Test
  void returnsCarryOverToTheNextRoundPerActor() {
    RewardScaler first = RewardScaler.initial(2, GAMMA, 10);
    RewardScaler.Scaled one = first.scale(round(REWARD_1, TERMINATED_1, TRUNCATED_1));
    RewardScaler.Scaled two = one.next().scale(round(REWARD_2, NONE, TERMINATED_2));

    // actor 0 continues its episode from 11.03: 0.5 + 0.9 * 11.03 = 10.427, ...
    // actor 1 from 1: 2 + 0.9 = 2.9, then 2 + 2.61 = 4.61 (terminated: reset), -1, ...
    double a0 = 11.03;
    for (double r : REWARD_2[0]) {
      a0 = GAMMA * a0 + r;
    }
    double a1 = 0;
    for (int t = 2; t < 5; t++) {
      a1 = GAMMA * a1 + REWARD_2[1][t];
    }
    assertThat(two.next().actorReturns()).containsExactly(new double[] {a0, a1}, within(1e-12));

    Sb3VecNormalize sb3 = new Sb3VecNormalize(2, 10);
    stepAll(sb3, REWARD_1, TERMINATED_1, TRUNCATED_1);
    stepAll(sb3, REWARD_2, NONE, TERMINATED_2);
    assertThat(two.next().mean()).isCloseTo(sb3.mean, within(1e-12));
    assertThat(two.next().var()).isCloseTo(sb3.var, within(1e-12));
    assertThat(two.next().count()).isCloseTo(sb3.count, within(1e-12));
    assertThat(two.next().actorReturns()).containsExactly(sb3.returns, within(1e-12));
    double std = Math.sqrt(sb3.var + EPSILON);
    for (int i = 0; i < 10; i++) {
      assertThat(two.rewards()[i]).isCloseTo(REWARD_2[i / 5][i % 5] / std, within(1e-12));
    }

    // immutable: the first scaler still starts from zero returns and the prior
    assertThat(first.actorReturns()).containsExactly(0, 0);
    assertThat(first.count()).isEqualTo(1e-4);
    assertThat(one.next().actorReturns()).containsExactly(new double[] {11.03, 1}, within(1e-12));

    // and if the returns did not carry over, the statistics would differ from SB3's
    RewardScaler.Scaled fresh = new RewardScaler(new double[2], one.next().mean(), one.next().var(),
        one.next().count(), GAMMA, 10).scale(round(REWARD_2, NONE, TERMINATED_2));
    assertThat(Math.abs(fresh.next().mean() - sb3.mean)).isGreaterThan(1e-3);
  }

  @Test
  void scaledRewardsAreClipped() {
    double[][] reward = {{0.1, 0.1, 1000, 0.1}, {0.1, -1000, 0.1, 0.1}};
    boolean[][] none = {new boolean[4], new boolean[4]};
    RewardScaler.Scaled s = RewardScaler.initial(2, 0.99, 1.0).scale(round(reward, none, none));
    double std = Math.sqrt(s.next().var() + EPSILON);
    assertThat(1000 / std).as("the big rewards are past the clip").isGreaterThan(1.2);
    assertThat(s.rewards()[2]).isEqualTo(1.0);
    assertThat(s.rewards()[5]).isEqualTo(-1.0);
    assertThat(s.rewards()[0]).isCloseTo(0.1 / std, within(1e-15));
    // the clip is kept for the next round
    assertThat(s.next().clip()).isEqualTo(1.0);
    assertThat(s.next().gamma()).isEqualTo(0.99);
  }
}
