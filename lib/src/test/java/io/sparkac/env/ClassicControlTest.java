package io.sparkac.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * What the golden traces do not show of the classic-control ports: the reset distributions
 * (the traces start from Gymnasium's numpy draws, which we do not reproduce), the time limits,
 * and the edges that random actions rarely reach (goals, walls, clipping, invalid actions).
 */
class ClassicControlTest {
  private static final int SEEDS = 2000;

  @Test
  void timeLimitsAreGymnasiums() {
    assertThat(new Acrobot().maxEpisodeSteps()).isEqualTo(500);
    assertThat(new MountainCar().maxEpisodeSteps()).isEqualTo(200);
    assertThat(new MountainCarContinuous().maxEpisodeSteps()).isEqualTo(999);
    assertThat(new Pendulum().maxEpisodeSteps()).isEqualTo(200);
  }

  @Test
  void acrobotStartsUniformInPlusMinusPointOneRoundedToFloat32() {
    Acrobot env = new Acrobot();
    float[] obs = new float[6];
    double sum = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      env.reset(seed, obs);
      for (double v : env.state()) {
        assertThat(v).isBetween(-0.1, 0.1);
        assertThat((double) (float) v).as("float32 value").isEqualTo(v);
        sum += v;
      }
      assertThat(obs[0]).isEqualTo((float) StrictMath.cos(env.state()[0]));
      assertThat(obs[5]).isEqualTo((float) env.state()[3]);
    }
    assertThat(sum / (4 * SEEDS)).isCloseTo(0, within(0.005));
  }

  @Test
  void mountainCarsStartAtRestBetweenMinusPointSixAndMinusPointFour() {
    for (Environment env : new Environment[] {new MountainCar(), new MountainCarContinuous()}) {
      float[] obs = new float[2];
      double sum = 0;
      for (long seed = 0; seed < SEEDS; seed++) {
        env.reset(seed, obs);
        assertThat(env.state()[0]).isBetween(-0.6, -0.4);
        assertThat(env.state()[1]).isEqualTo(0.0);
        sum += env.state()[0];
      }
      assertThat(sum / SEEDS).as(env.id()).isCloseTo(-0.5, within(0.005));
    }
  }

  @Test
  void pendulumStartsAnywhereWithAngularVelocityInPlusMinusOne() {
    Pendulum env = new Pendulum();
    float[] obs = new float[3];
    double minTh = 0;
    double maxTh = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      env.reset(seed, obs);
      double th = env.state()[0];
      assertThat(th).isBetween(-Math.PI, Math.PI);
      assertThat(env.state()[1]).isBetween(-1.0, 1.0);
      minTh = Math.min(minTh, th);
      maxTh = Math.max(maxTh, th);
    }
    assertThat(minTh).isLessThan(-3.0);
    assertThat(maxTh).isGreaterThan(3.0);
  }

  @Test
  void acrobotRewardsZeroAndTerminatesAboveTheLine() {
    Acrobot env = new Acrobot();
    float[] obs = new float[6];
    StepResult result = new StepResult();
    env.restore(new double[] {Math.PI - 0.01, 0, 0, 0}, 7); // both links pointing up

    env.step(1, obs, result);

    assertThat(result.terminated).isTrue();
    assertThat(result.reward).isEqualTo(0.0);
    assertThat(env.elapsedSteps()).isEqualTo(8);
  }

  @Test
  void mountainCarStopsAtTheLeftWall() {
    MountainCar env = new MountainCar();
    float[] obs = new float[2];
    StepResult result = new StepResult();
    env.restore(new double[] {-1.19, -0.07}, 0);

    env.step(0, obs, result);

    assertThat(env.state()).containsExactly(-1.2, 0.0);
    assertThat(result.reward).isEqualTo(-1.0);
  }

  @Test
  void mountainCarTerminatesAtTheFlag() {
    MountainCar env = new MountainCar();
    StepResult result = new StepResult();
    env.restore(new double[] {0.49, 0.02}, 0);

    env.step(2, new float[2], result);

    assertThat(result.terminated).isTrue();
    assertThat(result.reward).isEqualTo(-1.0);
  }

  @Test
  void continuousMountainCarClipsTheForceButChargesTheActionAsGiven() {
    MountainCarContinuous env = new MountainCarContinuous();
    StepResult result = new StepResult();
    env.restore(new double[] {-0.5, 0.01}, 0);
    env.step(new float[] {1.5f}, new float[2], result);
    double[] beyond = env.state();
    double beyondReward = result.reward;

    env.restore(new double[] {-0.5, 0.01}, 0);
    env.step(new float[] {1.0f}, new float[2], result);

    assertThat(beyond).containsExactly(env.state());
    assertThat(beyondReward).isEqualTo(-(1.5 * 1.5 * 0.1));
    assertThat(result.reward).isEqualTo(-0.1);
    for (double v : env.state()) {
      assertThat((double) (float) v).as("state rounded to float32, as Gymnasium stores it").isEqualTo(v);
    }
  }

  @Test
  void continuousMountainCarPaysOneHundredAtTheGoal() {
    MountainCarContinuous env = new MountainCarContinuous();
    StepResult result = new StepResult();
    env.restore(new double[] {0.44, 0.03}, 0);

    env.step(new float[] {0.5f}, new float[2], result);

    assertThat(result.terminated).isTrue();
    assertThat(result.reward).isEqualTo(100.0 - 0.5 * 0.5 * 0.1);
  }

  @Test
  void pendulumClipsTheTorqueBeforeCostAndDynamics() {
    Pendulum env = new Pendulum();
    StepResult result = new StepResult();
    env.restore(new double[] {1.0, 0.5}, 0);
    env.step(new float[] {-3.0f}, new float[3], result);
    double[] beyond = env.state();
    double beyondReward = result.reward;

    env.restore(new double[] {1.0, 0.5}, 0);
    env.step(new float[] {-2.0f}, new float[3], result);

    assertThat(beyond).containsExactly(env.state());
    assertThat(beyondReward).isEqualTo(result.reward);
  }

  @Test
  void pendulumNeverTerminatesAndTruncatesAtTwoHundred() {
    Pendulum env = new Pendulum();
    float[] obs = new float[3];
    StepResult result = new StepResult();
    env.reset(3, obs);
    for (int i = 1; i <= 200; i++) {
      env.step(new float[] {2f}, obs, result);
      assertThat(result.terminated).isFalse();
      assertThat(result.truncated).as("step %d", i).isEqualTo(i == 200);
    }
  }

  @Test
  void pendulumAngleNormalizeTakesPythonsModulo() {
    assertThat(Pendulum.angleNormalize(0.0)).isEqualTo(0.0);
    assertThat(Pendulum.angleNormalize(Math.PI)).isEqualTo(-Math.PI);
    assertThat(Pendulum.angleNormalize(-Math.PI)).isEqualTo(-Math.PI);
    assertThat(Pendulum.angleNormalize(-4.984735659558355)).isEqualTo(1.298449647621231);
    assertThat(Pendulum.angleNormalize(7.0)).isCloseTo(7.0 - 2 * Math.PI, within(1e-15));
  }

  @Test
  void invalidActionsAreRejectedWithTheirValue() {
    assertThatThrownBy(() -> new Acrobot().step(3, new float[6], new StepResult()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Acrobot-v1 action must be 0, 1 or 2, got: 3");
    assertThatThrownBy(() -> new MountainCar().step(-1, new float[2], new StepResult()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("MountainCar-v0 action must be 0, 1 or 2, got: -1");
    assertThatThrownBy(() -> new Pendulum().step(new float[] {Float.NaN}, new float[3], new StepResult()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Pendulum-v1 action must be finite, got: NaN");
    assertThatThrownBy(() -> new MountainCarContinuous().step(new float[2], new float[2], new StepResult()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("MountainCarContinuous-v0 action has 1 value, got: 2");
    assertThatThrownBy(() -> new Pendulum().step(3, new float[3], new StepResult()))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
