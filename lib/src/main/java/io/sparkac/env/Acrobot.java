package io.sparkac.env;

import java.util.SplittableRandom;

/**
 * Acrobot-v1, ported from Gymnasium 1.0's {@code classic_control/acrobot.py}: the "book"
 * dynamics (Sutton and Barto), one 0.2 s step integrated by the module's own {@code rk4} with a
 * single Runge-Kutta stage, no torque noise ({@code torque_noise_max = 0}) and the 500-step
 * {@code TimeLimit}. Reward -1 for every step and 0 for the step that reaches the target height,
 * which terminates the episode.
 *
 * <p>The internal state is Gymnasium's {@code env.unwrapped.state}: the four values
 * {@code [theta1, theta2, dtheta1, dtheta2]} (the torque only rides along inside {@code rk4}).
 * The observation is {@code [cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]}.
 *
 * <p>Every expression keeps Gymnasium's operation order, so that float64 results agree to the
 * last bit wherever {@code sin}/{@code cos} do. They use {@link StrictMath} (fdlibm) rather than
 * {@link Math}: its results are specified bit for bit, so every executor computes the same
 * trajectory whatever its JVM or CPU. Neither matches numpy's {@code sin}/{@code cos} in every
 * last bit (numpy's differ from both by one or two ulps at times), which the conformance test
 * measures and tolerates.
 */
public final class Acrobot implements Environment {
  public static final String ID = "Acrobot-v1";

  private static final double DT = 0.2;
  private static final double LINK_LENGTH_1 = 1.0;
  private static final double LINK_MASS_1 = 1.0;
  private static final double LINK_MASS_2 = 1.0;
  private static final double LINK_COM_POS_1 = 0.5;
  private static final double LINK_COM_POS_2 = 0.5;
  private static final double LINK_MOI = 1.0;
  private static final double G = 9.8;
  private static final double MAX_VEL_1 = 4 * Math.PI;
  private static final double MAX_VEL_2 = 9 * Math.PI;
  /** Gymnasium's {@code AVAIL_TORQUE = [-1.0, 0.0, +1]}, indexed by the action. */
  private static final double[] AVAIL_TORQUE = {-1.0, 0.0, 1.0};
  private static final int MAX_STEPS = 500;

  private static final Space OBSERVATION_SPACE = Space.Box.of(
      new float[] {-1f, -1f, -1f, -1f, (float) -MAX_VEL_1, (float) -MAX_VEL_2},
      new float[] {1f, 1f, 1f, 1f, (float) MAX_VEL_1, (float) MAX_VEL_2});
  private static final Space ACTION_SPACE = new Space.Discrete(AVAIL_TORQUE.length);

  private double theta1;
  private double theta2;
  private double dtheta1;
  private double dtheta2;
  private int elapsed;

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Space observationSpace() {
    return OBSERVATION_SPACE;
  }

  @Override
  public Space actionSpace() {
    return ACTION_SPACE;
  }

  @Override
  public int maxEpisodeSteps() {
    return MAX_STEPS;
  }

  @Override
  public void reset(long seed, float[] obs) {
    // Gymnasium: uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32), so the start state
    // holds float32 values (visible in the traces' first prev_state).
    SplittableRandom rng = new SplittableRandom(seed);
    theta1 = uniformFloat32(rng);
    theta2 = uniformFloat32(rng);
    dtheta1 = uniformFloat32(rng);
    dtheta2 = uniformFloat32(rng);
    elapsed = 0;
    observe(obs);
  }

  private static double uniformFloat32(SplittableRandom rng) {
    // numpy's uniform: low + (high - low) * random().
    return (float) (-0.1 + (0.1 - -0.1) * rng.nextDouble());
  }

