package io.sparkac.nn;

import io.sparkac.policy.GaussianPolicy;
import java.util.List;
import org.deeplearning4j.nn.api.layers.LayerConstraint;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossL2;

/**
 * The driver learner's training step for one of {@link Networks}' MLPs in plain Java: for one
 * minibatch the forward pass, the loss gradient, back-propagation, {@link GlobalGradientClip}'s
 * clip and the optimizer step, as {@code net.fit(DataSet)} does them in DL4J 1.0.0-M2, without
 * its per-operation overhead on small matrices (DL4J learned about 70,000 samples/s at minibatch
 * 256 with 64x64 networks).
 *
 * <p>What it reproduces, step by step (checked against DL4J in {@code MlpTrainerTest}):
 * <ol>
 *   <li>dense layers {@code a = act(x W + b)} with tanh or relu, a linear output layer, float32;
 *   <li>the output layer's loss gradient with respect to its pre-activations: {@link LossL2} with
 *       its weight (the critic), {@link PolicyGradientLoss} (softmax actor) or
 *       {@link GaussianPolicyLoss} (Gaussian actor), per example, summed over the minibatch;
 *   <li>with a clip ({@code maxGradNorm > 0}): the gradient of the weights a
 *       {@link StateIndependentLogStd} holds at zero set to zero, the global L2 norm of the
 *       summed gradient divided by the minibatch size, and the summed gradient scaled by
 *       {@code maxNorm / norm} when that norm is larger ({@link GlobalGradientClip});
 *   <li>the gradient divided by the minibatch size (DL4J's updater does this before the rule);
 *   <li>Adam or RMSProp exactly as libnd4j's {@code adam_updater} / {@code rms_prop_updater} compute
 *       them in float: Adam's step {@code m * lr sqrt(1 - beta2^(t+1)) / (1 - beta1^(t+1)) /
 *       (sqrt(v) + eps)} with t the network's iteration count, RMSProp's {@code lr g / (sqrt(s) +
 *       eps)}; the parameters minus the step;
 *   <li>the constraint applied (the log-std weights zeroed again) and the iteration count + 1.
 * </ol>
 *
 * <p>The hidden tanh is {@link MlpForward}'s (a rational approximation within 4e-7 of tanh), and
 * every product goes through the {@link DenseKernel} the rollout uses: a row's forward pass here
 * gives exactly the bits the rollout's {@link MlpForward} gives, and the Vector API and the
 * scalar kernel give the same bits (multiply, then add, in one fixed order; no FMA). Sums over
 * the minibatch run in row order (a weight gradient's by chunks of {@link #CHUNK} rows, added in
 * order). So a step depends only on its inputs, never on threads or the machine's SIMD width.
 * Against DL4J (which sums in another order and uses libm's tanh) the gradients agree to 1e-5 of
 * each layer's largest, the parameters after 20 Adam or RMSProp steps likewise.
 *
 * <p>The network stays the definition and the storage: {@link #load()} copies its parameters,
 * updater state and iteration count (a few thousand floats) into this trainer, {@link #store()}
 * writes them back in DL4J's layout, so checkpoints, {@link MlpWeights} and every reader of the
 * network see what {@code net.fit} would have left there. Between the two the network is stale.
 *
 * <p>Not thread-safe; one instance per network, used by one thread at a time.
 */
