package io.sparkac.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.TrainConfig.Activation;
import io.sparkac.export.PolicyExport;
import io.sparkac.nn.MlpWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrainedPolicy} on hand-made networks, without Spark; and the export folder's files. */
class TrainedPolicyTest {

  /** Logits = the observation (a 2 -> 2 identity layer). */
  static TrainedPolicy discrete(PolicyInfo.Normalization norm) {
    MlpWeights actor = new MlpWeights(new int[] {2, 2}, new float[][] {{1, 0, 0, 1}}, new float[][] {{0, 0}},
        Activation.TANH);
    MlpWeights critic = new MlpWeights(new int[] {2, 1}, new float[][] {{1, 1}}, new float[][] {{0.5f}},
        Activation.TANH);
    PolicyInfo info = new PolicyInfo(PolicyInfo.FORMAT, new PolicyInfo.Env("Test-v0", null, 10),
        new PolicyInfo.Observation(2, Arrays.asList(null, -1.0), Arrays.asList(null, 1.0)),
        new PolicyInfo.Action(PolicyInfo.Action.DISCRETE, 2, 1, null, null), null, norm,
        new PolicyInfo.Network(new int[] {2, 2}, new int[] {2, 1}, "tanh"), null);
    return TrainedPolicy.of(info, actor, critic);
  }

  /** Mean = 2 * obs, log-std = 9 (clamped to 2) for a 1-d Box in [-1, 1]. */
  static TrainedPolicy continuous() {
    MlpWeights actor = new MlpWeights(new int[] {1, 2}, new float[][] {{2, 0}}, new float[][] {{0, 9}},
        Activation.RELU);
    PolicyInfo info = new PolicyInfo(PolicyInfo.FORMAT, new PolicyInfo.Env("Box-v0", null, 10),
        new PolicyInfo.Observation(1, Arrays.asList((Double) null), Arrays.asList((Double) null)),
        new PolicyInfo.Action(PolicyInfo.Action.BOX, 0, 1, List.of(-1.0), List.of(1.0)), null, null,
        new PolicyInfo.Network(new int[] {1, 2}, null, "relu"), null);
    return TrainedPolicy.of(info, actor, null);
  }

  @Test
  void greedyIsTheLargestLogitAndTheFirstOnTies() {
    TrainedPolicy p = discrete(null);
    assertThat(p.actDiscrete(new float[] {0.1f, 0.3f})).isEqualTo(1);
    assertThat(p.actDiscrete(new float[] {0.5f, -0.3f})).isEqualTo(0);
    assertThat(p.act(new float[] {0.2f, 0.2f})).containsExactly(0f);
    assertThat(p.actBatch(new float[][] {{0, 1}, {1, 0}})).isDeepEqualTo(new float[][] {{1}, {0}});
    TrainedPolicy.Outputs out = p.outputs(new float[][] {{0.25f, 0.5f}}, true);
    assertThat(out.logits()[0]).containsExactly(0.25f, 0.5f);
    assertThat(out.value()).containsExactly(1.25f);
  }

  @Test
  void samplesDependOnTheSeedOnly() {
    TrainedPolicy p = discrete(null);
    float[] obs = {0f, 0f};
    assertThat(p.sample(obs, 5)).isEqualTo(p.sample(obs, 5));
    Set<Float> seen = new HashSet<>();
    for (long s = 0; s < 50; s++) {
      seen.add(p.sample(obs, s)[0]);
    }
    assertThat(seen).containsExactlyInAnyOrder(0f, 1f);
  }

  @Test
  void continuousGreedyIsTheMeanClippedToTheBounds() {
    TrainedPolicy p = continuous();
    assertThat(p.act(new float[] {0.25f})).containsExactly(0.5f);
    assertThat(p.act(new float[] {3f})).containsExactly(1f);
    assertThat(p.act(new float[] {-3f})).containsExactly(-1f);
    TrainedPolicy.Outputs out = p.outputs(new float[][] {{3f}}, true);
    assertThat(out.mean()[0]).containsExactly(6f);
    assertThat(out.logStd()[0]).containsExactly(2f);
    assertThat(out.value()).isNull();
    float[] s = p.sample(new float[] {0f}, 1);
    assertThat(s[0]).isBetween(-1f, 1f);
  }

  @Test
  void normalisationIsAppliedFirst() {
    // (obs - 1) / sqrt(4 + 1e-8), clipped to [-0.5, 0.5]: obs {3, 1} -> {0.5 (clipped from 1), 0}.
    TrainedPolicy p = discrete(new PolicyInfo.Normalization(new double[] {1, 1}, new double[] {4, 4}, 1e-8, 0.5));
    TrainedPolicy.Outputs out = p.outputs(new float[][] {{3f, 1f}}, false);
    assertThat(out.logits()[0]).containsExactly(0.5f, 0f);
  }

  @Test
  void badObservationsAreRefusedWithWhatIsExpected() {
    TrainedPolicy p = discrete(null);
    assertThatThrownBy(() -> p.act(new float[] {1f, 2f, 3f}))
        .hasMessage("obs has 3 values; Test-v0 observations have 2");
    assertThatThrownBy(() -> p.actBatch(new float[][] {{1f, 2f}, {1f}}))
        .hasMessage("obs[1] has 1 values; Test-v0 observations have 2");
    assertThatThrownBy(() -> p.act(new float[] {1f, Float.NaN}))
        .hasMessage("obs[1] is NaN; observations must be finite numbers");
    assertThatThrownBy(() -> p.actBatch(new float[0][])).hasMessageContaining("no observation");
    assertThatThrownBy(() -> continuous().actDiscrete(new float[] {1f})).hasMessageContaining("continuous");
  }

  @Test
  void anExportFolderReadsBackBitForBit(@TempDir Path dir) throws Exception {
    TrainedPolicy p = discrete(new PolicyInfo.Normalization(new double[] {0.1, 0.2}, new double[] {3, 4}, 1e-8, 10));
    PolicyExport.write(p, dir);
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("policy.json", "weights.json", "policy.onnx", "value.onnx");
    }
    TrainedPolicy back = TrainedPolicy.load(dir);
    assertThat(back.actorWeights()).isEqualTo(p.actorWeights());
    assertThat(back.criticWeights()).isEqualTo(p.criticWeights());
    assertThat(back.normalizer()).isEqualTo(p.normalizer());
    assertThat(back.info().observation().low()).containsExactly(null, -1.0);
    // Exporting again into the same folder rewrites it, and removes what a killed export left.
    Files.createDirectories(dir.resolve("_export123"));
    Files.writeString(dir.resolve("_export123").resolve("policy.onnx"), "half");
    PolicyExport.write(back, dir);
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("policy.json", "weights.json", "policy.onnx", "value.onnx");
    }
    assertThatThrownBy(() -> TrainedPolicy.load(dir, 3)).hasMessageContaining("export folder");
  }

  @Test
  void anExportNeverReplacesOtherFiles(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> PolicyExport.write(discrete(null), dir)).hasMessageContaining("notes.txt")
        .hasMessageContaining("new or empty folder");
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly("notes.txt");
    }
    assertThatThrownBy(() -> TrainedPolicy.load(dir)).hasMessageContaining("neither an export folder");
  }
}
