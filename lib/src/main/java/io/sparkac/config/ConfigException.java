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

  /**
   * An error about several keys together, e.g. {@code rollout.actors = 1000000000,
   * rollout.steps-per-actor = 64: a round needs ...}; {@link #key()} is the first.
   */
  public ConfigException(java.util.Map<String, ?> values, String allowed) {
    super(joined(values) + ": " + allowed);
    this.key = values.keySet().iterator().next();
  }

  private static String joined(java.util.Map<String, ?> values) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    values.forEach((k, v) -> parts.add(k + " = " + render(v)));
    return String.join(", ", parts);
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
