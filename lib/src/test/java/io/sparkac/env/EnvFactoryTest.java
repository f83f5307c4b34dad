package io.sparkac.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvFactoryTest {

  @Test
  void withoutAClassTheIdNamesABuiltInPort() {
    assertThat(EnvFactory.create(Pendulum.ID, null)).isInstanceOf(Pendulum.class);
    assertThat(EnvFactory.create(CartPole.ID, "  ")).isInstanceOf(CartPole.class);
  }

  @Test
  void anUnknownIdListsTheKnownOnes() {
    assertThatThrownBy(() -> EnvFactory.create("CartPole-v0", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("env.id: unknown environment 'CartPole-v0'; known ids: "
            + "CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1");
  }

  @Test
  void neitherIdNorClassIsAnError() {
    assertThatThrownBy(() -> EnvFactory.create(" ", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.id or env.class must be set; env.id takes one of: CartPole-v1, Acrobot-v1,")
        .hasMessageEndingWith("env.class takes a public class with a public no-argument constructor that implements "
            + "io.sparkac.env.Environment, on the classpath of the driver and the executors");
  }

  @Test
  void aClassIsInstantiatedAndTheIdIsNotUsed() {
    Environment env = EnvFactory.create("CartPole-v1", LineWalk.class.getName());

    assertThat(env).isInstanceOf(LineWalk.class);
    assertThat(EnvFactory.create(null, " " + LineWalk.class.getName() + " ")).isInstanceOf(LineWalk.class);
  }

  @Test
  void aClassThatDoesNotExist() {
    assertThatThrownBy(() -> EnvFactory.create(null, "com.example.MissingEnv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.class: class 'com.example.MissingEnv' not found by the thread's context class"
            + " loader nor by sparkac's; env.class takes the binary name (e.g. com.example.MyEnv, or"
            + " com.example.Outer$MyEnv for a nested class) of a public class with a public no-argument constructor");
  }

  @Test
  void aClassThatIsNotAnEnvironment() {
    assertThatThrownBy(() -> EnvFactory.create(null, "java.lang.StringBuilder"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.class: java.lang.StringBuilder does not implement io.sparkac.env.Environment;"
            + " env.class takes a public class");
  }

  @Test
  void aClassWithoutANoArgumentConstructor() {
    assertThatThrownBy(() -> EnvFactory.create(null, NeedsAnArgument.class.getName()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.class: io.sparkac.env.EnvFactoryTest$NeedsAnArgument has no public no-argument"
            + " constructor; each actor creates its own instance with it; env.class takes");
  }

  @Test
  void anAbstractClass() {
    assertThatThrownBy(() -> EnvFactory.create(null, ForwardingEnvironment.class.getName()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.class: io.sparkac.env.ForwardingEnvironment is abstract; env.class takes");
  }

  @Test
  void aClassThatIsNotPublic() {
    assertThatThrownBy(() -> EnvFactory.create(null, Hidden.class.getName()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env.class: io.sparkac.env.EnvFactoryTest$Hidden is not a public static nested class;");
  }

  @Test
  void aConstructorThatThrows() {
    assertThatThrownBy(() -> EnvFactory.create(null, Exploding.class.getName()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("env.class: new io.sparkac.env.EnvFactoryTest$Exploding() threw "
            + "java.lang.IllegalStateException: no licence file")
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void theContextClassLoaderIsAskedFirst() throws Exception {
    List<String> asked = new ArrayList<>();
    ClassLoader recording = new ClassLoader(EnvFactory.class.getClassLoader()) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        asked.add(name);
        return super.loadClass(name, resolve);
      }
    };

    Environment env = withContextClassLoader(recording, () -> EnvFactory.create(null, LineWalk.class.getName()));

    assertThat(env).isInstanceOf(LineWalk.class);
    assertThat(asked).contains(LineWalk.class.getName());
  }

  @Test
  void sparkacsLoaderIsTheFallback() throws Exception {
    ClassLoader bootstrapOnly = new ClassLoader(null) {};

    assertThat(withContextClassLoader(bootstrapOnly, () -> EnvFactory.create(null, LineWalk.class.getName())))
        .isInstanceOf(LineWalk.class);
    assertThat(withContextClassLoader(null, () -> EnvFactory.create(null, LineWalk.class.getName())))
        .isInstanceOf(LineWalk.class);
  }

  /** As on a Spark executor: the class is in a jar that only the context class loader sees. */
  @Test
  void aClassThatOnlyTheContextClassLoaderSees(@TempDir Path dir) throws Exception {
    Path classes = compile(dir);
    try (URLClassLoader jars = new URLClassLoader(new URL[] {classes.toUri().toURL()}, EnvFactory.class.getClassLoader())) {
      Environment env = withContextClassLoader(jars, () -> EnvFactory.create(null, "com.example.OnlyInContext"));

      assertThat(env.id()).isEqualTo("OnlyInContext-v0");
      assertThat(env.getClass().getClassLoader()).isSameAs(jars);
    }
    assertThatThrownBy(() -> EnvFactory.create(null, "com.example.OnlyInContext"))
        .hasMessageStartingWith("env.class: class 'com.example.OnlyInContext' not found");
  }

  /** A jar that bundles its own copy of sparkac: its Environment is another interface. */
  @Test
  void aClassThatImplementsAnotherLoadersEnvironment(@TempDir Path dir) throws Exception {
    Path classes = compile(dir);
    URL sparkac = Environment.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader isolated = new URLClassLoader(new URL[] {classes.toUri().toURL(), sparkac}, null)) {
      assertThatThrownBy(() -> withContextClassLoader(isolated, () -> EnvFactory.create(null, "com.example.OnlyInContext")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("env.class: com.example.OnlyInContext does not implement io.sparkac.env.Environment"
              + " as sparkac loads it: it implements an io.sparkac.env.Environment of another class loader"
              + " (is sparkac on the classpath twice, e.g. inside the jar with com.example.OnlyInContext?)");
    }
  }

  private static <T> T withContextClassLoader(ClassLoader loader, Callable<T> body) throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader saved = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return body.call();
    } finally {
      thread.setContextClassLoader(saved);
    }
  }

  /** Compiles {@code com.example.OnlyInContext} into {@code dir/classes}, outside the test classpath. */
  private static Path compile(Path dir) throws IOException {
    Path source = dir.resolve("src/com/example/OnlyInContext.java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, """
        package com.example;

        import io.sparkac.env.Environment;
        import io.sparkac.env.Space;

        public final class OnlyInContext implements Environment {
          public String id() { return "OnlyInContext-v0"; }
          public Space observationSpace() { return Space.Box.symmetric(1f, 1); }
          public Space actionSpace() { return new Space.Discrete(1); }
          public int maxEpisodeSteps() { return 1; }
          public void reset(long seed, float[] obs) { obs[0] = 0f; }
          public double[] state() { return new double[0]; }
          public int elapsedSteps() { return 0; }
          public void restore(double[] state, int elapsedSteps) {}
          public void observe(float[] obs) { obs[0] = 0f; }
        }
        """);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertThat(javac).as("a JDK's compiler").isNotNull();
    // Surefire's classpath may be a manifest-only jar: name where the sparkac classes are.
    String sparkac = Path.of(toUri(Environment.class.getProtectionDomain().getCodeSource().getLocation())).toString();
    int status = javac.run(null, null, null, "-classpath", sparkac, "-d", classes.toString(), source.toString());
    assertThat(status).as("javac exit status").isZero();
    return classes;
  }

  private static java.net.URI toUri(URL url) {
    try {
      return url.toURI();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static final class NeedsAnArgument extends ForwardingEnvironment {
    public NeedsAnArgument(int unused) {
      super("NeedsAnArgument-v0");
    }
  }

  static final class Hidden extends ForwardingEnvironment {
    public Hidden() {
      super("Hidden-v0");
    }
  }

  public static final class Exploding extends ForwardingEnvironment {
    public Exploding() {
      super("Exploding-v0");
      throw new IllegalStateException("no licence file");
    }
  }
}
