package io.sparkac.env.python;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Python environment as the configuration names it: {@code env.python = "package.module:Name"}
 * (a class or factory called with {@code kwargs}) or {@code env.gymnasium = "<id>"} (called as
 * {@code gymnasium.make(id, **kwargs)}); the Python executable, extra module folders put in front
 * of the worker's inherited {@code PYTHONPATH}, the time a worker may take to answer one request,
 * and whether episodes continue across rounds (the environment pickled into the actors'
 * snapshots) or restart at every round.
 */
public record PythonEnvSpec(String target, String gymnasiumId, Map<String, Object> kwargs, String executable,
    List<String> pythonPath, long timeoutMs, boolean restartEpisodes) implements Serializable {

  public static final String PYTHON_KEY = "env.python";
  public static final String GYMNASIUM_KEY = "env.gymnasium";

  public PythonEnvSpec {
    if ((target == null || target.isBlank()) == (gymnasiumId == null || gymnasiumId.isBlank())) {
      throw new IllegalArgumentException("exactly one of env.python and env.gymnasium must be set");
    }
    kwargs = kwargs == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(kwargs));
    pythonPath = List.copyOf(pythonPath);
  }

  public boolean gymnasium() {
    return gymnasiumId != null && !gymnasiumId.isBlank();
  }

  /** The configuration key that names the environment. */
  public String key() {
    return gymnasium() ? GYMNASIUM_KEY : PYTHON_KEY;
  }

  /** What that key holds. */
  public String value() {
    return gymnasium() ? gymnasiumId : target;
  }

  /** {@code env.python = "..."}, for messages. */
  public String describe() {
    return key() + " = \"" + value() + "\"";
  }
}
