package io.sparkac.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Off-policy estimates of a target policy's expected return from logged episodes, with a
 * bootstrap confidence interval over episodes. Pure Java: {@link OffPolicyEvaluation} feeds it.
 *
 * <p>Episode i has steps t = 0..T_i-1 with reward r_t, the log-ratio log pi(a_t|s_t) - log
 * b(a_t|s_t) of the target pi over the behaviour b that sampled the step, and the logged critic's
 * V(s_t). The cumulative ratio is w_t = prod_{k<=t} rho_k (w_{-1} = 1). Over n episodes, with
 * discount gamma:
 *
 * <ul>
 *   <li>per-decision importance sampling (Precup et al. 2000): (1/n) sum_i sum_t gamma^t w_t r_t;
 *   <li>weighted per-decision IS: sum_t gamma^t (sum_i w_t r_t) / (sum_i w_t);
 *   <li>doubly robust (Jiang and Li 2016) with the critic as the action-value model, Q(s,a) ~
 *       V(s) (the logs hold V(s) of the taken step only): (1/n) sum_i sum_t gamma^t (w_t r_t - (w_t
 *       - w_{t-1}) V(s_t)); the control variate has mean zero whatever V is, so the estimate stays
 *       unbiased, and the better V predicts the return-to-go, the lower its variance;
 *   <li>weighted doubly robust (Thomas and Brunskill 2016): the same with w_t replaced by
 *       w_t / sum_j w_t^j and w_{-1} by 1/n.
 * </ul>
 *
 * In the weighted estimators an episode that has ended stays in the sums at later t with its
 * last weight and reward 0 (an absorbing state), so every t normalises over all n episodes.
 */
public final class OffPolicyEstimators {
  /** The estimators, in the order of {@link #estimate}'s result. */
  public static final List<String> NAMES = List.of("is", "wis", "dr", "wdr");

  private OffPolicyEstimators() {}

  /** One logged episode: per step, reward, log(pi/b) and the logged critic's V(s_t). */
  public record Episode(double[] reward, double[] logRatio, double[] value) {
    public Episode {
      if (reward.length != logRatio.length || reward.length != value.length) {
        throw new IllegalArgumentException("episode arrays of different lengths: " + reward.length + " rewards, "
            + logRatio.length + " log-ratios, " + value.length + " values");
      }
      if (reward.length == 0) {
        throw new IllegalArgumentException("an episode has at least one step");
      }
    }

    public int length() {
      return reward.length;
    }
  }

  /** A point estimate and its bootstrap interval [low, high]. */
  public record Interval(double estimate, double low, double high) {}

  /**
   * The episodes prepared once: cumulative weights and discounts, so that each bootstrap resample
   * costs one pass over the steps.
   */
  public static final class Prepared {
    final int n;
    final int horizon;
    final double[][] w; // w[i][t] = cumulative ratio
    final double[][] r;
    final double[][] v;
    final double[] discount; // gamma^t, t < horizon
    final double[] isTerm; // per episode: sum_t gamma^t w_t r_t
    final double[] drTerm; // per episode: sum_t gamma^t (w_t r_t - (w_t - w_{t-1}) V_t)
    final double[] returns; // per episode: sum_t gamma^t r_t (the logged return)

    Prepared(List<Episode> episodes, double gamma) {
      if (episodes.isEmpty()) {
        throw new IllegalArgumentException("no episode to estimate from");
      }
      if (!(gamma > 0 && gamma <= 1)) {
        throw new IllegalArgumentException("gamma = " + gamma + ": must be in (0, 1]");
      }
      n = episodes.size();
      int h = 0;
      for (Episode e : episodes) {
        h = Math.max(h, e.length());
      }
      horizon = h;
      discount = new double[h];
      double g = 1;
      for (int t = 0; t < h; t++) {
        discount[t] = g;
        g *= gamma;
      }
      w = new double[n][];
      r = new double[n][];
      v = new double[n][];
      isTerm = new double[n];
      drTerm = new double[n];
      returns = new double[n];
      for (int i = 0; i < n; i++) {
        Episode e = episodes.get(i);
        int len = e.length();
        double[] wi = new double[len];
        double logW = 0;
        double is = 0;
        double dr = 0;
        double ret = 0;
        double prev = 1;
        for (int t = 0; t < len; t++) {
          logW += e.logRatio()[t];
          wi[t] = Math.exp(logW);
          is += discount[t] * wi[t] * e.reward()[t];
          dr += discount[t] * (wi[t] * e.reward()[t] - (wi[t] - prev) * e.value()[t]);
          ret += discount[t] * e.reward()[t];
          prev = wi[t];
        }
        if (!Double.isFinite(is) || !Double.isFinite(dr)) {
          throw new IllegalArgumentException("episode #" + i + ": its importance weights overflow (cumulative"
              + " log-ratio " + logW + "); the target policy is too far from the behaviour policy for these data");
        }
        w[i] = wi;
        r[i] = e.reward();
        v[i] = e.value();
        isTerm[i] = is;
        drTerm[i] = dr;
        returns[i] = ret;
      }
    }

