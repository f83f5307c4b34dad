package io.sparkac.env.python;

/**
 * A Python environment or its worker failed: an exception in the environment (the message
 * carries the first lines of the Python traceback), a worker that exited or did not answer in
 * time, a state that cannot be pickled. The message names the environment and, where known,
 * the actor and the step.
 */
public class PythonEnvException extends RuntimeException {
  private final int envIndex;
  private final String detail;

  public PythonEnvException(String message, int envIndex) {
    this(message, message, envIndex, null);
  }

  public PythonEnvException(String message, Throwable cause) {
    this(message, message, -1, cause);
  }

  /** {@code message} is {@code detail} with what failed in front. */
  public PythonEnvException(String message, String detail, int envIndex, Throwable cause) {
    super(message, cause);
    this.envIndex = envIndex;
    this.detail = detail;
  }

  /** What went wrong, without the environment's name in front. */
  public String detail() {
    return detail;
  }

  /** The worker's index of the environment that failed, or -1. */
  public int envIndex() {
    return envIndex;
  }
}
