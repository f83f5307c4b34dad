package io.sparkac.jobs;

/**
 * A job failed after its input was accepted; the message is the one line {@link Main} prints
 * after {@code error: }, e.g. {@code train failed at round 12 (last committed round 11): No space
 * left on device}. The cause is what failed (with what the failure handler could not do, such as
 * drawing the learning curve, among its suppressed exceptions).
 */
final class JobFailedException extends RuntimeException {
  JobFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
