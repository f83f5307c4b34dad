package io.sparkac.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import io.sparkac.env.Space;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossL2;

/**
 * The checkpoint reader: the network it returns is the one DL4J's ModelSerializer returns, bit
 * for bit, and a file that states more than it holds is refused before anything is allocated.
 */
class NetworkZipTest {
  private static final String SOURCE = "run/checkpoints/round=7/actor.zip";

  @Test
  void readsBitIdenticallyToModelSerializerAfterTraining() throws IOException {
    TrainConfig adam = ConfigLoader.parse("", List.of());
    TrainConfig rmsprop = ConfigLoader.parse("", List.of("learner.optimizer=rmsprop"));
    for (MultiLayerNetwork net : List.of(Networks.actor(4, 3, adam), Networks.actor(3, new Space.Box(new float[] {-2},
        new float[] {2}), adam), Networks.critic(4, rmsprop))) {
      int in = (int) net.layerInputSize(0);
      int out = (int) net.layerSize(net.getnLayers() - 1);
      INDArray x = Nd4j.rand(DataType.FLOAT, 16, in);
      INDArray y = Nd4j.rand(DataType.FLOAT, 16, out);
      for (int i = 0; i < 5; i++) {
        net.fit(x, y);
      }
      byte[] zip = dl4j(net);

      MultiLayerNetwork theirs = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), true);
      MultiLayerNetwork ours = NetworkZip.read(new ByteArrayInputStream(zip), SOURCE);

