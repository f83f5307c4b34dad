package io.sparkac.train;

import io.sparkac.storage.Storage;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * Checks a run folder against the start mode before training, and removes what an interrupted
 * round or update left behind past the last commit: its round folders and every hidden
 * ({@code _}-prefixed) entry, such as half-written files and the folders of rollouts that were
 * still in flight. Driver only. (The same rules as {@link Trainer}'s own copy.)
 */
final class RunFolder {
  private RunFolder() {}

  /** Returns the round or update to resume after, or -1 for a fresh start. */
  static int prepare(Storage storage, RunLayout layout, Manifest manifest, StartMode mode) {
    boolean exists = storage.nonEmptyDir(layout.root());
    switch (mode) {
      case FRESH -> {
        if (exists) {
          throw new IllegalStateException("run folder " + layout.root() + " already exists and is not empty; "
              + "pass --resume to continue it or --overwrite to replace it");
        }
        return -1;
      }
      case OVERWRITE -> {
        storage.delete(layout.root());
        return -1;
      }
      default -> {
        int last = manifest.lastCommitted();
        if (last < 0) {
          if (exists && !storage.exists(layout.manifest())) {
            throw new IllegalStateException("cannot resume " + layout.root() + ": it has no committed round "
                + "(no manifest); pass --overwrite to start it again");
          }
          return -1;
        }
        removeUncommitted(storage, layout, last);
        return last;
      }
    }
  }

  private static void removeUncommitted(Storage storage, RunLayout layout, int lastCommitted) {
    for (Path dir : List.of(layout.trajectories(), layout.checkpoints(), layout.actorsRound(0).getParent())) {
      for (FileStatus s : storage.list(dir)) {
        String name = s.getPath().getName();
        if (name.startsWith("_")) {
          storage.delete(s.getPath());
        } else if (name.startsWith("round=")) {
          int r = Integer.parseInt(name.substring("round=".length()));
          if (r > lastCommitted) {
            storage.delete(s.getPath());
          }
        }
      }
    }
  }
}
