package io.sparkac.analysis;

import io.sparkac.storage.Storage;

/**
 * Where a target policy for off-policy evaluation comes from. Today a run's checkpoint
 * ({@link CheckpointPolicy}); other sources (an exported policy folder) implement the same.
 */
public interface PolicySource {
  /** Loads the policy through {@code storage} (any Hadoop file system); fails naming what is missing. */
  TargetPolicy load(Storage storage);
}
