package io.sparkac.run;

/**
 * The run folder does not fit the start mode: a new run into a folder that is not empty, or a
 * resume of a folder that is not a run. The message names the folder and the flag to pass.
 */
public final class RunFolderException extends IllegalStateException {
  public RunFolderException(String message) {
    super(message);
  }
}