      assertThat(ours.getLayerWiseConfigurations().toJson()).isEqualTo(theirs.getLayerWiseConfigurations().toJson());
      assertThat(ours.getIterationCount()).isEqualTo(theirs.getIterationCount()).isEqualTo(5);
      assertThat(ours.getEpochCount()).isEqualTo(theirs.getEpochCount());
      assertThat(ours.params().dataType()).isEqualTo(theirs.params().dataType());
      assertThat(ours.params().shape()).isEqualTo(theirs.params().shape());
      assertThat(ours.params().ordering()).isEqualTo(theirs.params().ordering());
      assertThat(ours.params().toFloatVector()).isEqualTo(theirs.params().toFloatVector())
          .isEqualTo(net.params().toFloatVector());
      INDArray state = ours.getUpdater().getStateViewArray();
      assertThat(state.toFloatVector()).isEqualTo(theirs.getUpdater().getStateViewArray().toFloatVector())
          .isEqualTo(net.getUpdater().getStateViewArray().toFloatVector())
          .as("the updater state is not all zero").isNotEqualTo(new float[(int) state.length()]);
      assertThat(ours.output(x).toFloatMatrix()).isEqualTo(theirs.output(x).toFloatMatrix());
      // and they train on alike: Adam's bias correction uses the iteration count
      ours.fit(x, y);
      theirs.fit(x, y);
      assertThat(ours.params().toFloatVector()).isEqualTo(theirs.params().toFloatVector());
    }
  }

  @Test
  void refusesAConfigurationOfMoreParametersThanAllowedBeforeAllocating() throws IOException {
    Map<String, byte[]> entries = entries(dl4j(Networks.critic(4, ConfigLoader.parse("", List.of()))));
    entries.put(ModelSerializer.CONFIGURATION_JSON, utf8(dense(100_000, 100_000).toJson()));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .isInstanceOf(NetworkZip.CheckpointFormatException.class)
        .hasMessageContaining(SOURCE).hasMessageContaining("configuration.json")
        .hasMessageContaining("describes a network of 10000200001 parameters; at most 67108864 are allowed");

    // nIn * nOut wraps around in a long: DL4J's own count would be small
    // (in the JSON: DL4J's builder casts nOut to an int)
    String json = dense(1000, 1000).toJson();
    assertThat(json).contains("\"nin\" : 1000", "\"nout\" : 1000");
    entries.put(ModelSerializer.CONFIGURATION_JSON, utf8(json.replace("\"nin\" : 1000", "\"nin\" : 4294967296")
        .replace("\"nout\" : 1000", "\"nout\" : 4294967296")));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .hasMessageContaining("configuration.json describes a network of more than 2^63-1 parameters");

    // the bound is the caller's
    byte[] small = dl4j(Networks.critic(4, ConfigLoader.parse("", List.of())));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(small), SOURCE, 100))
        .hasMessageContaining("describes a network of 4545 parameters; at most 100 are allowed");
  }

  @Test
  void refusesAnArrayHeaderThatClaimsMoreValuesThanTheNetworkHas() throws IOException {
    MultiLayerNetwork critic = Networks.critic(4, ConfigLoader.parse("", List.of()));
    Map<String, byte[]> entries = entries(dl4j(critic));
    long n = critic.numParams();
    entries.put(ModelSerializer.COEFFICIENTS_BIN, array(n, 1L << 40, 0));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .hasMessageContaining(SOURCE).hasMessageContaining("coefficients.bin")
        .hasMessageContaining("holds 1099511627776 FLOAT values; expected " + n);

    // inflates to far more than the parameters take (a zip bomb): refused once past the bound
    entries.put(ModelSerializer.COEFFICIENTS_BIN, array(n, n, 64 << 20));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .hasMessageContaining("coefficients.bin").hasMessageContaining("is larger than the");

    entries.put(ModelSerializer.COEFFICIENTS_BIN, array(n, n, 4));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .hasMessageContaining("coefficients.bin has 4 bytes after its array");
  }

  @Test
  void refusesAConfigurationThatNamesAClassOutsideTheLibraries() throws IOException {
    Map<String, byte[]> entries = entries(dl4j(Networks.critic(4, ConfigLoader.parse("", List.of()))));
    String json = new String(entries.get(ModelSerializer.CONFIGURATION_JSON), StandardCharsets.UTF_8);
    assertThat(json).contains("\"@class\" : \"org.nd4j.linalg.activations.impl.ActivationIdentity\"");
    entries.put(ModelSerializer.CONFIGURATION_JSON, utf8(json.replace(
        "org.nd4j.linalg.activations.impl.ActivationIdentity", "com.example.Gadget")));

    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(entries)), SOURCE))
        .hasMessageContaining("configuration.json names the class com.example.Gadget");
  }

  @Test
  void refusesMissingMisplacedAndRepeatedEntries() throws IOException {
    Map<String, byte[]> entries = entries(dl4j(Networks.critic(4, ConfigLoader.parse("", List.of()))));
    assertThat(entries).containsOnlyKeys("configuration.json", "coefficients.bin", "updaterState.bin");

    Map<String, byte[]> noUpdater = new LinkedHashMap<>(entries);
    noUpdater.remove(ModelSerializer.UPDATER_BIN);
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(noUpdater)), SOURCE))
        .hasMessageContaining("updaterState.bin is missing, but the network's updater keeps state");

    Map<String, byte[]> reversed = new LinkedHashMap<>();
    reversed.put(ModelSerializer.COEFFICIENTS_BIN, entries.get(ModelSerializer.COEFFICIENTS_BIN));
    reversed.put(ModelSerializer.CONFIGURATION_JSON, entries.get(ModelSerializer.CONFIGURATION_JSON));
    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(reversed)), SOURCE))
        .hasMessageContaining("coefficients.bin comes before configuration.json");

    assertThatThrownBy(() -> NetworkZip.read(new ByteArrayInputStream(zip(Map.of())), SOURCE))
        .hasMessageContaining("configuration.json is missing");
  }

  /** A network whose configuration is never initialized (its parameters are never allocated). */
  private static MultiLayerConfiguration dense(long nIn, long nOut) {
    return new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
        .layer(new DenseLayer.Builder().nIn(nIn).nOut(nOut).build())
        .layer(new OutputLayer.Builder(new LossL2()).nIn(nOut).nOut(1).activation(Activation.IDENTITY).build())
        .build();
  }

  /** A [1, n] FLOAT array as Nd4j.write writes it, whose data header says {@code claimed} values, then {@code extra} zero bytes. */
  private static byte[] array(long n, long claimed, int extra) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeUTF("MIXED_DATA_TYPES");
    out.writeLong(8);
    out.writeUTF("LONG");
    for (long v : new long[] {2, 1, n, 1, 1, 8192, 1, 'c'}) {
      out.writeLong(v);
    }
    out.writeUTF("MIXED_DATA_TYPES");
    out.writeLong(claimed);
    out.writeUTF("FLOAT");
    for (long i = 0; i < n; i++) {
      out.writeFloat(0.5f);
    }
    out.write(new byte[extra]);
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] dl4j(MultiLayerNetwork net) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bytes, true);
    return bytes.toByteArray();
  }

  private static Map<String, byte[]> entries(byte[] zip) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        out.put(e.getName(), in.readAllBytes());
      }
    }
    return out;
  }

  private static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
