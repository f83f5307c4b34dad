package io.sparkac.numeric;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A NaN or infinite observation, reward, loss or weight: the run stops, naming round and quantity.
 * Thrown on the executors (rollout) and on the driver (learner), so it lives below both.
 */
public final class NonFiniteValueException extends IllegalStateException {
  public NonFiniteValueException(String message) {
    super(message);
  }

  /** The same fault seen on the driver: {@code cause} is the failed Spark job that reported it. */
  public NonFiniteValueException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Throws unless {@code value} is finite: "round 3: policy loss is NaN". */
  public static void requireFinite(int round, String quantity, double value) {
    if (!Double.isFinite(value)) {
      throw new NonFiniteValueException("round " + round + ": " + quantity + " is " + value);
    }
  }

  /** Throws unless every entry of {@code values} is finite: "round 3: actor weights contain NaN or Inf". */
  public static void requireFinite(int round, String quantity, INDArray values) {
    if (values.isNaN().any() || values.isInfinite().any()) {
      throw new NonFiniteValueException("round " + round + ": " + quantity + " contain NaN or Inf");
    }
  }
}
