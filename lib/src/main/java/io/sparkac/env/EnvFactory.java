package io.sparkac.env;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;

/**
 * Creates the environment a run names: a custom class ({@code env.class}) if one is given,
 * otherwise a built-in port by id ({@code env.id}, see {@link EnvRegistry}).
 *
 * <p>Runs on the driver and on every executor (each actor creates its own instance), so a custom
 * class is loaded through the thread's context class loader first: on Spark executors that is
 * the loader that holds the jars added with {@code --jars} or {@code spark.jars}, which this
 * class's own loader may not see. If the context loader is unset or cannot find the class, this
 * class's loader is tried. Errors name the key, the value and what is allowed.
 */
public final class EnvFactory {
  /** The configuration key of a custom environment class. */
  public static final String CLASS_KEY = "env.class";
  /** The configuration key of a built-in environment id. */
  public static final String ID_KEY = "env.id";

  private static final String ALLOWED = "a public class with a public no-argument constructor that implements "
      + Environment.class.getName() + ", on the classpath of the driver and the executors";

  private EnvFactory() {}

  /**
   * A new environment: an instance of {@code className} if it is non-blank ({@code id} is then
   * not used), otherwise {@code EnvRegistry.create(id)}.
   *
   * @throws IllegalArgumentException naming {@code env.class} or {@code env.id}, the value and
   *     what is allowed
   */
  public static Environment create(String id, String className) {
    if (className != null && !className.isBlank()) {
      return instantiate(load(className.strip()));
    }
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException(ID_KEY + " or " + CLASS_KEY + " must be set; " + ID_KEY
          + " takes one of: " + String.join(", ", EnvRegistry.ids()) + "; " + CLASS_KEY + " takes " + ALLOWED);
    }
    return EnvRegistry.create(id);
  }

  private static Class<?> load(String className) {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    ClassLoader own = EnvFactory.class.getClassLoader();
    Class<?> type = null;
    if (context != null) {
      type = tryLoad(className, context);
    }
    if (type == null && own != context) {
      type = tryLoad(className, own);
    }
    if (type == null) {
      throw new IllegalArgumentException(CLASS_KEY + ": class '" + className + "' not found by the thread's"
          + " context class loader nor by sparkac's; " + CLASS_KEY + " takes the binary name (e.g."
          + " com.example.MyEnv, or com.example.Outer$MyEnv for a nested class) of " + ALLOWED);
    }
    if (!Environment.class.isAssignableFrom(type)) {
      String hint = implementsByName(type)
          ? " as sparkac loads it: it implements an " + Environment.class.getName() + " of another class loader"
              + " (is sparkac on the classpath twice, e.g. inside the jar with " + className + "?)"
          : "";
      throw new IllegalArgumentException(CLASS_KEY + ": " + className + " does not implement "
          + Environment.class.getName() + hint + "; " + CLASS_KEY + " takes " + ALLOWED);
    }
    return type;
  }

  /** Whether {@code type} implements an interface named like {@link Environment}, from any loader. */
  private static boolean implementsByName(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Class<?> i : c.getInterfaces()) {
        if (i.getName().equals(Environment.class.getName()) || implementsByName(i)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The class, or null if {@code loader} does not have it. */
  private static Class<?> tryLoad(String className, ClassLoader loader) {
    try {
      // Not initialized yet: a failing static initializer is reported by instantiate().
      return Class.forName(className, false, loader);
    } catch (ClassNotFoundException e) {
      return null;
    } catch (LinkageError e) {
      throw new IllegalArgumentException(CLASS_KEY + ": class '" + className + "' was found but cannot be"
          + " loaded (" + e + "); is a class it needs missing from the classpath?", e);
    }
  }

  private static Environment instantiate(Class<?> type) {
    String name = type.getName();
    int modifiers = type.getModifiers();
    if (type.isInterface() || Modifier.isAbstract(modifiers)) {
      throw new IllegalArgumentException(CLASS_KEY + ": " + name + " is "
          + (type.isInterface() ? "an interface" : "abstract") + "; " + CLASS_KEY + " takes " + ALLOWED);
    }
    if (!Modifier.isPublic(modifiers) || (type.isMemberClass() && !Modifier.isStatic(modifiers))) {
      throw new IllegalArgumentException(CLASS_KEY + ": " + name + " is not a public "
          + (type.isMemberClass() ? "static nested " : "") + "class; " + CLASS_KEY + " takes " + ALLOWED);
    }
    Constructor<?> constructor;
    try {
      constructor = type.getConstructor();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(CLASS_KEY + ": " + name + " has no public no-argument constructor;"
          + " each actor creates its own instance with it; " + CLASS_KEY + " takes " + ALLOWED, e);
    }
    try {
      return (Environment) constructor.newInstance();
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(CLASS_KEY + ": new " + name + "() threw " + e.getCause(), e.getCause());
    } catch (ExceptionInInitializerError e) {
      throw new IllegalArgumentException(CLASS_KEY + ": the static initializer of " + name + " threw "
          + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(CLASS_KEY + ": cannot create " + name + " (" + e + "); "
          + CLASS_KEY + " takes " + ALLOWED, e);
    }
  }
}