    /** The estimates of {@link #NAMES} with episode i counted {@code count[i]} times (a resample). */
    double[] estimate(int[] count) {
      int total = 0;
      double is = 0;
      double dr = 0;
      double[] num = new double[horizon]; // sum_i c w_t r_t
      double[] den = new double[horizon]; // sum_i c w_t, ended episodes with their last weight
      double[] ended = new double[horizon + 1]; // c * last weight, added from t = T_i on
      double[] a = new double[horizon]; // sum_i c w_t (r_t - V_t)
      double[] b = new double[horizon]; // sum_i c w_{t-1} V_t
      for (int i = 0; i < n; i++) {
        int c = count[i];
        if (c == 0) {
          continue;
        }
        total += c;
        is += c * isTerm[i];
        dr += c * drTerm[i];
        double[] wi = w[i];
        double[] ri = r[i];
        double[] vi = v[i];
        double prev = 1;
        for (int t = 0; t < wi.length; t++) {
          double cw = c * wi[t];
          num[t] += cw * ri[t];
          den[t] += cw;
          a[t] += cw * (ri[t] - vi[t]);
          b[t] += c * prev * vi[t];
          prev = wi[t];
        }
        ended[wi.length] += c * wi[wi.length - 1];
      }
      double wis = 0;
      double wdr = 0;
      double tail = 0;
      double prevDen = total; // w_{-1} = 1 for every episode
      for (int t = 0; t < horizon; t++) {
        tail += ended[t];
        double d = den[t] + tail;
        if (d > 0) {
          wis += discount[t] * num[t] / d;
          wdr += discount[t] * a[t] / d;
        }
        if (prevDen > 0) {
          wdr += discount[t] * b[t] / prevDen;
        }
        prevDen = d;
      }
      return new double[] {is / total, wis, dr / total, wdr};
    }

    double meanReturn(int[] count) {
      double s = 0;
      int total = 0;
      for (int i = 0; i < n; i++) {
        s += count[i] * returns[i];
        total += count[i];
      }
      return s / total;
    }
  }

  /** Prepares the episodes for {@link #estimate} and {@link #bootstrap}. */
  public static Prepared prepare(List<Episode> episodes, double gamma) {
    return new Prepared(episodes, gamma);
  }

  /** The point estimates, in the order of {@link #NAMES}. */
  public static double[] estimate(Prepared p) {
    return p.estimate(ones(p.n));
  }

  /** The episodes' mean (discounted) return as logged: what the behaviour policy got. */
  public static double loggedReturn(Prepared p) {
    return p.meanReturn(ones(p.n));
  }

  /**
   * The estimators' point estimates with percentile bootstrap intervals: {@code resamples} times,
   * n episodes drawn with replacement (from a generator seeded with {@code seed}, so the same data
   * and seed give the same intervals), each estimator computed on the resample; the interval holds
   * the central {@code confidence} of those values. The last entry is the logged return's.
   */
  public static List<Interval> bootstrap(Prepared p, int resamples, double confidence, long seed) {
    if (resamples < 1) {
      throw new IllegalArgumentException("resamples = " + resamples + ": must be >= 1");
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence = " + confidence + ": must be in (0, 1)");
    }
    int k = NAMES.size();
    double[][] values = new double[k + 1][resamples];
    SplittableRandom rng = new SplittableRandom(seed);
    int[] count = new int[p.n];
    for (int s = 0; s < resamples; s++) {
      java.util.Arrays.fill(count, 0);
      for (int j = 0; j < p.n; j++) {
        count[rng.nextInt(p.n)]++;
      }
      double[] e = p.estimate(count);
      for (int m = 0; m < k; m++) {
        values[m][s] = e[m];
      }
      values[k][s] = p.meanReturn(count);
    }
    double[] point = estimate(p);
    List<Interval> out = new ArrayList<>(k + 1);
    for (int m = 0; m <= k; m++) {
      double[] sorted = values[m].clone();
      java.util.Arrays.sort(sorted);
      double alpha = (1 - confidence) / 2;
      out.add(new Interval(m < k ? point[m] : loggedReturn(p), quantile(sorted, alpha), quantile(sorted, 1 - alpha)));
    }
    return out;
  }

  /** Final cumulative weights' effective sample size, (sum w)^2 / sum w^2: n when pi = b, near 1 when one episode dominates. */
  public static double effectiveSampleSize(Prepared p) {
    double s = 0;
    double s2 = 0;
    for (double[] wi : p.w) {
      double last = wi[wi.length - 1];
      s += last;
      s2 += last * last;
    }
    return s2 == 0 ? 0 : s * s / s2;
  }

  /** The q-quantile of sorted values, linearly interpolated (numpy's default). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static int[] ones(int n) {
    int[] c = new int[n];
    java.util.Arrays.fill(c, 1);
    return c;
  }
}
