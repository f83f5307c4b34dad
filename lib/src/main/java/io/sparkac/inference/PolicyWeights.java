package io.sparkac.inference;

import io.sparkac.config.TrainConfig.Activation;
import io.sparkac.nn.MlpWeights;
import java.util.Locale;

/**
 * {@code weights.json} of an export: both networks' dense layers as plain float arrays, what
 * {@link TrainedPolicy} runs with the project's own forward pass. Floats are written as the
 * shortest text that reads back as the same float, so the weights survive the file bit for bit.
 *
 * @param actor the actor (logits, or Gaussian mean and log-std)
 * @param critic the critic (V(s)); null when not exported
 */
public record PolicyWeights(Layers actor, Layers critic) {

  /**
   * One network: layer widths (input first), the hidden activation ({@code tanh} or {@code relu};
   * the output layer is linear), and per layer its row-major [nIn][nOut] matrix and its bias.
   */
  public record Layers(int[] sizes, String activation, float[][] weights, float[][] biases) {
    public static Layers of(MlpWeights w) {
      return new Layers(w.sizes(), w.hidden().name().toLowerCase(Locale.ROOT), w.weights(), w.biases());
    }

    public MlpWeights toMlp() {
      Activation a;
      try {
        a = Activation.valueOf(activation.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException("activation = " + activation + ": must be tanh or relu");
      }
      return new MlpWeights(sizes, weights, biases, a);
    }
  }
}
