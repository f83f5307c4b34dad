package io.sparkac.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sparkac.inference.PolicyInfo;
import io.sparkac.inference.TrainedPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every built-in environment, a short training run is exported and ONNX Runtime runs its
 * {@code policy.onnx} and {@code value.onnx} on 10,000 observations: the greedy actions are the
 * ones the project's own forward pass ({@link TrainedPolicy}) takes, the logits, Gaussian means
 * and log-stds and the values agree within 1e-5, with the observation normalisation folded into
 * the graph and without it. Exported with {@code --exact}, they are the same floats.
 */
class OnnxEquivalenceTest {
  static final int ROWS = 10_000;
  static final double TOLERANCE = 1e-5;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String env : ExportedRuns.ENVS) {
      out.add(Arguments.of(env, true, false));
      out.add(Arguments.of(env, false, false));
      out.add(Arguments.of(env, true, true));
    }
    out.add(Arguments.of(ExportedRuns.PLAIN, false, false));
    out.add(Arguments.of(ExportedRuns.PLAIN, false, true));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, normalised: {1}, exact: {2}")
  @MethodSource("cases")
  void onnxRuntimeTakesTheProjectsActions(String run, boolean normalised, boolean exact, @TempDir Path out)
      throws Exception {
    TrainedPolicy trained = ExportedRuns.policy(run);
    TrainedPolicy policy = trained;
    if (run.equals(ExportedRuns.PLAIN)) {
      assertThat(trained.info().normalization()).isNull();
    } else {
      assertThat(trained.info().normalization()).isNotNull();
      if (!normalised) {
        // The same networks without the statistics: the graph without its normalisation nodes.
        PolicyInfo i = trained.info();
        policy = TrainedPolicy.of(new PolicyInfo(i.format(), i.env(), i.observation(), i.action(), i.source(), null,
            i.network(), i.onnx()), trained.actorWeights(), trained.criticWeights());
      }
    }
    PolicyExport.write(policy, out, exact);
    double tolerance = exact ? 0 : TOLERANCE;
    float[][] obs = observations(policy.info(), new SplittableRandom(11));
    TrainedPolicy.Outputs expected = policy.outputs(obs, true);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession actor = env.createSession(out.resolve("policy.onnx").toString(), new OrtSession.SessionOptions());
        OrtSession critic = env.createSession(out.resolve("value.onnx").toString(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, obs)) {
      assertThat(actor.getInputNames()).containsExactly("obs");
      try (OrtSession.Result r = actor.run(Map.of("obs", input))) {
        if (policy.discrete()) {
          float[][] logits = (float[][]) r.get("logits").orElseThrow().getValue();
          long[] action = (long[]) r.get("action").orElseThrow().getValue();
          assertClose(logits, expected.logits(), "logits", tolerance);
          int differ = 0;
          for (int i = 0; i < ROWS; i++) {
            if (action[i] != (long) expected.actions()[i][0]) {
              differ++;
            }
          }
          assertThat(differ).as("greedy actions that differ of " + ROWS).isZero();
        } else {
          assertClose((float[][]) r.get("mean").orElseThrow().getValue(), expected.mean(), "mean", tolerance);
          assertClose((float[][]) r.get("log_std").orElseThrow().getValue(), expected.logStd(), "log_std", tolerance);
          assertClose((float[][]) r.get("action").orElseThrow().getValue(), expected.actions(), "action", tolerance);
        }
      }
      try (OrtSession.Result r = critic.run(Map.of("obs", input))) {
        float[][] value = (float[][]) r.get("value").orElseThrow().getValue();
        float[][] want = new float[ROWS][];
        for (int i = 0; i < ROWS; i++) {
          want[i] = new float[] {expected.value()[i]};
        }
        assertClose(value, want, "value", tolerance);
      }
    }
    // The export folder reads back as the same policy, bit for bit.
    TrainedPolicy back = TrainedPolicy.load(out);
    assertThat(back.actorWeights()).isEqualTo(policy.actorWeights());
    assertThat(back.criticWeights()).isEqualTo(policy.criticWeights());
    TrainedPolicy.Outputs again = back.outputs(obs, true);
    assertThat(java.util.Arrays.deepEquals(new Object[] {again.actions(), again.logits(), again.mean(), again.logStd(),
        again.value()}, new Object[] {expected.actions(), expected.logits(), expected.mean(), expected.logStd(),
        expected.value()})).as("the export folder's outputs equal the run's, bit for bit").isTrue();
    assertThat(Files.readString(out.resolve("policy.json"))).contains("\"opset\" : 17")
        .contains("\"exact\" : " + exact);
  }

  /**
   * Observations over the whole space: uniform within finite bounds (widened by a tenth, so the
   * normalisation's clip is reached too), Gaussian with std 3 where a bound is infinite.
   */
  static float[][] observations(PolicyInfo info, SplittableRandom rng) {
    int d = info.observationSize();
    float[] low = PolicyInfo.bounds(info.observation().low(), true);
    float[] high = PolicyInfo.bounds(info.observation().high(), false);
    float[][] obs = new float[ROWS][d];
    for (float[] row : obs) {
      for (int k = 0; k < d; k++) {
        if (Float.isFinite(low[k]) && Float.isFinite(high[k]) && high[k] - low[k] < 1e6) {
          double span = high[k] - low[k];
          row[k] = (float) (low[k] - 0.1 * span + rng.nextDouble() * 1.2 * span);
        } else {
          row[k] = (float) (3 * rng.nextGaussian());
        }
      }
    }
    return obs;
  }

  /** Every element within {@code tolerance} (0: the same float, bit for bit but for the sign of a zero). */
  static void assertClose(float[][] actual, float[][] expected, String what, double tolerance) {
    assertThat(actual.length).as(what + " rows").isEqualTo(expected.length);
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i].length).as(what + " row " + i).isEqualTo(expected[i].length);
      for (int k = 0; k < actual[i].length; k++) {
        worst = Math.max(worst, Math.abs(actual[i][k] - expected[i][k]));
      }
    }
    assertThat(worst).as("largest |ONNX - project| of " + what).isLessThanOrEqualTo(tolerance);
  }
}
