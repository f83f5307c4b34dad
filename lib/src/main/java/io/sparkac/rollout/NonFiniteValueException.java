package io.sparkac.rollout;

/** A NaN or infinite observation, reward, loss or weight: the run stops, naming round and quantity. */
public final class NonFiniteValueException extends IllegalStateException {
  public NonFiniteValueException(String message) {
    super(message);
  }

  /** The same fault seen on the driver: {@code cause} is the failed Spark job that reported it. */
  public NonFiniteValueException(String message, Throwable cause) {
    super(message, cause);
  }
}
