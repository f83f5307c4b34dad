package io.sparkac.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.numeric.NonFiniteValueException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The deepest cause's message, and a cause of a given type, found through the wrappers. */
class CausesTest {
  @Test
  void theRootMessageIsTheDeepestCausesThatHasOne() {
    Error fsError = new Error(new IOException("No space left on device").toString(),
        new IOException("No space left on device"));
    assertThat(Causes.rootMessage(new IllegalStateException("Job aborted", fsError)))
        .isEqualTo("No space left on device");
    assertThat(Causes.rootMessage(new IllegalStateException("Job aborted", new NullPointerException())))
        .isEqualTo("Job aborted");
    assertThat(Causes.rootMessage(new NullPointerException())).isEqualTo("java.lang.NullPointerException");
  }

  @Test
  void aChainThatLoopsEnds() {
    IllegalStateException a = new IllegalStateException("a");
    IllegalStateException b = new IllegalStateException("b", a);
    a.initCause(b);
    assertThat(Causes.rootMessage(b)).isEqualTo("a");
    assertThat(Causes.find(b, NonFiniteValueException.class)).isNull();
  }

  @Test
  void findsACauseOfAType() {
    NonFiniteValueException nan = new NonFiniteValueException("round 3: reward of actor 5 is NaN");
    Exception spark = new Exception("Job aborted due to stage failure", new RuntimeException("task", nan));
    assertThat(Causes.find(spark, NonFiniteValueException.class)).isSameAs(nan);
    assertThat(Causes.find(spark, IOException.class)).isNull();
  }
}
