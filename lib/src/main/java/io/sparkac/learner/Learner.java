package io.sparkac.learner;

import io.sparkac.advantage.Advantages;
import io.sparkac.config.TrainConfig;
import io.sparkac.nn.GlobalGradientClip;
import io.sparkac.nn.MlpTrainer;
import io.sparkac.nn.MlpWeights;
import io.sparkac.numeric.Moments;
import io.sparkac.numeric.NonFiniteValueException;
import io.sparkac.policy.ObservationNormalizer;
import io.sparkac.random.Seeds;
import io.sparkac.trajectory.RowBatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The driver-side synchronized step of A2C: compute V(s) and V(s') with the critic as it was
 * before the update, the advantages and bootstrap targets, then fit the critic by regression to
 * the targets and the actor with the advantage-weighted policy-gradient loss. Driver only; it
 * never steps an environment (RLlib's EnvRunner / Learner split).
 *
 * <p>The fits run on {@link MlpTrainer}, the networks' training step in plain Java, which does
 * what {@code net.fit} does per minibatch at a fraction of its cost. The DL4J networks stay the
 * definition and the storage: each update copies their parameters, updater state and iteration
 * count into the trainers first and writes them back after both fits (a few thousand floats
 * each), so between updates {@link #actor()}, {@link #critic()}, the weights, checkpoints and
 * {@code learner.mode = spark} see the networks as {@code net.fit} would have left them.
 */
public final class Learner {
  private final TrainConfig config;
  private final MultiLayerNetwork actor;
  private final MultiLayerNetwork critic;
  /** Outputs per row of the actor: logits, or the Gaussian's means and log-stds. */
  private final int actorOutputs;
  private final GlobalGradientClip actorClip;
  private final GlobalGradientClip criticClip;
  /** Fit with DL4J's {@code net.fit} instead of the trainers: the reference the tests compare with. */
  private final boolean dl4jFit;
  /** The networks' training steps, made at the first update (null with {@link #dl4jFit}). */
  private MlpTrainer actorTrainer;
  private MlpTrainer criticTrainer;
  /** Fits the critic while the caller's thread fits the actor (daemon: never blocks exit). */
  private final ExecutorService fitter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "sparkac-critic-fit");
    t.setDaemon(true);
    return t;
  });

  public Learner(TrainConfig config, MultiLayerNetwork actor, MultiLayerNetwork critic) {
    this(config, actor, critic, false);
  }

  /** With {@code dl4jFit}: each minibatch fitted by DL4J's {@code net.fit}, as before the trainers (tests). */
  Learner(TrainConfig config, MultiLayerNetwork actor, MultiLayerNetwork critic, boolean dl4jFit) {
    this.config = config;
    this.dl4jFit = dl4jFit;
    this.actor = actor;
    this.critic = critic;
    this.actorOutputs = (int) actor.layerSize(actor.getnLayers() - 1);
    double clip = config.learner().maxGradNorm();
    this.actorClip = clip > 0 ? new GlobalGradientClip(clip) : null;
    this.criticClip = clip > 0 ? new GlobalGradientClip(clip) : null;
    if (actorClip != null) {
      actor.setListeners(actorClip);
      critic.setListeners(criticClip);
    }
    this.rewardScaler = config.normalize().rewards()
        ? RewardScaler.initial(config.rollout().actors(), config.learner().gamma(), config.normalize().clip())
        : null;
  }

  public MultiLayerNetwork actor() {
    return actor;
  }

  public MultiLayerNetwork critic() {
    return critic;
  }

  public MlpWeights actorWeights() {
    return MlpWeights.of(actor, config.network().activation());
  }

  public MlpWeights criticWeights() {
    return MlpWeights.of(critic, config.network().activation());
  }

  private RewardScaler rewardScaler;

  /** The reward scaler's state (null when rewards are not scaled), saved with checkpoints. */
  public RewardScaler rewardScaler() {
    return rewardScaler;
  }

  public void setRewardScaler(RewardScaler scaler) {
    this.rewardScaler = scaler;
  }

  /**
   * One synchronized update from round {@code round}'s samples. {@code normalizer} is the
   * observation statistics the round was sampled with (null: raw observations).
   */
  public LearnerStats update(RowBatch d, int round, ObservationNormalizer normalizer) {
    return update(d, round, normalizer, null);
  }

  /**
   * The same, with the advantages of stale samples reweighted by {@code correction} (asynchronous
   * mode; null: no correction) where the actor's labels are built.
   */
  public LearnerStats update(RowBatch d, int round, ObservationNormalizer normalizer,
      OffPolicyCorrection correction) {
    int n = d.rows();
    if (n == 0) {
      throw new IllegalStateException("round " + round + ": no samples to learn from");
    }
    TrainConfig.Learner l = config.learner();
    double[] reward = d.reward();
    if (rewardScaler != null) {
      RewardScaler.Scaled scaled = rewardScaler.scale(d);
      rewardScaler = scaled.next();
      reward = scaled.rewards();
    }

    // ---- V(s), V(s'), targets, advantages, log pi(a|s) and entropy, with the networks before the fit ----
    RoundTargets rt = RoundTargets.of(d, reward, criticWeights(), actorWeights(), normalizer, l.gamma(),
        l.effectiveLambda());
    float[] obs = rt.inputs();
    double[] adv = rt.advantage();
    Moments advMoments = Moments.of(adv);

    // ---- statistics of the networks before the update ----
    double valueLoss = 0;
    double policyLoss = 0;
    double entropy = 0;
    for (int i = 0; i < n; i++) {
      valueLoss += (rt.value()[i] - rt.target()[i]) * (rt.value()[i] - rt.target()[i]);
      policyLoss -= adv[i] * rt.logp()[i];
      entropy += rt.entropy()[i];
    }
    valueLoss /= n;
    policyLoss /= n;
    entropy /= n;
    double ev = Advantages.explainedVariance(rt.value(), rt.target());
    NonFiniteValueException.requireFinite(round, "critic value loss", valueLoss);
    NonFiniteValueException.requireFinite(round, "policy loss", policyLoss);

    // ---- fit the critic (regression to the bootstrap targets) and the actor (the advantages
    // as labels, see Actions) ----
    // The two fits are independent once the targets and advantages are fixed (both come from the
    // critic as it was before the update), so the critic fits on a second thread while the actor
    // fits on this one: each network's arithmetic is unchanged, so the result is too.
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      y[i] = (float) rt.target()[i];
    }
    int obsSize = d.obsSize();
    long t0 = System.nanoTime();
    beginFits();
    Future<Long> criticFit = fitter.submit(() -> {
      fit(0, obs, obsSize, y, 1, round, null);
      return System.nanoTime() - t0;
    });
    if (l.normalizeAdvantages()) {
      Advantages.normalize(adv);
    }
    if (correction != null) {
      // Off-policy correction of stale samples: A * w(rho), rho = pi(a|s) / pi_old(a|s).
      correction.reweight(adv, rt.logp(), d.logp());
    }
    int k = actorOutputs;
    Actions actions = Actions.of(d, k);
    float[] labels = new float[n * k];
    for (int i = 0; i < n; i++) {
      actions.label(i, (float) adv[i], labels, i);
    }
    // learner.objective = clipped: PPO's surrogate, its weights renewed before every minibatch step
    ClippedSurrogate surrogate = l.objective() == TrainConfig.Objective.CLIPPED
        ? new ClippedSurrogate(l.clipRange(), config.network().activation(), k, d.continuous(), d.actionSize(),
            d.action(), d.actionVec(), adv, d.logp())
        : null;
    long criticNanos;
    long actorNanos;
    try {
      fit(1, obs, obsSize, labels, k, round, surrogate);
      actorNanos = System.nanoTime() - t0;
      criticNanos = criticFit.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("round " + round + ": interrupted while fitting the critic", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("round " + round + ": the critic fit failed", e.getCause());
    } finally {
      criticFit.cancel(false);
    }

    endFits();
    NonFiniteValueException.requireFinite(round, "critic weights", critic.params());
    NonFiniteValueException.requireFinite(round, "actor weights", actor.params());
    return new LearnerStats(n, valueLoss, policyLoss, entropy, ev, advMoments.mean(), Math.sqrt(advMoments.variance()),
        criticGradNorm(), actorGradNorm(), criticNanos, actorNanos);
  }

  /**
   * Epochs of shuffled minibatches of network {@code which} (0: the critic, 1: the actor); the
   * shuffle derives from (run seed, round, network, epoch). {@code surrogate} (actor only, or
   * null) rewrites each minibatch's labels before its step.
   */
  private void fit(int which, float[] x, int xSize, float[] y, int ySize, int round, ClippedSurrogate surrogate) {
    TrainConfig.Learner l = config.learner();
    int n = y.length / ySize;
    int mb = Math.min(l.minibatchSize(), n);
    float[] xb = new float[mb * xSize];
    float[] yb = new float[mb * ySize];
    MlpTrainer trainer = which == 0 ? criticTrainer : actorTrainer;
    MultiLayerNetwork net = which == 0 ? critic : actor;
    for (int epoch = 0; epoch < l.epochs(); epoch++) {
      int[] order = SeededPermutation.shuffled(n, Seeds.mix(config.run().seed(), Seeds.SHUFFLE, round, which, epoch));
      for (int start = 0; start < n; start += mb) {
        int size = Math.min(mb, n - start);
        float[] xs = size == mb ? xb : new float[size * xSize];
        float[] ys = size == mb ? yb : new float[size * ySize];
        for (int r = 0; r < size; r++) {
          int src = order[start + r];
          System.arraycopy(x, src * xSize, xs, r * xSize, xSize);
          System.arraycopy(y, src * ySize, ys, r * ySize, ySize);
        }
        if (surrogate != null && trainer != null) {
          // the step reuses the forward pass the relabelling needs
          surrogate.relabel(trainer.forward(xs, size), order, start, size, ys);
          requireFiniteLoss(round, which, trainer.fitForwarded(ys));
          continue;
        }
        if (surrogate != null) {
          surrogate.relabel(net, order, start, size, xs, ys);
        }
        step(which, xs, xSize, ys, ySize, size, round);
      }
    }
  }

  /**
   * One minibatch step of network {@code which} (0: the critic, 1: the actor) on {@code size}
   * rows, between {@link #beginFits()} and {@link #endFits()}.
   */
  void step(int which, float[] x, int xSize, float[] y, int ySize, int size, int round) {
    MlpTrainer trainer = which == 0 ? criticTrainer : actorTrainer;
    if (trainer != null) {
      requireFiniteLoss(round, which, trainer.fit(x, y, size));
      return;
    }
    MultiLayerNetwork net = which == 0 ? critic : actor;
    INDArray features = Nd4j.create(x, new long[] {size, xSize}, 'c');
    INDArray labels = Nd4j.create(y, new long[] {size, ySize}, 'c');
    net.fit(new DataSet(features, labels));
    requireFiniteLoss(round, which, net.score());
  }

  private static void requireFiniteLoss(int round, int which, double score) {
    NonFiniteValueException.requireFinite(round, which == 0 ? "critic loss" : "actor loss", score);
  }

  /**
   * Before an update's fits: the trainers take the networks' parameters, updater state and
   * iteration count (the networks may have been restored or changed since the last update).
   */
  void beginFits() {
    if (dl4jFit) {
      return;
    }
    if (actorTrainer == null) {
      double clip = config.learner().maxGradNorm();
      actorTrainer = new MlpTrainer(actor, clip);
      criticTrainer = new MlpTrainer(critic, clip);
    }
    actorTrainer.load();
    criticTrainer.load();
  }

  /** After an update's fits: the networks take the trainers' parameters, updater state and iteration count. */
  void endFits() {
    if (dl4jFit) {
      return;
    }
    criticTrainer.store();
    actorTrainer.store();
  }

  /** The global norm of the critic's mean gradient at its last fitted minibatch (NaN without clipping). */
  double criticGradNorm() {
    return gradNorm(criticClip, criticTrainer);
  }

  /** The same for the actor. */
  double actorGradNorm() {
    return gradNorm(actorClip, actorTrainer);
  }

  /** The clip's last norm: from DL4J's listener with {@link #dl4jFit}, else from the network's trainer. */
  private double gradNorm(GlobalGradientClip clip, MlpTrainer trainer) {
    if (clip == null || (!dl4jFit && trainer == null)) {
      return Double.NaN;
    }
    return dl4jFit ? clip.lastNorm() : trainer.lastNorm();
  }
}
