package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Gaussian actor's state-independent log-std: the weights into the log-std units start and
 * stay exactly zero through DL4J fits (with and without the global clip) and a checkpoint round
 * trip, the log-std is the same for every state and learns through its bias, our forward pass
 * agrees with DL4J's, and the clip's norm leaves the held weights out.
 */
class StateIndependentLogStdTest {
  private static final int OBS = 3;
  private static final int DIMS = 2;

  private static TrainConfig config(String... overrides) {
    return ConfigLoader.parse("", List.of(overrides));
  }

  private static MultiLayerNetwork actor(TrainConfig config) {
    return Networks.actor(OBS, Space.Box.symmetric(2f, DIMS), config);
  }

  private static INDArray logStdWeights(MultiLayerNetwork net) {
    return net.getLayer(net.getnLayers() - 1).getParam("W").get(NDArrayIndex.all(), NDArrayIndex.interval(DIMS, 2 * DIMS));
  }

  private static INDArray logStdBias(MultiLayerNetwork net) {
    return net.getLayer(net.getnLayers() - 1).getParam("b").get(NDArrayIndex.all(), NDArrayIndex.interval(DIMS, 2 * DIMS));
  }

  private static INDArray states(long seed, int rows) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.rand(DataType.FLOAT, rows, OBS).subi(0.5).muli(6);
  }

  /** A minibatch of GaussianPolicyLoss labels [a_1, a_2, A, 0] with actions far from the mean. */
  private static DataSet batch(long seed, int rows) {
    INDArray x = states(seed, rows);
    INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 2 * DIMS);
    java.util.Random rng = new java.util.Random(seed);
    for (int i = 0; i < rows; i++) {
      y.putScalar(i, 0, 2.5 * rng.nextGaussian());
      y.putScalar(i, 1, 2.5 * rng.nextGaussian());
      y.putScalar(i, DIMS, rng.nextGaussian());
    }
    return new DataSet(x, y);
  }

  private static void assertStateIndependent(MultiLayerNetwork net, double expectedLogStd) {
    assertThat(logStdWeights(net).amaxNumber().doubleValue()).as("weights into the log-std units").isZero();
    INDArray out = net.output(states(3, 16));
    for (int i = 0; i < 16; i++) {
      for (int k = 0; k < DIMS; k++) {
        assertThat(out.getDouble(i, DIMS + k)).as("log-std %d of state %d", k, i)
            .isEqualTo(logStdBias(net).getDouble(0, k));
      }
    }
    if (!Double.isNaN(expectedLogStd)) {
      assertThat(logStdBias(net).toDoubleVector()).containsOnly(expectedLogStd);
    }
    // our forward pass: the same log-std bit for bit, the means within 1e-5 of DL4J's
    float[] ours = new float[16 * 2 * DIMS];
    new MlpForward(MlpWeights.of(net, TrainConfig.Activation.TANH)).forward(states(3, 16).dup('c').data().asFloat(),
        16, ours);
    for (int i = 0; i < 16; i++) {
      for (int k = 0; k < DIMS; k++) {
        assertThat(ours[i * 2 * DIMS + k]).isCloseTo(out.getFloat(i, k), within(1e-5f));
        assertThat(ours[i * 2 * DIMS + DIMS + k]).isEqualTo(out.getFloat(i, DIMS + k));
      }
    }
  }

  @Test
  void startsAtTheConfiguredLogStdForEveryState() {
    assertStateIndependent(actor(config()), 0.0);
    MultiLayerNetwork net = actor(config("network.log-std-init=-0.5"));
    assertStateIndependent(net, -0.5);
    // the means still start near zero and depend on the state
    INDArray out = net.output(states(3, 16));
    INDArray means = out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, DIMS));
    assertThat(means.amaxNumber().doubleValue()).isLessThan(0.5).isGreaterThan(0.0);
  }

  @Test
  void staysStateIndependentWhileItsBiasLearns() {
    for (String clip : List.of("learner.max-grad-norm=0.5", "learner.max-grad-norm=0")) {
      TrainConfig config = config(clip, "learner.actor-learning-rate=0.01", "network.log-std-init=-0.5");
      MultiLayerNetwork net = actor(config);
      if (config.learner().maxGradNorm() > 0) {
        net.setListeners(new GlobalGradientClip(config.learner().maxGradNorm()));
      }
      INDArray meanWeights0 = net.getLayer(net.getnLayers() - 1).getParam("W").dup();
      for (int step = 0; step < 20; step++) {
        net.fit(batch(step, 32));
      }
      assertStateIndependent(net, Double.NaN);
      // actions far from the mean (|z| about 2.5 > 1) with mixed advantages: the log-std moved
      assertThat(logStdBias(net).sub(-0.5).amaxNumber().doubleValue()).as(clip).isGreaterThan(1e-3);
      INDArray w = net.getLayer(net.getnLayers() - 1).getParam("W");
      assertThat(w.get(NDArrayIndex.all(), NDArrayIndex.interval(0, DIMS)))
          .isNotEqualTo(meanWeights0.get(NDArrayIndex.all(), NDArrayIndex.interval(0, DIMS)));
    }
  }

  @Test
  void survivesACheckpointAndStillHoldsAfterwards() throws Exception {
    MultiLayerNetwork net = actor(config("network.log-std-init=-1"));
    net.fit(batch(1, 32));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bytes, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()),
        true);
    MultiLayerConfiguration conf = restored.getLayerWiseConfigurations();
    assertThat(conf.getConf(conf.getConfs().size() - 1).getLayer().getConstraints())
        .containsExactly(new StateIndependentLogStd(DIMS));
    assertThat(restored.params()).isEqualTo(net.params());
    for (int step = 0; step < 5; step++) {
      restored.fit(batch(10 + step, 32));
      net.fit(batch(10 + step, 32));
    }
    assertStateIndependent(restored, Double.NaN);
    assertThat(restored.params()).isEqualTo(net.params());
  }

  @Test
  void theGlobalClipMeasuresOnlyTheWeightsThatLearn() {
    MultiLayerNetwork net = actor(config("network.log-std-init=-0.5"));
    DataSet b = batch(4, 32);
    net.setInput(b.getFeatures());
    net.setLabels(b.getLabels());
    net.computeGradientAndScore();
    int last = net.getnLayers() - 1;
    INDArray phantom = net.gradient().getGradientFor(last + "_W")
        .get(NDArrayIndex.all(), NDArrayIndex.interval(DIMS, 2 * DIMS)).dup();
    assertThat(phantom.amaxNumber().doubleValue()).as("back-propagation's gradient of the held weights").isPositive();
    INDArray expected = net.gradient().gradient().dup();
    double full = expected.norm2Number().doubleValue();
    double phantomNorm = phantom.norm2Number().doubleValue();

    GlobalGradientClip clip = new GlobalGradientClip(1e9);
    clip.onGradientCalculation(net);

    assertThat(net.gradient().getGradientFor(last + "_W")
        .get(NDArrayIndex.all(), NDArrayIndex.interval(DIMS, 2 * DIMS)).amaxNumber().doubleValue()).isZero();
    // the zeroing reached the flattened gradient the updater applies
    double norm = Math.sqrt(full * full - phantomNorm * phantomNorm) / 32;
    assertThat(net.gradient().gradient().norm2Number().doubleValue() / 32).isCloseTo(norm, within(1e-5 * norm));
    assertThat(clip.lastNorm()).isCloseTo(norm, within(1e-5 * norm));
  }

  @Test
  void rejectsAMatrixOfTheWrongWidth() {
    assertThatThrownBy(() -> new StateIndependentLogStd(2).zeroGradient(Nd4j.zeros(DataType.FLOAT, 4, 3)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("[nIn, 4]").hasMessageContaining("[4, 3]");
    assertThatThrownBy(() -> new StateIndependentLogStd(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got: 0");
  }
}
