package io.sparkac.error;

import java.util.List;
import org.apache.commons.lang3.exception.ExceptionUtils;

/**
 * The cause chain of a failure, walked in one place: Spark wraps a task's exception in its own
 * ("Job aborted due to stage failure: ...") and Hadoop and Parquet wrap theirs, so what a user can
 * act on is usually the deepest cause. The walk is commons-lang3's, which stops at a cause seen
 * before (a chain that loops).
 */
public final class Causes {
  private Causes() {}

  /** The message of the deepest cause that has one, or the deepest cause's class name when none has. */
  public static String rootMessage(Throwable e) {
    List<Throwable> chain = ExceptionUtils.getThrowableList(e);
    for (int i = chain.size() - 1; i >= 0; i--) {
      if (chain.get(i).getMessage() != null) {
        return chain.get(i).getMessage();
      }
    }
    return chain.get(chain.size() - 1).getClass().getName();
  }

  /** The first of {@code e} and its causes that is a {@code type}, or null. */
  public static <T extends Throwable> T find(Throwable e, Class<T> type) {
    return ExceptionUtils.throwableOfType(e, type);
  }
}
