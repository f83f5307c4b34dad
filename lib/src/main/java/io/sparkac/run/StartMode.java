package io.sparkac.run;

/** What to do with an existing run folder. */
public enum StartMode {
  /** Refuse a run folder that is not empty. */
  FRESH,
  /** Delete the run folder first. */
  OVERWRITE,
  /** Continue from the last committed round. */
  RESUME
}
