package io.sparkac.env.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The Python test environments ({@code lib/src/test/resources/python/sparkac_test_envs}: a
 * numpy-only CartPole with Gymnasium's API and broken environments for the error cases) as a
 * module folder for {@code env.python-path}, and the check that a Python 3 with numpy is there:
 * without one the Python tests are skipped with the reason, except under {@code CI=true}
 * ({@code .ci/run} installs Debian's python3 and python3-numpy), where they fail.
 */
public final class PythonTestEnvs {
  public static final String PACKAGE = "sparkac_test_envs";
  public static final String CARTPOLE = PACKAGE + ".cartpole:CartPole";
  private static final List<String> FILES = List.of("__init__.py", "spaces.py", "cartpole.py", "faulty.py");
  private static Path modules;
  private static Boolean numpy;

  private PythonTestEnvs() {}

  /** The folder that holds {@value #PACKAGE} (copied out of a jar when the tests run from one). */
  public static synchronized Path modules() {
    if (modules == null) {
      URL init = PythonTestEnvs.class.getClassLoader().getResource("python/" + PACKAGE + "/__init__.py");
      if (init == null) {
        throw new IllegalStateException("python/" + PACKAGE + " is not on the test class path");
      }
      try {
        if (init.getProtocol().equals("file")) {
          modules = Path.of(init.toURI()).getParent().getParent();
        } else {
          Path dir = Files.createTempDirectory("sparkac-python-envs");
          Files.createDirectories(dir.resolve(PACKAGE));
          for (String f : FILES) {
            try (InputStream in = PythonTestEnvs.class.getClassLoader()
                .getResourceAsStream("python/" + PACKAGE + "/" + f)) {
              Files.copy(in, dir.resolve(PACKAGE).resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
          }
          modules = dir;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    return modules;
  }

  /** Skips the calling test (fails it under CI=true) when python3 with numpy is not installed. */
  public static void assumePython() {
    String why = pythonProblem();
    if (why == null) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail("the Python environment tests need " + why + " (CI=true: .ci/run installs python3-numpy)");
    }
    Assumptions.abort("skipped: " + why + "; install Python 3 and numpy (Debian: apt-get install python3-numpy)");
  }

  private static synchronized String pythonProblem() {
    if (numpy == null) {
      numpy = importable("numpy");
    }
    return numpy ? null : "python3 with numpy on the PATH";
  }

  /** Whether {@code python3 -c "import <module>"} succeeds. */
  public static boolean importable(String module) {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import " + module).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public static PythonEnvSpec spec(String target) {
    return spec(target, Map.of(), 60_000, false);
  }

  public static PythonEnvSpec spec(String target, Map<String, Object> kwargs, long timeoutMs, boolean restart) {
    return new PythonEnvSpec(target, "", kwargs, "python3", List.of(modules().toString()), timeoutMs, restart);
  }

  /** Config overrides that name {@code target} with the test modules on the path. */
  public static List<String> overrides(String target) {
    List<String> out = new ArrayList<>();
    out.add("env.python=" + target);
    out.add("env.python-path=[\"" + modules() + "\"]");
    return out;
  }
}
