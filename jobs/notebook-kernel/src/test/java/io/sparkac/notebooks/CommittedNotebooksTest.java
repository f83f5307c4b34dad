package io.sparkac.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What someone browsing the repository or installing the kernel gets, without Jupyter: the
 * committed notebooks carry their outputs (each chart cell its PNG, no error), and neither they
 * nor the kernelspec the build writes hold an absolute path of the machine (this checkout, the
 * home folder, the JDK).
 */
class CommittedNotebooksTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static List<String> machinePaths() {
    Path checkout = Path.of(System.getProperty("notebooks.dir")).toAbsolutePath().normalize().getParent();
    return List.of(checkout.toString(), System.getProperty("user.home"), System.getProperty("java.home"));
  }

  static List<Path> notebooks() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("notebooks.dir")))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".ipynb")).sorted().toList();
    }
  }

  @Test
  void theKernelspecHoldsNoAbsolutePathOfThisMachine() throws IOException {
    Path spec = Path.of(System.getProperty("jupyter.path"), "kernels", "sparkac-java");
    assertThat(spec.resolve("kernel.json")).isRegularFile();
    assertThat(spec.resolve("kernel.sh")).isRegularFile();
    JsonNode kernel = JSON.readTree(spec.resolve("kernel.json").toFile());
    assertThat(kernel.get("argv").toString()).contains("{resource_dir}/kernel.sh");
    try (Stream<Path> files = Files.list(spec)) {
      for (Path f : files.toList()) {
        String text = Files.readString(f);
        for (String path : machinePaths()) {
          assertThat(text).as("%s", f.getFileName()).doesNotContain(path);
        }
        assertThat(text).as("%s: every Maven property filtered", f.getFileName()).doesNotContain("${spark.");
      }
    }
  }

  @Test
  void theCommittedNotebooksCarryTheirOutputs() throws IOException {
    List<Path> notebooks = notebooks();
    assertThat(notebooks).hasSizeGreaterThanOrEqualTo(3);
    for (Path nb : notebooks) {
      String text = Files.readString(nb);
      JsonNode root = JSON.readTree(text);
      List<String> problems = new ArrayList<>();
      int index = 0;
      int charts = 0;
      int outputs = 0;
      for (JsonNode cell : root.get("cells")) {
        index++;
        if (!cell.get("cell_type").asText().equals("code")) {
          continue;
        }
        outputs += cell.path("outputs").size();
        boolean image = false;
        for (JsonNode out : cell.path("outputs")) {
          if (out.get("output_type").asText().equals("error")) {
            problems.add("cell " + index + " has an error output");
          }
          image |= out.path("data").has("image/png");
        }
        if (NotebooksTest.isChart(cell)) {
          charts++;
          if (!image) {
            problems.add("chart cell " + index + " has no image/png output");
          }
        }
      }
      assertThat(problems).as("%s (regenerate: notebooks/regenerate.sh)", nb.getFileName()).isEmpty();
      assertThat(charts).as("chart cells of %s", nb.getFileName()).isPositive();
      assertThat(outputs).as("outputs of %s (regenerate: notebooks/regenerate.sh)", nb.getFileName()).isPositive();
      for (String path : machinePaths()) {
        assertThat(text).as("%s", nb.getFileName()).doesNotContain(path);
      }
    }
  }
}
