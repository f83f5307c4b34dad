package io.sparkac.run;

import io.sparkac.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run folder and the start modes: which folders a new run, a resume or an overwrite may take,
 * and what a start does to the folder first (an overwrite removes the run's entries, a resume
 * removes what an interrupted round left past the last commit and checks the committed files).
 * Driver only.
 */
public final class RunFolder {
  private static final Logger log = LoggerFactory.getLogger(RunFolder.class);

  private RunFolder() {}

  /**
   * Checks the run folder against the start mode; returns the committed rounds' manifest records
   * to resume after, in order (empty: the run starts at round 0), read once. The caller holds the
   * folder's {@link RunLock}. Also removes what an interrupted round left behind
   * past the last commit, and on a resume checks that the committed rounds' files are intact
   * (sizes of all, checksums of the last round's snapshots and checkpoint, which the resume
   * loads). A new run creates its (empty) manifest folder first, so that a run killed before its
   * first commit is still recognisable as a run and {@code --resume} restarts it from round 0.
   * An overwrite deletes the run's own entries only ({@link RunLayout#isRunEntry}); files the
   * user put into the folder stay, and the log says so.
   */
  public static List<RoundRecord> prepare(Storage storage, RunLayout layout, Manifest manifest, StartMode mode) {
    check(storage, layout, mode);
    switch (mode) {
      case FRESH -> {
        storage.mkdirs(layout.manifest());
        return List.of();
      }
      case OVERWRITE -> {
        List<String> kept = new ArrayList<>();
        for (FileStatus s : storage.list(layout.root())) {
          String name = s.getPath().getName();
          if (RunLock.FILE.equals(name) || name.equals(layout.manifest().getName())) {
            continue; // the lock is held by this run; the manifest goes last, below
          }
          if (RunLayout.isRunEntry(name)) {
            storage.delete(s.getPath());
          } else {
            kept.add(name);
          }
        }
        // Last, so that an overwrite killed half-way leaves a folder still recognisable as a run.
        storage.delete(layout.manifest());
        if (!kept.isEmpty()) {
          log.info("overwriting the run in {}: kept what is not the run's: {}", layout.root(), kept);
        }
        storage.mkdirs(layout.manifest());
        return List.of();
      }
      default -> {
        storage.mkdirs(layout.manifest());
        List<RoundRecord> records = manifest.readAll();
        int last = records.isEmpty() ? -1 : records.get(records.size() - 1).round();
        removeUncommitted(storage, layout, last);
        if (last >= 0) {
          manifest.verify(records, "", false);
          manifest.verify(List.of(records.get(records.size() - 1)), "actors/", true);
          manifest.verify(List.of(records.get(records.size() - 1)), "checkpoints/", true);
        }
        return records;
      }
    }
  }

  /**
   * Refuses a run folder that does not fit the start mode, naming the folder and the flag to
   * pass: a new run into a folder that is not empty (an existing run folder is never overwritten
   * silently), a resume of a folder that is not a run, an overwrite of a folder that is not a run
   * (not empty and without a {@code manifest/} folder: it may hold anything; the run's lock file
   * does not count). Jobs call it before any Spark work; the trainer calls it again, before and after it
   * locks the folder.
   *
   * @throws RunFolderException when the folder does not fit
   */
  public static void check(Storage storage, RunLayout layout, StartMode mode) {
    List<String> entries = new ArrayList<>();
    if (storage.isFile(layout.root())) {
      throw new RunFolderException("run folder " + layout.root() + " is a file, not a folder; choose another"
          + " run.dir");
    }
    if (storage.exists(layout.root())) {
      for (FileStatus s : storage.list(layout.root())) {
        String name = s.getPath().getName();
        if (!name.equals(RunLock.FILE) && !name.equals("." + RunLock.FILE + ".crc")) {
          entries.add(name);
        }
      }
    }
    boolean exists = !entries.isEmpty();
    boolean isRun = storage.exists(layout.manifest());
    if (mode == StartMode.FRESH && exists) {
      throw new RunFolderException("run folder " + layout.root() + " already exists and is not empty; "
          + "pass --resume to continue it or --overwrite to replace it");
    }
    if (mode == StartMode.RESUME && exists && !isRun) {
      throw new RunFolderException("cannot resume " + layout.root() + ": it is not a run folder "
          + "(no manifest/ folder); pass --overwrite to replace it with a new run");
    }
    if (mode == StartMode.OVERWRITE && exists && !isRun) {
      entries.sort(null);
      throw new RunFolderException("cannot overwrite " + layout.root() + ": it is not a run folder (no manifest/"
          + " folder) and holds " + String.join(", ", entries.subList(0, Math.min(5, entries.size())))
          + (entries.size() > 5 ? ", ..." : "") + "; --overwrite replaces run folders only: choose another run.dir");
    }
  }

  private static void removeUncommitted(Storage storage, RunLayout layout, int lastCommitted) {
    for (Path dir : List.of(layout.trajectories(), layout.checkpoints(),
        layout.actorsRound(0).getParent())) {
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
