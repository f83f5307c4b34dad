package io.sparkac.env;

/**
 * An {@link Environment} breaks the contract the rollout relies on; thrown by
 * {@link EnvironmentChecker}. The message names the environment (id and class) and the exact
 * problem, e.g. {@code "MyEnv-v0 (com.example.MyEnv): reset(seed=7) wrote NaN at obs[2]"}.
 */
public final class InvalidEnvironmentException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidEnvironmentException(String message) {
    super(message);
  }

  public InvalidEnvironmentException(String message, Throwable cause) {
    super(message, cause);
  }
}
