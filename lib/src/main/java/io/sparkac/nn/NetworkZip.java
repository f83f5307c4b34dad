package io.sparkac.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads a network that {@link ModelSerializer#writeModel} wrote, without Java deserialization
 * and without letting the file choose how much memory is allocated.
 *
 * <p>Why not {@link ModelSerializer#restoreMultiLayerNetwork}: it passes a {@code preprocessor.bin}
 * entry to {@code ObjectInputStream.readObject()} with no filter, so whoever can put a zip into a
 * run folder (a shared file system, a run folder from elsewhere) runs code in the process that
 * resumes, evaluates or analyses the run. It also believes every length the file states. A
 * JVM-wide serialization filter is no way out: Spark sends its tasks with Java serialization.
 *
 * <p>This reader takes the entries this project writes, in the order ModelSerializer writes them,
 * and refuses anything else, naming the file and the entry:
 * <ul>
 *   <li>{@code configuration.json} first, at most {@value #MAX_CONFIGURATION_BYTES} bytes; every
 *       {@code "@class"} in it (DL4J's JSON names the classes it instantiates) must be DL4J's,
 *       ND4J's or this project's, and the layers' sizes must add up to at most the given number
 *       of parameters, all before anything is allocated;</li>
 *   <li>{@code coefficients.bin}: the parameters as {@link Nd4j#write} wrote them, a [1, n] row
 *       vector of FLOAT or DOUBLE whose n is what the configuration implies; the entry is read
 *       only up to the bytes that such an array takes;</li>
 *   <li>{@code updaterState.bin}, when the updater keeps state (Adam, RMSProp): likewise, of the
 *       length the network's updater has.</li>
 * </ul>
 * The network is then built as ModelSerializer builds it (configuration, then
 * {@code init(params, false)}, then the updater state), so it is bit-identical to what
 * ModelSerializer returns, iteration and epoch counts included (they live in the configuration).
 */
public final class NetworkZip {
  /** The parameters of the largest network a checkpoint may hold unless the caller says otherwise. */
  public static final long DEFAULT_MAX_PARAMETERS = 1L << 26;
  static final int MAX_CONFIGURATION_BYTES = 4 << 20;
  /** Classes that DL4J's JSON may name: the libraries' and this project's (custom losses, constraints). */
  private static final List<String> ALLOWED_PACKAGES = List.of("org.deeplearning4j.", "org.nd4j.", "io.sparkac.");
  /** The header of an ND4J buffer: allocation mode and data type names (short) and a long length. */
  private static final int MAX_BUFFER_HEADER_BYTES = 64;
  private static final int MAX_RANK = 32;
  private static final ObjectMapper JSON = new ObjectMapper();

  private NetworkZip() {}

  /** Reads a network of at most {@link #DEFAULT_MAX_PARAMETERS} parameters; {@code source} names the file in errors. */
  public static MultiLayerNetwork read(InputStream in, String source) throws IOException {
    return read(in, source, DEFAULT_MAX_PARAMETERS);
  }

  public static MultiLayerNetwork read(InputStream in, String source, long maxParameters) throws IOException {
    MultiLayerNetwork net = null;
    long numParams = 0;
    boolean updaterState = false;
    ZipInputStream zip = new ZipInputStream(in);
    for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
      String name = entry.getName();
      try {
        switch (name) {
          case ModelSerializer.CONFIGURATION_JSON -> {
            if (net != null) {
              throw new CheckpointFormatException(source, name, "appears twice");
            }
            MultiLayerConfiguration conf = configuration(source, name,
                readAtMost(zip, MAX_CONFIGURATION_BYTES, source, name));
            numParams = numParams(conf, maxParameters, source, name);
            net = new MultiLayerNetwork(conf);
          }
          case ModelSerializer.COEFFICIENTS_BIN -> {
            if (net == null || net.params() != null) {
              throw new CheckpointFormatException(source, name,
                  net == null ? "comes before " + ModelSerializer.CONFIGURATION_JSON : "appears twice");
            }
            INDArray params = array(zip, numParams, source, name);
            // As ModelSerializer does: the parameters' data type is the network's.
            net.getLayerWiseConfigurations().setDataType(params.dataType());
            net.init(params, false);
          }
          case ModelSerializer.UPDATER_BIN -> {
            if (net == null || net.params() == null || updaterState) {
              throw new CheckpointFormatException(source, name,
                  updaterState ? "appears twice" : "comes before " + ModelSerializer.COEFFICIENTS_BIN);
            }
            INDArray view = net.getUpdater().getStateViewArray();
            if (view == null) {
              throw new CheckpointFormatException(source, name,
                  "is there, but the network's updater keeps no state");
            }
            net.getUpdater().setStateViewArray(net, array(zip, view.length(), source, name), false);
            updaterState = true;
          }
          case ModelSerializer.PREPROCESSOR_BIN -> throw new CheckpointFormatException(source, name,
              "holds a Java-serialized object, which this project never writes and does not deserialize");
          default -> throw new CheckpointFormatException(source, name, "is not an entry this project writes ("
              + ModelSerializer.CONFIGURATION_JSON + ", " + ModelSerializer.COEFFICIENTS_BIN + ", "
              + ModelSerializer.UPDATER_BIN + ")");
        }
      } catch (RuntimeException e) {
        // DL4J's own checks (a layer it cannot build, a length it refuses): still name the file.
        throw new CheckpointFormatException(source, name, "cannot be read: " + e, e);
      }
    }
    if (net == null || net.params() == null) {
      throw new CheckpointFormatException(source, net == null ? ModelSerializer.CONFIGURATION_JSON
          : ModelSerializer.COEFFICIENTS_BIN, "is missing");
    }
    if (!updaterState && net.getUpdater().getStateViewArray() != null) {
      // ModelSerializer would start the updater afresh; a resume would then silently differ.
      throw new CheckpointFormatException(source, ModelSerializer.UPDATER_BIN,
          "is missing, but the network's updater keeps state");
    }
    return net;
  }

  private static MultiLayerConfiguration configuration(String source, String entry, byte[] bytes)
      throws CheckpointFormatException {
    String json = new String(bytes, StandardCharsets.UTF_8);
    try {
      checkClasses(JSON.readTree(json), source, entry);
      return MultiLayerConfiguration.fromJson(json);
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointFormatException c) {
        throw c;
      }
      throw new CheckpointFormatException(source, entry, "is not a network configuration: " + e.getMessage(), e);
    }
  }

  /** Before Jackson instantiates anything: every class the JSON names is in an allowed package. */
  private static void checkClasses(JsonNode node, String source, String entry) throws CheckpointFormatException {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().equals("@class")) {
          String type = field.getValue().asText();
          if (ALLOWED_PACKAGES.stream().noneMatch(type::startsWith)) {
            throw new CheckpointFormatException(source, entry, "names the class " + type
                + "; only classes in " + String.join(", ", ALLOWED_PACKAGES) + " may be instantiated");
          }
        }
        checkClasses(field.getValue(), source, entry);
      }
    } else if (node.isArray()) {
      for (JsonNode child : node) {
        checkClasses(child, source, entry);
      }
    }
  }

  /** The number of parameters the configuration implies, computed without overflow and bounded. */
  private static long numParams(MultiLayerConfiguration conf, long max, String source, String entry)
      throws CheckpointFormatException {
    long total = 0;
    try {
      for (int i = 0; i < conf.getConfs().size(); i++) {
        NeuralNetConfiguration layer = conf.getConf(i);
        long n = layer.getLayer().initializer().numParams(layer);
        if (layer.getLayer() instanceof FeedForwardLayer ff) {
          if (ff.getNIn() < 0 || ff.getNOut() < 0) {
            throw new CheckpointFormatException(source, entry, "layer " + i + " has nIn " + ff.getNIn()
                + " and nOut " + ff.getNOut());
          }
          // DL4J counts nIn * nOut in a long that wraps around for crafted sizes.
          n = Math.max(n, Math.multiplyExact(ff.getNIn(), ff.getNOut()));
        }
        if (n < 0) {
          throw new CheckpointFormatException(source, entry, "layer " + i + " has " + n + " parameters");
        }
        total = Math.addExact(total, n);
      }
    } catch (ArithmeticException e) {
      total = Long.MAX_VALUE;
    }
    if (total > max) {
      throw new CheckpointFormatException(source, entry, "describes a network of "
          + (total == Long.MAX_VALUE ? "more than 2^63-1" : String.valueOf(total))
          + " parameters; at most " + max + " are allowed");
    }
    return total;
  }

  /**
   * A [1, length] array as {@link Nd4j#write} writes it: a buffer of shape information (LONG),
   * then the data buffer (FLOAT or DOUBLE). Each buffer is a header (allocation mode, element
   * count, data type) and its elements. The array is built from the values read, never from the
   * file's strides, and only after the entry turned out to hold exactly what the header says.
   */
  private static INDArray array(InputStream in, long length, String source, String entry) throws IOException {
    long maxBytes = 2L * MAX_BUFFER_HEADER_BYTES + 8L * (2 * MAX_RANK + 4) + 8L * length;
    if (maxBytes > Integer.MAX_VALUE - 8) {
      throw new CheckpointFormatException(source, entry, "would hold " + length + " values, too many for one array");
    }
    DataInputStream data = new DataInputStream(new ByteArrayInputStream(readAtMost(in, (int) maxBytes, source, entry)));
    try {
      Header shapeHeader = header(data, source, entry, "shape information");
      if (shapeHeader.type != DataType.LONG || shapeHeader.length < 4 || shapeHeader.length > 2 * MAX_RANK + 4) {
        throw new CheckpointFormatException(source, entry, "has shape information of " + shapeHeader.length
            + " " + shapeHeader.type + " values; expected 4 to " + (2 * MAX_RANK + 4) + " LONG values");
      }
      long[] info = new long[(int) shapeHeader.length];
      for (int i = 0; i < info.length; i++) {
        info[i] = data.readLong();
      }
      long[] shape = {1, length};
      int rank = (int) info[0];
      char order = (char) info[info.length - 1];
      if (info[0] != 2 || info.length != 2 * rank + 4 || !Arrays.equals(Arrays.copyOfRange(info, 1, 3), shape)
          || (order != 'c' && order != 'f')
          || !contiguous(shape, Arrays.copyOfRange(info, 3, 5), order)) {
        throw new CheckpointFormatException(source, entry, "has the shape information "
            + Arrays.toString(info) + "; expected a contiguous [1, " + length + "] row vector");
      }
      Header dataHeader = header(data, source, entry, "data");
      if (dataHeader.length != length || (dataHeader.type != DataType.FLOAT && dataHeader.type != DataType.DOUBLE)) {
        throw new CheckpointFormatException(source, entry, "holds " + dataHeader.length + " " + dataHeader.type
            + " values; expected " + length + " FLOAT or DOUBLE values");
      }
      INDArray array;
      if (dataHeader.type == DataType.FLOAT) {
        float[] values = new float[(int) length];
        for (int i = 0; i < values.length; i++) {
          values[i] = data.readFloat();
        }
        array = Nd4j.create(values, shape, order);
      } else {
        double[] values = new double[(int) length];
        for (int i = 0; i < values.length; i++) {
          values[i] = data.readDouble();
        }
        array = Nd4j.create(values, shape, order);
      }
      if (data.available() > 0) {
        throw new CheckpointFormatException(source, entry, "has " + data.available() + " bytes after its array");
      }
      return array;
    } catch (EOFException e) {
      throw new CheckpointFormatException(source, entry, "ends before the array its header describes", e);
    }
  }

  private record Header(long length, DataType type) {}

  private static Header header(DataInputStream in, String source, String entry, String what) throws IOException {
    String mode = in.readUTF();
    // DIRECT, HEAP and JAVACPP (DL4J before 1.0.0-beta) stored an int length and other semantics.
    if (!mode.equals("MIXED_DATA_TYPES") && !mode.equals("LONG_SHAPE")) {
      throw new CheckpointFormatException(source, entry, "has the allocation mode '" + mode + "' in its " + what
          + " header; expected MIXED_DATA_TYPES or LONG_SHAPE, as DL4J 1.0.0-M2 writes");
    }
    long length = in.readLong();
    String type = in.readUTF();
    try {
      return new Header(length, DataType.valueOf(type));
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(source, entry, "has the unknown data type '" + type + "' in its "
          + what + " header");
    }
  }

  /** Whether the strides are those of a dense array in this order (ND4J writes 1 for a dimension of size 1). */
  private static boolean contiguous(long[] shape, long[] strides, char order) {
    long s = 1;
    for (int k = 0; k < shape.length; k++) {
      int i = order == 'c' ? shape.length - 1 - k : k;
      if (shape[i] != 1 && strides[i] != s) {
        return false;
      }
      s *= shape[i];
    }
    return true;
  }

  /** The entry's bytes, refused once there are more than {@code max} (a zip entry inflates without bound). */
  private static byte[] readAtMost(InputStream in, int max, String source, String entry) throws IOException {
    byte[] bytes = in.readNBytes(max);
    if (in.read() != -1) {
      throw new CheckpointFormatException(source, entry, "is larger than the " + max + " bytes it may hold");
    }
    return bytes;
  }

  /** A checkpoint file that this project did not write, or that is damaged; names the file and the entry. */
  public static final class CheckpointFormatException extends IOException {
    public CheckpointFormatException(String source, String entry, String problem) {
      super(source + ": entry " + entry + " " + problem);
    }

    public CheckpointFormatException(String source, String entry, String problem, Throwable cause) {
      super(source + ": entry " + entry + " " + problem, cause);
    }
  }
}
