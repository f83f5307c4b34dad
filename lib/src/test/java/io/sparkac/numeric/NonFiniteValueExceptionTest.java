package io.sparkac.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The one non-finite check of the learners: the message names the round and the quantity. */
class NonFiniteValueExceptionTest {
  @Test
  void aNonFiniteValueStopsTheRunNamingRoundAndQuantity() {
    NonFiniteValueException.requireFinite(2, "policy loss", 0.5);
    assertThat(catchThrowable(() -> NonFiniteValueException.requireFinite(3, "policy loss", Double.NaN)))
        .isInstanceOf(NonFiniteValueException.class).hasMessage("round 3: policy loss is NaN");
    assertThat(catchThrowable(() -> NonFiniteValueException.requireFinite(4, "critic loss",
        Double.NEGATIVE_INFINITY))).hasMessage("round 4: critic loss is -Infinity");
  }

  @Test
  void weightsWithANaNOrAnInfinityStopTheRun() {
    NonFiniteValueException.requireFinite(1, "actor weights", Nd4j.createFromArray(1f, 2f));
    assertThat(catchThrowable(() -> NonFiniteValueException.requireFinite(1, "actor weights",
        Nd4j.createFromArray(1f, Float.NaN)))).hasMessage("round 1: actor weights contain NaN or Inf");
    assertThat(catchThrowable(() -> NonFiniteValueException.requireFinite(5, "critic weights",
        Nd4j.createFromArray(Float.POSITIVE_INFINITY, 0f)))).hasMessage("round 5: critic weights contain NaN or Inf");
  }
}
