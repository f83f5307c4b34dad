package io.sparkac.run;

import io.sparkac.storage.Storage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock of a run folder ({@code <run>/lock}): the one process that writes a run holds it for
 * the whole run, so that a second {@code train} of the same folder is refused, with the holder
 * named, instead of both writing the same files. Driver only.
 *
 * <p>On a local disk it is an OS lock ({@link FileChannel#tryLock}) on that file, which the
 * kernel releases when the process ends, also on {@code kill -9}: a killed run never leaves a
 * stuck lock. The file also says who holds it (host, pid, start time), for the message. The file
 * stays when the lock is released; only the OS lock counts.
 *
 * <p>Other Hadoop file systems have no such lock: there the lock is the file itself, created only
 * if absent, deleted on release. A file left by a killed process is stale, and replaced, when it
 * names this host and a pid that is not running (or runs another process than the one that wrote
 * it); one left on another host is not known to be stale, and the message says which file to
 * delete once its process is gone.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunLock.class);
  /** The lock file's name in the run folder. */
  public static final String FILE = "lock";

  private final Path path;
  private final FileChannel channel; // local: the OS lock's file
  private final FileLock lock;
  private final FileSystem fs; // elsewhere: the file is the lock
  private final String holder;

  private RunLock(Path path, FileChannel channel, FileLock lock, FileSystem fs, String holder) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
    this.fs = fs;
    this.holder = holder;
  }

  /**
   * Locks the run folder (creating it if needed) for this process.
   *
   * @throws RunFolderException naming the holder when another process, or another run in this
   *     process, holds it
   */
  public static RunLock acquire(Storage storage, RunLayout layout) {
    Path path = lockFile(layout);
    FileSystem fs = storage.fs(path);
    File local = localFile(fs, path);
    return local != null ? acquireLocal(layout, path, local) : acquireFile(layout, path, fs);
  }

  /**
   * Fails when another process holds the lock now; creates nothing (jobs call it before any Spark
   * work, the trainer then acquires the lock for the run).
   */
  public static void checkFree(Storage storage, RunLayout layout) {
    Path path = lockFile(layout);
    if (!storage.exists(path)) {
      return;
    }
    acquire(storage, layout).close();
  }

  public static Path lockFile(RunLayout layout) {
    return new Path(layout.root(), FILE);
  }

  /** The OS lock of a local file. */
  private static RunLock acquireLocal(RunLayout layout, Path path, File file) {
    String me = Holder.current().toString();
    FileChannel ch = null;
    try {
      Files.createDirectories(file.toPath().getParent());
      ch = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        // The JVM tracks its own locks: another run of this process writes the folder.
        ch.close();
        throw locked(layout, "another run in this process (" + me + ")");
      }
      if (lock == null) {
        String other = new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8).trim();
        ch.close();
        throw locked(layout, "another process (" + (other.isEmpty() ? "it has not written its name yet" : other)
            + ")");
      }
      ch.truncate(0);
      ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      return new RunLock(path, ch, lock, null, me);
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UncheckedIOException("cannot lock the run folder " + layout.root() + " (" + file + ")", e);
    }
  }

  /** A lock file created only if absent, on a file system without OS locks. */
  static RunLock acquireFile(RunLayout layout, Path path, FileSystem fs) {
    Holder me = Holder.current();
    try {
      fs.mkdirs(path.getParent());
      for (int attempt = 0; ; attempt++) {
        try (FSDataOutputStream out = fs.create(path, false)) {
          out.write((me + "\n").getBytes(StandardCharsets.UTF_8));
          out.hflush();
          return new RunLock(path, null, null, fs, me.toString());
        } catch (FileAlreadyExistsException e) {
          // held, or left by a process that died
        } catch (IOException e) {
          if (!fs.exists(path)) {
            throw e;
          }
        }
        String text;
        try (var in = fs.open(path)) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        Optional<Holder> other = Holder.parse(text);
        if (attempt == 0 && other.isPresent() && other.get().isStale()) {
          log.warn("run folder {}: removing the lock of {}, which is not running any more", layout.root(), text);
          fs.delete(path, false);
          continue;
        }
        if (other.isPresent() && other.get().equals(me)) {
          throw locked(layout, "another run in this process (" + me + ")");
        }
        throw locked(layout, "another process (" + text + "); if that process is no longer running, delete "
            + path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock the run folder " + layout.root() + " (" + path + ")", e);
    }
  }

  private static RunFolderException locked(RunLayout layout, String holder) {
    return new RunFolderException("run folder " + layout.root() + " is being written by " + holder
        + "; one run folder takes one train process at a time");
  }

  /** The local file behind {@code path}, or null when its file system is not the local disk. */
  private static File localFile(FileSystem fs, Path path) {
    if (fs instanceof LocalFileSystem local) {
      return local.pathToFile(path);
    }
    if (fs instanceof RawLocalFileSystem raw) {
      return raw.pathToFile(path);
    }
    return null;
  }

  /** Releases the lock (the lock file of a non-local file system is deleted). */
  @Override
  public void close() {
    try {
      if (lock != null) {
        lock.release();
        channel.close();
      } else {
        fs.delete(path, false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the lock " + path + " of " + holder, e);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the lock was not taken; the failure that matters is being thrown
      }
    }
  }

  /** Who holds a lock: the host, the process id and the process's start time. */
  record Holder(String host, long pid, String started) {
    static Holder current() {
      ProcessHandle self = ProcessHandle.current();
      return new Holder(hostName(), self.pid(), startOf(self));
    }

    static String hostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
      }
    }

    private static String startOf(ProcessHandle p) {
      return p.info().startInstant().map(Instant::toString).orElse("?");
    }

    /** On this host, and its process is gone (or the pid now belongs to a process started later). */
    boolean isStale() {
      if (!host.equals(hostName())) {
        return false;
      }
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      return p.isEmpty() || !p.get().isAlive() || (!"?".equals(started) && !started.equals(startOf(p.get())));
    }

    static Optional<Holder> parse(String text) {
      String host = null;
      Long pid = null;
      String started = "?";
      for (String part : text.split("\\s+")) {
        int eq = part.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String k = part.substring(0, eq);
        String v = part.substring(eq + 1);
        switch (k) {
          case "host" -> host = v;
          case "pid" -> {
            try {
              pid = Long.parseLong(v);
            } catch (NumberFormatException e) {
              return Optional.empty();
            }
          }
          case "started" -> started = v;
          default -> { }
        }
      }
      return host == null || pid == null ? Optional.empty() : Optional.of(new Holder(host, pid, started));
    }

    @Override
    public String toString() {
      return "host=" + host + " pid=" + pid + " started=" + started;
    }
  }
}
