package io.sparkac.export;

import io.sparkac.inference.TrainedPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes an export folder: {@code policy.onnx} (the actor), {@code value.onnx} (the critic),
 * {@code policy.json} (what the policy is and where it came from) and {@code weights.json} (the
 * networks for {@link TrainedPolicy}). Each file is written under a temporary name and renamed
 * into place. A folder that holds anything else is refused before anything is written, so no file
 * of the user's is replaced; a folder of an earlier export is rewritten.
 */
public final class PolicyExport {
  /** The files an export writes. */
  public static final Set<String> FILES = Set.of(OnnxExport.POLICY_FILE, OnnxExport.VALUE_FILE,
      TrainedPolicy.POLICY_JSON, TrainedPolicy.WEIGHTS_JSON);

  private PolicyExport() {}

  /** Writes {@code policy}'s export into {@code dir} with MatMul layers; returns the files written. */
  public static List<Path> write(TrainedPolicy policy, Path dir) throws IOException {
    return write(policy, dir, false);
  }

  /**
   * Writes {@code policy}'s export into {@code dir}; {@code exact}: ONNX graphs that compute each
   * layer in the project's order of float operations (see {@link OnnxExport#actor(TrainedPolicy,
   * boolean)}). Returns the files written.
   */
  public static List<Path> write(TrainedPolicy given, Path dir, boolean exact) throws IOException {
    checkTarget(dir);
    TrainedPolicy policy = given.info().onnx() == null ? given : TrainedPolicy.of(given.info().withOnnx(
        given.info().onnx().withExact(exact)), given.actorWeights(), given.criticWeights());
    Files.createDirectories(dir);
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path stale : (Iterable<Path>) entries.filter(p -> p.getFileName().toString().startsWith(TMP_PREFIX))::iterator) {
        deleteFolder(stale);
      }
    }
    Path tmp = Files.createTempDirectory(dir, TMP_PREFIX);
    try {
      policy.writeJson(tmp);
      writeProto(tmp.resolve(OnnxExport.POLICY_FILE), out -> OnnxExport.actor(policy, exact).writeTo(out));
      if (policy.hasValue()) {
        writeProto(tmp.resolve(OnnxExport.VALUE_FILE), out -> OnnxExport.critic(policy, exact).writeTo(out));
      }
      // policy.json last: a folder with it is a whole export.
      List<String> order = List.of(TrainedPolicy.WEIGHTS_JSON, OnnxExport.POLICY_FILE, OnnxExport.VALUE_FILE,
          TrainedPolicy.POLICY_JSON);
      Files.deleteIfExists(dir.resolve(TrainedPolicy.POLICY_JSON));
      List<Path> written = new java.util.ArrayList<>();
      for (String name : order) {
        Path from = tmp.resolve(name);
        if (Files.exists(from)) {
          Files.move(from, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          written.add(dir.resolve(name));
        } else {
          Files.deleteIfExists(dir.resolve(name));
        }
      }
      return written;
    } finally {
      deleteFolder(tmp);
    }
  }

  private static final String TMP_PREFIX = "_export";

  /** Deletes a flat folder of files (an export's temporary folder). */
  private static void deleteFolder(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      Files.deleteIfExists(folder);
      return;
    }
    try (Stream<Path> left = Files.list(folder)) {
      for (Path p : (Iterable<Path>) left::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(folder);
  }

  /** Refuses a file, or a folder that holds anything but an earlier export's files. */
  static void checkTarget(Path dir) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--out " + dir + " is a file; it must be a new or empty folder, or an "
          + "earlier export's folder");
    }
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      // _export*: the temporary folder of an export that was killed; the next export removes it.
      List<String> other = entries.map(p -> p.getFileName().toString())
          .filter(n -> !FILES.contains(n) && !n.startsWith(TMP_PREFIX)).sorted().toList();
      if (!other.isEmpty()) {
        throw new IllegalArgumentException("--out " + dir + " holds " + other.size() + " entries that are not an "
            + "export's (" + String.join(", ", other.subList(0, Math.min(5, other.size()))) + (other.size() > 5
            ? ", ..." : "") + "); give a new or empty folder, or an earlier export's folder (" + String.join(", ",
            FILES.stream().sorted().toList()) + "), which is rewritten");
      }
    }
  }

  private interface Body {
    void write(OutputStream out) throws IOException;
  }

  private static void writeProto(Path file, Body body) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      body.write(out);
    }
  }
}
