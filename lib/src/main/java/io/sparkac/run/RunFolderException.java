package io.sparkac.run;

/**
 * The run folder does not fit what was asked of it: a new run into a folder that is not empty, a
 * resume or an overwrite of a folder that is not a run, a folder another process is writing
 * ({@link RunLock}), or a committed file that is not as its round's manifest entry recorded it.
 * The message names the folder (and the file and round, or the lock's holder) and what to do.
 */
public final class RunFolderException extends IllegalStateException {
  public RunFolderException(String message) {
    super(message);
  }
}
