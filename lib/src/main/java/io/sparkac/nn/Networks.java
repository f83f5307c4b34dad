package io.sparkac.nn;

import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import io.sparkac.random.Seeds;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.impl.LossL2;

/**
 * The two networks, each one builder chain that reads like its architecture. Driver only: the
 * executors never see a DL4J network, only {@link MlpWeights}.
 */
public final class Networks {
  private Networks() {}

  /**
   * The actor: dense hidden layers, then a softmax over the discrete actions trained with
   * {@link PolicyGradientLoss}. The output layer starts near zero (N(0, 0.01)), so the first
   * policy is close to uniform, as in SB3's and CleanRL's policy heads.
   */
  public static MultiLayerNetwork actor(int obsSize, int actions, TrainConfig config) {
    return actor(obsSize, new Space.Discrete(actions), config);
  }

  /**
   * The actor for an environment's action space: a softmax over discrete actions, or for a Box
   * of d dimensions a linear layer of 2d outputs, the Gaussian's means and log-stds, trained
   * with {@link GaussianPolicyLoss}. The log-stds are state-independent: their units' weights
   * are held at zero ({@link StateIndependentLogStd}, which says why it is a constraint and not
   * a layer of its own) and their biases start at {@code network.log-std-init}.
   */
  public static MultiLayerNetwork actor(int obsSize, Space actionSpace, TrainConfig config) {
    TrainConfig.Learner l = config.learner();
    NeuralNetConfiguration.ListBuilder b = base(config, Seeds.mix(config.run().seed(), Seeds.NETWORK, 0),
        updater(l.optimizer(), l.actorLearningRate())).list();
    int in = addHidden(b, obsSize, config.network());
    MultiLayerConfiguration conf = b
        .layer(outputLayer(actionSpace, in, l.entropyCoef()))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    if (actionSpace instanceof Space.Box box) {
      // The constraint holds after every update; at the start the weights come from the
      // initializer, so zero them here, and start every log-std at network.log-std-init.
      org.deeplearning4j.nn.api.Layer out = net.getLayer(net.getnLayers() - 1);
      out.conf().getLayer().getConstraints().forEach(c -> c.applyConstraint(out, 0, 0));
      out.getParam("b").get(NDArrayIndex.all(), NDArrayIndex.interval(box.dims(), 2 * box.dims()))
          .assign(config.network().logStdInit());
    }
    return net;
  }

  /**
   * The critic: dense hidden layers and one linear output V(s), fitted by regression with the
   * loss {@code value-coef * 0.5 * (V - y)^2} per sample (LossL2 with weight value-coef / 2,
   * whose gradient is {@code value-coef * (V - y)}).
   */
  public static MultiLayerNetwork critic(int obsSize, TrainConfig config) {
    TrainConfig.Learner l = config.learner();
    NeuralNetConfiguration.ListBuilder b = base(config, Seeds.mix(config.run().seed(), Seeds.NETWORK, 1),
        updater(l.optimizer(), l.criticLearningRate())).list();
    int in = addHidden(b, obsSize, config.network());
    MultiLayerConfiguration conf = b
        .layer(new OutputLayer.Builder(new LossL2(Nd4j.create(new float[] {(float) (l.valueCoef() / 2)}, 1, 1)))
            .nIn(in).nOut(1)
            .activation(Activation.IDENTITY)
            .weightInit(WeightInit.XAVIER)
            .build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  private static OutputLayer outputLayer(Space actionSpace, int in, double entropyCoef) {
    if (actionSpace instanceof Space.Discrete d) {
      return new OutputLayer.Builder(new PolicyGradientLoss(entropyCoef))
          .nIn(in).nOut(d.n())
          .activation(Activation.SOFTMAX)
          .weightInit(new WeightInitDistribution(new NormalDistribution(0, 0.01)))
          .build();
    }
    Space.Box box = (Space.Box) actionSpace;
    return new OutputLayer.Builder(new GaussianPolicyLoss(entropyCoef))
        .nIn(in).nOut(2 * box.dims())
        .activation(Activation.IDENTITY)
        .weightInit(new WeightInitDistribution(new NormalDistribution(0, 0.01)))
        .constrainWeights(new StateIndependentLogStd(box.dims()))
        .build();
  }

  private static NeuralNetConfiguration.Builder base(TrainConfig config, long seed, IUpdater updater) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.XAVIER);
  }

  private static int addHidden(NeuralNetConfiguration.ListBuilder b, int obsSize, TrainConfig.Network network) {
    Activation act = switch (network.activation()) {
      case TANH -> Activation.TANH;
      case RELU -> Activation.RELU;
    };
    int in = obsSize;
    List<Integer> hidden = network.hidden();
    for (int h : hidden) {
      b.layer(new DenseLayer.Builder().nIn(in).nOut(h).activation(act).build());
      in = h;
    }
    return in;
  }

  /** Adam with PyTorch's defaults, or RMSProp with SB3 A2C's (decay 0.99, epsilon 1e-5). */
  static IUpdater updater(TrainConfig.Optimizer optimizer, double learningRate) {
    return switch (optimizer) {
      case ADAM -> new Adam(learningRate, 0.9, 0.999, 1e-8);
      case RMSPROP -> new RmsProp(learningRate, 0.99, 1e-5);
    };
  }
}
