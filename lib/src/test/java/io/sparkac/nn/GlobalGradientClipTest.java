package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * One SGD step with and without the clip, from identical parameters: the applied update must be
 * {@code lr * g * min(1, maxNorm / ||g||)} with g the minibatch-mean gradient over ALL layers
 * (what {@code torch.nn.utils.clip_grad_norm_} does), not a per-layer clip.
 */
class GlobalGradientClipTest {
  private static final double LR = 0.1;
  private static final int BATCH = 8;

  private static MultiLayerNetwork network() {
    // three layers of different sizes, so that a per-layer clip would differ from a global one
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(42)
        .dataType(DataType.DOUBLE)
        .updater(new Sgd(LR))
        .weightInit(WeightInit.XAVIER)
        .list()
        .layer(new DenseLayer.Builder().nIn(3).nOut(6).activation(Activation.TANH).build())
        .layer(new DenseLayer.Builder().nIn(6).nOut(4).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2)
            .activation(Activation.IDENTITY).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  private static final INDArray X;
  private static final INDArray Y;
  private static final INDArray PARAMS0;
  /** The minibatch-mean gradient at PARAMS0: summed over the batch by back-propagation, / BATCH. */
  private static final INDArray G_MEAN;

  static {
    Nd4j.getRandom().setSeed(7);
    X = Nd4j.rand(DataType.DOUBLE, BATCH, 3).subi(0.5).muli(4);
    Y = Nd4j.rand(DataType.DOUBLE, BATCH, 2).muli(20); // far from the outputs: a large gradient
    MultiLayerNetwork net = network();
    PARAMS0 = net.params().dup();
    net.setInput(X);
    net.setLabels(Y);
    net.computeGradientAndScore();
    G_MEAN = net.gradient().gradient().dup().divi(BATCH);
  }

  /** The update one fit() applies, params before - params after. */
  private static INDArray oneStep(GlobalGradientClip clip) {
    MultiLayerNetwork net = network();
    net.setParams(PARAMS0.dup());
    if (clip != null) {
      net.setListeners(clip);
    }
    net.fit(X, Y);
    return PARAMS0.sub(net.params());
  }

  @Test
  void withoutTheClipSgdAppliesLrTimesTheMeanGradient() {
    // checks the premise of the other tests: DL4J divides the summed gradient by the batch size
    assertClose(oneStep(null), G_MEAN.mul(LR));
  }

  @Test
  void clipsTheGlobalNormOfTheMeanGradientOverAllLayers() {
    double norm = G_MEAN.norm2Number().doubleValue();
    assertThat(norm).isGreaterThan(1.0);
    double maxNorm = norm / 4;
    GlobalGradientClip clip = new GlobalGradientClip(maxNorm);

    INDArray update = oneStep(clip);

    INDArray expected = G_MEAN.mul(LR * Math.min(1, maxNorm / norm));
    assertClose(update, expected);
    assertThat(update.norm2Number().doubleValue()).isCloseTo(LR * maxNorm, within(1e-9 * LR * maxNorm));
    assertThat(clip.lastNorm()).isCloseTo(norm, within(1e-9 * norm));

    // a per-layer clip (each layer's W and b to maxNorm on its own) would give another update
    INDArray perLayer = G_MEAN.dup();
    long offset = 0;
    for (int l = 0; l < 3; l++) {
      long n = network().getLayer(l).numParams();
      INDArray part = perLayer.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + n));
      double layerNorm = part.norm2Number().doubleValue();
      part.muli(Math.min(1, maxNorm / layerNorm));
      offset += n;
    }
    assertThat(offset).isEqualTo(PARAMS0.length());
    assertThat(update.sub(perLayer.muli(LR)).norm2Number().doubleValue()).isGreaterThan(1e-3);
  }

  @Test
  void leavesAGradientBelowTheLimitAlone() {
    double norm = G_MEAN.norm2Number().doubleValue();
    GlobalGradientClip clip = new GlobalGradientClip(2 * norm);

    assertClose(oneStep(clip), G_MEAN.mul(LR));
    assertThat(clip.lastNorm()).isCloseTo(norm, within(1e-9 * norm));
  }

  @Test
  void rejectsANonPositiveLimit() {
    assertThatThrownBy(() -> new GlobalGradientClip(0)).hasMessageContaining("got: 0");
    assertThatThrownBy(() -> new GlobalGradientClip(-1)).hasMessageContaining("got: -1");
    assertThatThrownBy(() -> new GlobalGradientClip(Double.NaN)).hasMessageContaining("NaN");
  }

  private static void assertClose(INDArray actual, INDArray expected) {
    assertThat(actual.length()).isEqualTo(expected.length());
    double scale = expected.amaxNumber().doubleValue();
    double[] a = actual.dup().data().asDouble();
    double[] e = expected.dup().data().asDouble();
    assertThat(a).containsExactly(e, within(1e-10 * Math.max(scale, 1e-12)));
  }
}
