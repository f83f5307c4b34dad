package io.sparkac.config;

/**
 * A configuration error that names the key, the value that was given and what is allowed, e.g.
 * {@code learner.gamma = 1.5: must be in (0, 1]}.
 */
public final class ConfigException extends IllegalArgumentException {
  private final String key;

  public ConfigException(String key, Object value, String allowed) {
    super(key + " = " + render(value) + ": " + allowed);
    this.key = key;
  }

  public ConfigException(String key, Object value, String allowed, Throwable cause) {
    super(key + " = " + render(value) + ": " + allowed, cause);
    this.key = key;
  }

  public String key() {
    return key;
  }

  private static String render(Object value) {
    if (value instanceof String s) {
      return "\"" + s + "\"";
    }
    return String.valueOf(value);
  }

  /** Throws unless {@code ok}. */
  public static void check(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new ConfigException(key, value, allowed);
    }
  }
}
