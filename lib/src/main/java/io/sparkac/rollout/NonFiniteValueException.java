package io.sparkac.rollout;

/** A NaN or infinite observation, reward, loss or weight: the run stops, naming round and quantity. */
public final class NonFiniteValueException extends IllegalStateException {
  public NonFiniteValueException(String message) {
    super(message);
  }
}