public final class MlpTrainer {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MlpTrainer.class);

  private enum Loss { L2, SOFTMAX_POLICY, GAUSSIAN_POLICY }

  /** Rows per chunk of the weight gradients' sums (a chunk of 64-wide deltas is 64 KiB). */
  static final int CHUNK = 256;

  private final MultiLayerNetwork net;
  private final DenseKernel kernel;
  private final int[] sizes;
  private final int layers;
  private final boolean tanh;
  private final Loss loss;
  /** LossL2's weight (the critic), or the policy losses' entropy coefficient. */
  private final float l2Weight;
  private final float entropyCoef;
  private final double entropyCoefD;
  /** Action dimensions whose log-std weights are held at zero (0: no such constraint). */
  private final int logStdDims;
  private final double maxNorm;
  private final int paramCount;

  // Parameters: w[l][i] is row i of layer l's [nIn][nOut] matrix (input-major), wt[l][j] row j of
  // its transpose (output-major, DL4J's own layout); both always hold the same values.
  private final float[][][] w;
  private final float[][][] wt;
  private final float[][] b;
  private final float[][][] gw;
  private final float[][] gb;
  /** Updater state in the parameters' layout: Adam's m and v, or RMSProp's s (in m). */
  private final float[][][] mw;
  private final float[][] mb;
  private final float[][][] vw;
  private final float[][] vb;
  private IUpdater updater;
  private int iteration;
  private boolean loaded;
  private double lastNorm = Double.NaN;

  // Per-minibatch buffers, grown to the largest minibatch seen.
  private int capacity;
  /** act[0] the inputs, act[l + 1] layer l's outputs (after the activation, the output layer's before). */
  private float[][][] act;
  /** actT[l][i][r] = act[l][c + r][i] for the rows of one chunk c, for the weight gradients. */
  private float[][][] actT;
  /** A chunk's rows of the deltas, and its part of a layer's weight gradient. */
  private float[][] chunkRows;
  private final float[][][] gwPart;
  /** delta[l][r] = dL/d(pre-activation of layer l) for row r. */
  private float[][][] delta;
  private float[] out;
  private int rows;
  private boolean forwarded;
  private final float[][] scratch;
  private final float[][] xv = new float[4][];
  private final float[][] yv = new float[4][];
  private final float[] zeros;

  /**
   * A trainer for {@code net} (built by {@link Networks}: dense tanh or relu layers and an output
   * layer with one of the project's losses, Adam or RMSProp, float32), clipping the global gradient
   * norm at {@code maxGradNorm} (0 or less: no clip). It holds nothing until {@link #load()}.
   */
  public MlpTrainer(MultiLayerNetwork net, double maxGradNorm) {
    this(net, maxGradNorm, Chosen.KERNEL);
  }

  /** With a given kernel (tests compare the kernels bit for bit). */
  MlpTrainer(MultiLayerNetwork net, double maxGradNorm, DenseKernel kernel) {
    this.net = net;
    this.kernel = kernel;
    this.maxNorm = maxGradNorm;
    this.layers = net.getnLayers();
    if (net.params() == null || net.params().dataType() != DataType.FLOAT) {
      throw unsupported("float32 parameters");
    }
    sizes = new int[layers + 1];
    Boolean isTanh = null;
    Loss lossKind = null;
    float weight = 0;
    double beta = 0;
    int dims = 0;
    for (int l = 0; l < layers; l++) {
      org.deeplearning4j.nn.conf.layers.Layer c = net.getLayer(l).conf().getLayer();
      boolean output = l == layers - 1;
      if (output ? !(c instanceof OutputLayer) : !(c instanceof DenseLayer)) {
        throw unsupported("dense layers and an OutputLayer, layer " + l + " is " + c.getClass().getSimpleName());
      }
      org.deeplearning4j.nn.conf.layers.FeedForwardLayer f = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) c;
      if (l == 0) {
        sizes[0] = (int) f.getNIn();
      } else if (f.getNIn() != sizes[l]) {
        throw unsupported("consecutive layers, layer " + l + " has nIn " + f.getNIn() + " after " + sizes[l]);
      }
      sizes[l + 1] = (int) f.getNOut();
      BaseLayer bl = (BaseLayer) c;
      if (bl.getRegularization() != null && !bl.getRegularization().isEmpty()
          || bl.getRegularizationBias() != null && !bl.getRegularizationBias().isEmpty()
          || bl.getGradientNormalization() != null
              && bl.getGradientNormalization() != org.deeplearning4j.nn.conf.GradientNormalization.None
          || c.getIDropout() != null) {
        throw unsupported("no regularization, gradient normalization or dropout (layer " + l + ")");
      }
      IActivation a = bl.getActivationFn();
      if (!output) {
        boolean t = a instanceof ActivationTanH;
        if (!t && !(a instanceof ActivationReLU)) {
          throw unsupported("tanh or relu hidden layers, layer " + l + " is " + a);
        }
        if (isTanh != null && isTanh != t) {
          throw unsupported("one hidden activation");
        }
        isTanh = t;
        if (c.getConstraints() != null && !c.getConstraints().isEmpty()) {
          throw unsupported("no constraint on hidden layers");
        }
        continue;
      }
      ILossFunction lf = ((OutputLayer) c).getLossFn();
      if (lf != null && lf.getClass() == LossL2.class && a instanceof ActivationIdentity) {
        LossL2 l2 = (LossL2) lf;
        lossKind = Loss.L2;
        INDArray wts = l2.getWeights();
        if (wts == null) {
          weight = 1f;
        } else if (wts.length() == 1) {
          weight = wts.getFloat(0);
        } else {
          throw unsupported("LossL2 with one weight");
        }
      } else if (lf instanceof PolicyGradientLoss pg && a instanceof ActivationSoftmax) {
        lossKind = Loss.SOFTMAX_POLICY;
        beta = pg.getEntropyCoef();
      } else if (lf instanceof GaussianPolicyLoss g && a instanceof ActivationIdentity) {
        lossKind = Loss.GAUSSIAN_POLICY;
        beta = g.getEntropyCoef();
      } else {
        throw unsupported("LossL2, PolicyGradientLoss or GaussianPolicyLoss with its activation, got " + lf
            + " with " + a);
      }
      List<LayerConstraint> cs = c.getConstraints();
      if (cs != null) {
        for (LayerConstraint k : cs) {
          if (k instanceof StateIndependentLogStd s && lossKind == Loss.GAUSSIAN_POLICY
              && 2 * s.getActionDims() == sizes[l + 1]) {
            dims = s.getActionDims();
          } else {
            throw unsupported("no output constraint but StateIndependentLogStd on a Gaussian output, got " + k);
          }
        }
      }
    }
    this.tanh = isTanh == null || isTanh;
    this.loss = lossKind;
    this.l2Weight = weight;
    this.entropyCoefD = beta;
    this.entropyCoef = (float) beta;
    this.logStdDims = dims;
    int count = 0;
    w = new float[layers][][];
    wt = new float[layers][][];
    b = new float[layers][];
    gw = new float[layers][][];
    gwPart = new float[layers][][];
    gb = new float[layers][];
    mw = new float[layers][][];
    mb = new float[layers][];
    vw = new float[layers][][];
    vb = new float[layers][];
    int widest = 0;
    for (int l = 0; l < layers; l++) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      w[l] = new float[nIn][nOut];
      wt[l] = new float[nOut][nIn];
      b[l] = new float[nOut];
      gw[l] = new float[nIn][nOut];
      gwPart[l] = new float[nIn][nOut];
      gb[l] = new float[nOut];
      mw[l] = new float[nIn][nOut];
      mb[l] = new float[nOut];
      vw[l] = new float[nIn][nOut];
      vb[l] = new float[nOut];
      count += nIn * nOut + nOut;
      widest = Math.max(widest, Math.max(nIn, nOut));
    }
    if (count != net.params().length()) {
      throw unsupported("W and b in each layer (" + count + " parameters), the network has " + net.params().length());
    }
    this.paramCount = count;
    this.scratch = new float[4][];
    this.zeros = new float[widest];
  }

  private static IllegalArgumentException unsupported(String what) {
    return new IllegalArgumentException("MlpTrainer supports " + what);
  }

  /** The network this trainer learns for. */
  public MultiLayerNetwork network() {
    return net;
  }

  // ---------------------------------------------------------------- synchronisation with DL4J

  /**
   * Copies the network's parameters, updater state, updater configuration (its learning rate may
   * have been changed) and iteration count into this trainer.
   */
  public void load() {
    float[] p = net.params().dup().data().asFloat();
    fromFlat(p, w, b);
    transposeAll();
    BaseMultiLayerUpdater<?> u = (BaseMultiLayerUpdater<?>) net.getUpdater();
    IUpdater cfg = null;
    for (UpdaterBlock block : u.getUpdaterBlocks()) {
      UpdaterBlock.ParamState first = block.getLayersAndVariablesInBlock().get(0);
      IUpdater c = first.getLayer().getConfig().getUpdaterByParam(first.getParamName());
      if (!(c instanceof Adam) && !(c instanceof RmsProp)) {
        throw unsupported("Adam or RmsProp, got " + c);
      }
      if (cfg != null && !cfg.equals(c)) {
        throw unsupported("one updater configuration for all parameters, got " + cfg + " and " + c);
      }
      cfg = c;
    }
    updater = cfg;
    int states = updater instanceof Adam ? 2 : 1;
    INDArray view = u.getStateViewArray();
    if (view == null || view.length() != (long) states * paramCount) {
      throw new IllegalStateException("MlpTrainer: the updater state has " + (view == null ? 0 : view.length())
          + " values, " + updater + " needs " + states * paramCount);
    }
    float[] s = view.dup().data().asFloat();
    float[] m = new float[paramCount];
    float[] v = new float[paramCount];
    for (UpdaterBlock block : u.getUpdaterBlocks()) {
      int ps = (int) block.getParamOffsetStart();
      int n = (int) block.getParamOffsetEnd() - ps;
      int us = (int) block.getUpdaterViewOffsetStart();
      System.arraycopy(s, us, m, ps, n);
      if (states == 2) {
        System.arraycopy(s, us + n, v, ps, n);
      }
    }
    fromFlat(m, mw, mb);
    fromFlat(v, vw, vb);
    iteration = net.getIterationCount();
    loaded = true;
  }

  /**
   * Writes the parameters, updater state and iteration count back into the network, in DL4J's
   * layout: afterwards the network is what {@code net.fit} would have made of it.
   */
  public void store() {
    requireLoaded();
    INDArray params = net.params();
    params.assign(Nd4j.create(toFlat(w, b), new long[] {params.length()}, 'c').reshape(params.shape()));
    BaseMultiLayerUpdater<?> u = (BaseMultiLayerUpdater<?>) net.getUpdater();
    INDArray view = u.getStateViewArray();
    float[] m = toFlat(mw, mb);
    float[] v = toFlat(vw, vb);
    float[] s = new float[(int) view.length()];
    boolean adam = updater instanceof Adam;
    for (UpdaterBlock block : u.getUpdaterBlocks()) {
      int ps = (int) block.getParamOffsetStart();
      int n = (int) block.getParamOffsetEnd() - ps;
      int us = (int) block.getUpdaterViewOffsetStart();
      System.arraycopy(m, ps, s, us, n);
      if (adam) {
        System.arraycopy(v, ps, s, us + n, n);
      }
    }
    view.assign(Nd4j.create(s, new long[] {s.length}, 'c').reshape(view.shape()));
    net.setIterationCount(iteration);
  }

  private void requireLoaded() {
    if (!loaded) {
      throw new IllegalStateException("MlpTrainer: load() the network first");
    }
  }

  /** DL4J's flat layout: per layer W in column-major [nIn, nOut] order (W[i][j] at j * nIn + i), then b. */
  private void fromFlat(float[] flat, float[][][] mat, float[][] vec) {
    copyFlat(flat, mat, vec, true);
  }

  private float[] toFlat(float[][][] mat, float[][] vec) {
    float[] flat = new float[paramCount];
    copyFlat(flat, mat, vec, false);
    return flat;
  }

  /** Copies between DL4J's flat layout and per-layer matrices and vectors, in the direction given. */
  private void copyFlat(float[] flat, float[][][] mat, float[][] vec, boolean intoLayers) {
    int at = 0;
    for (int l = 0; l < layers; l++) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      for (int j = 0; j < nOut; j++) {
        for (int i = 0; i < nIn; i++, at++) {
          if (intoLayers) {
            mat[l][i][j] = flat[at];
          } else {
            flat[at] = mat[l][i][j];
          }
        }
      }
      if (intoLayers) {
        System.arraycopy(flat, at, vec[l], 0, nOut);
      } else {
        System.arraycopy(vec[l], 0, flat, at, nOut);
      }
      at += nOut;
    }
  }

  private void transposeAll() {
    for (int l = 0; l < layers; l++) {
      float[][] a = w[l];
      float[][] t = wt[l];
      for (int i = 0; i < sizes[l]; i++) {
        float[] ai = a[i];
        for (int j = 0; j < sizes[l + 1]; j++) {
          t[j][i] = ai[j];
        }
      }
    }
  }

  // ---------------------------------------------------------------- the step

  /**
   * One optimizer step on a minibatch of {@code n} rows ({@code x}: n * inputs floats, {@code y}:
   * n * outputs labels, row-major), as {@code net.fit(DataSet)}; returns its score (the mean loss
   * over the minibatch before the step, DL4J's {@code net.score()}).
   */
  public double fit(float[] x, float[] y, int n) {
    forward(x, n);
    return fitForwarded(y);
  }

  /**
   * The forward pass of a minibatch with the current parameters: the output layer's
   * pre-activations (logits, the Gaussian's means and log-stds, or values), {@code n * outputs}
   * floats row-major, in a buffer this trainer reuses. {@link #fitForwarded} then steps on it.
   */
  public float[] forward(float[] x, int n) {
    requireLoaded();
    if (n < 1) {
      throw new IllegalArgumentException("MlpTrainer: a minibatch needs at least one row, got " + n);
    }
    ensureCapacity(n);
    int in = sizes[0];
    if (x.length < n * in) {
      throw new IllegalArgumentException("MlpTrainer: " + n + " rows of " + in + " inputs need " + n * in
          + " floats, got " + x.length);
    }
    float[][] a0 = act[0];
    for (int r = 0; r < n; r++) {
      System.arraycopy(x, r * in, a0[r], 0, in);
    }
    for (int l = 0; l < layers; l++) {
      int nOut = sizes[l + 1];
      dense(act[l], n, sizes[l], w[l], b[l], nOut, act[l + 1]);
      if (l < layers - 1) {
        float[][] a = act[l + 1];
        for (int r = 0; r < n; r++) {
          if (tanh) {
            kernel.tanh(a[r], nOut);
          } else {
            relu(a[r], nOut);
          }
        }
      }
    }
    int k = sizes[layers];
    float[][] o = act[layers];
    for (int r = 0; r < n; r++) {
      System.arraycopy(o[r], 0, out, r * k, k);
    }
    rows = n;
    forwarded = true;
    return out;
  }

  /** The step on the minibatch of the last {@link #forward}, with labels {@code y}; returns its score. */
  public double fitForwarded(float[] y) {
    double score = backward(y);
    clipAndUpdate();
    return score;
  }

  /** The global norm of the mean gradient before clipping, at the last step (NaN without a clip). */
  public double lastNorm() {
    return lastNorm;
  }

  /** The iteration count (steps taken so far, as the network counts them). */
  public int iteration() {
    return iteration;
  }

  /**
   * The summed (not yet averaged, unclipped) gradient of the last {@link #forward}'s minibatch
   * with labels {@code y}, in DL4J's flat layout (what {@code net.gradient().gradient()} holds
   * after {@code computeGradientAndScore}), and the score; for tests. No step is taken.
   */
  float[] gradient(float[] y, double[] score) {
    score[0] = backward(y);
    return toFlat(gw, gb);
  }

  /** y = b + x W for rows [0, n) of x, four rows at a time through the kernel. */
  private void dense(float[][] x, int n, int nIn, float[][] wRows, float[] bias, int nOut, float[][] y) {
    for (int r0 = 0; r0 < n; r0 += 4) {
      int live = Math.min(4, n - r0);
      for (int k = 0; k < 4; k++) {
        // a partial last block repeats its last row into scratch rows
        xv[k] = x[r0 + Math.min(k, live - 1)];
        yv[k] = k < live ? y[r0 + k] : scratch[k];
      }
      kernel.dense4(xv, nIn, wRows, bias, nOut, yv);
    }
  }

  private static void relu(float[] v, int n) {
    for (int j = 0; j < n; j++) {
      v[j] = Math.max(v[j], 0f);
    }
  }

  private void ensureCapacity(int n) {
    if (n <= capacity) {
      return;
    }
    capacity = n;
    act = new float[layers + 1][][];
    actT = new float[layers][][];
    delta = new float[layers][][];
    for (int l = 0; l <= layers; l++) {
      act[l] = new float[n][sizes[l]];
    }
    for (int l = 0; l < layers; l++) {
      actT[l] = new float[sizes[l]][Math.min(n, CHUNK)];
      delta[l] = new float[n][sizes[l + 1]];
    }
    out = new float[n * sizes[layers]];
    chunkRows = new float[Math.min(n, CHUNK)][];
    int widest = Math.max(n, zeros.length);
    for (int k = 0; k < 4; k++) {
      scratch[k] = new float[widest];
    }
  }

  /** Loss gradient and back-propagation into gw, gb; returns the mean loss. */
  private double backward(float[] y) {
    if (!forwarded) {
      throw new IllegalStateException("MlpTrainer: forward() a minibatch before its step");
    }
    forwarded = false;
    int n = rows;
    int k = sizes[layers];
    if (y.length < n * k) {
      throw new IllegalArgumentException("MlpTrainer: " + n + " rows of " + k + " labels need " + n * k
          + " floats, got " + y.length);
    }
    double score = lossGradient(y, n, k, act[layers], delta[layers - 1]);
    for (int l = layers - 1; l >= 0; l--) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      float[][] d = delta[l];
      // bias gradient: the sum of the rows' deltas, in row order
      float[] gbl = gb[l];
      java.util.Arrays.fill(gbl, 0f);
      for (int r = 0; r < n; r++) {
        float[] dr = d[r];
        for (int j = 0; j < nOut; j++) {
          gbl[j] += dr[j];
        }
      }
      // weight gradient gw[i][j] = sum_r act[r][i] * d[r][j]: rows i of act^T against the deltas,
      // by chunks of CHUNK rows (each chunk's sum in row order, the chunks' sums added in order),
      // so that a chunk's deltas stay in cache while every group of four rows i passes over them
      float[][] a = act[l];
      float[][] at = actT[l];
      for (int c0 = 0; c0 < n; c0 += CHUNK) {
        int m = Math.min(CHUNK, n - c0);
        for (int r = 0; r < m; r++) {
          float[] ar = a[c0 + r];
          for (int i = 0; i < nIn; i++) {
            at[i][r] = ar[i];
          }
          chunkRows[r] = d[c0 + r];
        }
        if (c0 == 0) {
          dense(at, nIn, m, chunkRows, zeros, nOut, gw[l]);
        } else {
          float[][] part = gwPart[l];
          dense(at, nIn, m, chunkRows, zeros, nOut, part);
          for (int i = 0; i < nIn; i++) {
            float[] gi = gw[l][i];
            float[] pi = part[i];
            for (int j = 0; j < nOut; j++) {
              gi[j] += pi[j];
            }
          }
        }
      }
      if (l > 0) {
        // delta of the layer below: (d W^T) * act'(its output)
        float[][] dp = delta[l - 1];
        dense(d, n, nOut, wt[l], zeros, nIn, dp);
        for (int r = 0; r < n; r++) {
          float[] dr = dp[r];
          float[] ar = a[r];
          if (tanh) {
            for (int i = 0; i < nIn; i++) {
              float t = ar[i];
              dr[i] = dr[i] * (1f - t * t);
            }
          } else {
            for (int i = 0; i < nIn; i++) {
              dr[i] = ar[i] > 0f ? dr[i] : 0f;
            }
          }
        }
      }
    }
    return score;
  }

  /** dL/dz of the output layer per row into {@code d}; returns the mean loss over the rows. */
  private double lossGradient(float[] y, int n, int k, float[][] z, float[][] d) {
    double sum = 0;
    switch (loss) {
      case L2 -> {
        for (int r = 0; r < n; r++) {
          for (int j = 0; j < k; j++) {
            float diff = z[r][j] - y[r * k + j];
            d[r][j] = diff * 2f * l2Weight;
            sum += (double) (diff * diff * l2Weight);
          }
        }
      }
      case SOFTMAX_POLICY -> {
        float[] logp = new float[k];
        float[] prob = new float[k];
        for (int r = 0; r < n; r++) {
          float[] zr = z[r];
          float max = zr[0];
          for (int j = 1; j < k; j++) {
            max = Math.max(max, zr[j]);
          }
          float se = 0f;
          for (int j = 0; j < k; j++) {
            se += (float) Math.exp(zr[j] - max);
          }
          float lse = (float) Math.log(se);
          float adv = 0f;
          float entropy = 0f;
          double rowScore = 0;
          for (int j = 0; j < k; j++) {
            logp[j] = (zr[j] - max) - lse;
            float p = (float) Math.exp(logp[j]);
            prob[j] = p;
            adv += y[r * k + j];
            entropy -= p * logp[j];
            rowScore -= (double) y[r * k + j] * logp[j];
          }
          float[] dr = d[r];
          for (int j = 0; j < k; j++) {
            float p = prob[j];
            float g = p * adv - y[r * k + j];
            if (entropyCoefD != 0) {
              g += p * (logp[j] + entropy) * entropyCoef;
            }
            dr[j] = g;
          }
          sum += rowScore - entropyCoefD * entropy;
        }
      }
      case GAUSSIAN_POLICY -> {
        int dims = k / 2;
        double halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
        float lo = (float) GaussianPolicy.LOG_STD_MIN;
        float hi = (float) GaussianPolicy.LOG_STD_MAX;
        for (int r = 0; r < n; r++) {
          float[] zr = z[r];
          float[] dr = d[r];
          float adv = y[r * k + dims];
          double logp = 0;
          double entropy = 0;
          for (int i = 0; i < dims; i++) {
            float s = zr[dims + i];
            float sc = Math.min(Math.max(s, lo), hi);
            float sigmaInv = (float) Math.exp(-sc);
            float u = (y[r * k + i] - zr[i]) * sigmaInv;
            dr[i] = -(u * sigmaInv * adv);
            float gs = -((u * u - 1f) * adv) - entropyCoef;
            dr[dims + i] = s >= lo && s <= hi ? gs : 0f;
            logp += -0.5 * u * u - sc - halfLog2Pi;
            entropy += sc + halfLog2Pi + 0.5;
          }
          sum += -(logp * adv) - entropyCoefD * entropy;
        }
      }
      default -> throw new IllegalStateException(loss.toString());
    }
    return sum / n;
  }

  /** The clip (with the held weights' gradient zeroed first), the division by n, the rule, the constraint. */
  private void clipAndUpdate() {
    int n = rows;
    int out = layers - 1;
    if (maxNorm > 0) {
      zeroLogStdColumns(gw[out]);
      double ss = 0;
      for (int l = 0; l < layers; l++) {
        for (float[] row : gw[l]) {
          for (float g : row) {
            ss += (double) g * g;
          }
        }
        for (float g : gb[l]) {
          ss += (double) g * g;
        }
      }
      double norm = Math.sqrt(ss) / n;
      lastNorm = norm;
      if (norm > maxNorm) {
        float scale = (float) (maxNorm / norm);
        for (int l = 0; l < layers; l++) {
          for (float[] row : gw[l]) {
            scaleInPlace(row, scale);
          }
          scaleInPlace(gb[l], scale);
        }
      }
    }
    float batch = n;
    int t = iteration;
    int epoch = net.getEpochCount();
    if (updater instanceof Adam adam) {
      float lr = (float) adam.getLearningRate(t, epoch);
      float beta1 = (float) adam.getBeta1();
      float beta2 = (float) adam.getBeta2();
      float eps = (float) adam.getEpsilon();
      float beta1T = (float) Math.pow(beta1, (float) t + 1f);
      float beta2T = (float) Math.pow(beta2, (float) t + 1f);
      float epsT = (float) (lr * (float) Math.sqrt((float) (1.0 - beta2T)) / (1.0 - beta1T));
      if (Float.isNaN(epsT) || epsT == 0f || Float.isInfinite(epsT)) {
        epsT = eps;
      }
      for (int l = 0; l < layers; l++) {
        for (int i = 0; i < sizes[l]; i++) {
          adam(w[l][i], gw[l][i], mw[l][i], vw[l][i], batch, beta1, beta2, epsT, eps);
        }
        adam(b[l], gb[l], mb[l], vb[l], batch, beta1, beta2, epsT, eps);
      }
    } else {
      RmsProp rms = (RmsProp) updater;
      float lr = (float) rms.getLearningRate(t, epoch);
      float decay = (float) rms.getRmsDecay();
      float eps = (float) rms.getEpsilon();
      for (int l = 0; l < layers; l++) {
        for (int i = 0; i < sizes[l]; i++) {
          rmsProp(w[l][i], gw[l][i], mw[l][i], batch, lr, decay, eps);
        }
        rmsProp(b[l], gb[l], mb[l], batch, lr, decay, eps);
      }
    }
    zeroLogStdColumns(w[out]);
    transposeAll();
    iteration = t + 1;
  }

  private void zeroLogStdColumns(float[][] m) {
    if (logStdDims == 0) {
      return;
    }
    for (float[] row : m) {
      java.util.Arrays.fill(row, logStdDims, 2 * logStdDims, 0f);
    }
  }

  private static void scaleInPlace(float[] a, float s) {
    for (int j = 0; j < a.length; j++) {
      a[j] = a[j] * s;
    }
  }

  private static void adam(float[] p, float[] g, float[] m, float[] v, float batch, float beta1, float beta2,
      float epsT, float eps) {
    float c1 = 1f - beta1;
    float c2 = 1f - beta2;
    for (int j = 0; j < p.length; j++) {
      float gj = g[j] / batch;
      float mj = beta1 * m[j] + gj * c1;
      float vj = beta2 * v[j] + gj * gj * c2;
      m[j] = mj;
      v[j] = vj;
      p[j] = p[j] - (mj * epsT) / ((float) Math.sqrt(vj) + eps);
    }
  }

  private static void rmsProp(float[] p, float[] g, float[] s, float batch, float lr, float decay, float eps) {
    float c = 1f - decay;
    for (int j = 0; j < p.length; j++) {
      float gj = g[j] / batch;
      float sj = s[j] * decay + gj * gj * c;
      s[j] = sj;
      p[j] = p[j] - (lr * gj) / ((float) Math.sqrt(sj) + eps);
    }
  }

  /** The kernel, chosen once per JVM as {@link DenseKernel#best()}, logged once for the learner. */
  static final class Chosen {
    static final DenseKernel KERNEL = DenseKernel.best();

    static {
      log.info("training kernel: " + (KERNEL instanceof VectorDenseKernel
          ? "Vector API (" + VectorDenseKernel.describe() + ")"
          : "scalar Java (see the inference kernel's line for why)"));
    }

    private Chosen() {}
  }
}