  @Override
  public void step(int action, float[] obs, StepResult result) {
    if (action < 0 || action >= AVAIL_TORQUE.length) {
      throw new IllegalArgumentException(ID + " action must be 0, 1 or 2, got: " + action);
    }
    double torque = AVAIL_TORQUE[action];
    // rk4(self._dsdt, s_augmented, [0, dt]): one stage from t = 0 to t = dt. The augmented
    // fifth component (the torque) has derivative 0.0, so it stays `torque` in every stage.
    double[] y0 = {theta1, theta2, dtheta1, dtheta2};
    double dt = DT - 0; // t[i + 1] - this
    double dt2 = dt / 2.0;
    double[] k1 = dsdt(y0, torque);
    double[] k2 = dsdt(axpy(y0, dt2, k1), torque);
    double[] k3 = dsdt(axpy(y0, dt2, k2), torque);
    double[] k4 = dsdt(axpy(y0, dt, k3), torque);
    double h = dt / 6.0;
    double[] ns = new double[4];
    for (int i = 0; i < 4; i++) {
      // y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4), elementwise, left to right.
      ns[i] = y0[i] + h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    theta1 = wrap(ns[0], -Math.PI, Math.PI);
    theta2 = wrap(ns[1], -Math.PI, Math.PI);
    dtheta1 = bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
    dtheta2 = bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
    elapsed++;

    boolean terminated = terminal();
    boolean truncated = elapsed >= MAX_STEPS;
    result.set(terminated ? 0.0 : -1.0, terminated, truncated);
    observe(obs);
  }

  /** {@code y + a * k} elementwise (numpy's {@code y0 + dt2 * k1}). */
  private static double[] axpy(double[] y, double a, double[] k) {
    return new double[] {y[0] + a * k[0], y[1] + a * k[1], y[2] + a * k[2], y[3] + a * k[3]};
  }

  /** Gymnasium's {@code _dsdt} with {@code book_or_nips = "book"}, term by term. */
  private static double[] dsdt(double[] s, double a) {
    double m1 = LINK_MASS_1;
    double m2 = LINK_MASS_2;
    double l1 = LINK_LENGTH_1;
    double lc1 = LINK_COM_POS_1;
    double lc2 = LINK_COM_POS_2;
    double i1 = LINK_MOI;
    double i2 = LINK_MOI;
    double g = G;
    double theta1 = s[0];
    double theta2 = s[1];
    double dtheta1 = s[2];
    double dtheta2 = s[3];
    // Python's x**2 on these constants is exact; on the state it is a correctly rounded square,
    // as x * x is.
    double cosTheta2 = StrictMath.cos(theta2);
    double sinTheta2 = StrictMath.sin(theta2);
    double d1 = m1 * (lc1 * lc1)
        + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cosTheta2)
        + i1
        + i2;
    double d2 = m2 * (lc2 * lc2 + l1 * lc2 * cosTheta2) + i2;
    double phi2 = m2 * lc2 * g * StrictMath.cos(theta1 + theta2 - Math.PI / 2.0);
    double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sinTheta2
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sinTheta2
        + (m1 * lc1 + m2 * l1) * g * StrictMath.cos(theta1 - Math.PI / 2)
        + phi2;
    // "book": consistent with the Java implementation and the book, as Gymnasium's comment says.
    double ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sinTheta2 - phi2)
        / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1);
    double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return new double[] {dtheta1, dtheta2, ddtheta1, ddtheta2};
  }

  /** Gymnasium's {@code wrap}: shifts {@code x} by whole periods into {@code [m, M]}. */
  private static double wrap(double x, double m, double bigM) {
    double diff = bigM - m;
    while (x > bigM) {
      x = x - diff;
    }
    while (x < m) {
      x = x + diff;
    }
    return x;
  }

  /** Gymnasium's {@code bound}: {@code min(max(x, m), M)}. */
  private static double bound(double x, double m, double bigM) {
    return Math.min(Math.max(x, m), bigM);
  }

  /** The free end above the target height: {@code -cos(s[0]) - cos(s[1] + s[0]) > 1.0}. */
  private boolean terminal() {
    return -StrictMath.cos(theta1) - StrictMath.cos(theta2 + theta1) > 1.0;
  }

  @Override
  public double[] state() {
    return new double[] {theta1, theta2, dtheta1, dtheta2};
  }

  @Override
  public int elapsedSteps() {
    return elapsed;
  }

  @Override
  public void restore(double[] state, int elapsedSteps) {
    if (state.length != 4) {
      throw new IllegalArgumentException(ID + " state has 4 values, got: " + state.length);
    }
    theta1 = state[0];
    theta2 = state[1];
    dtheta1 = state[2];
    dtheta2 = state[3];
    elapsed = elapsedSteps;
  }

  @Override
  public void observe(float[] obs) {
    obs[0] = (float) StrictMath.cos(theta1);
    obs[1] = (float) StrictMath.sin(theta1);
    obs[2] = (float) StrictMath.cos(theta2);
    obs[3] = (float) StrictMath.sin(theta2);
    obs[4] = (float) dtheta1;
    obs[5] = (float) dtheta2;
  }
}
