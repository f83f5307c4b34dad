package io.sparkac.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * File operations through the Hadoop FileSystem API, so a run folder may be any
 * Hadoop-compatible URI ({@code file:}, {@code hdfs:}, {@code s3a:}) and the driver and the
 * executors need not share a local disk.
 *
 * <p>Everything that must not be seen half-written (checkpoints, manifests, snapshots, Parquet
 * parts) is written to a hidden temporary name first (a leading {@code _}, which Spark, pyarrow
 * and DuckDB skip) and then renamed into place.
 */
public final class Storage {
  private final Configuration conf;

  /**
   * Also makes {@code conf} use {@link FastLocalFileSystem} for {@code file:} (unless the user chose
   * another implementation): Hadoop caches one file system per scheme for the whole JVM, whatever
   * configuration asks later, so the first {@code file:} access decides for the driver and, in local
   * mode, the executors. A plain {@code new Configuration()} used before Spark starts (the jobs'
   * checks of the run folder) otherwise caches Hadoop's LocalFileSystem, which forks a chmod process
   * per file it creates.
   */
  public Storage(Configuration conf) {
    FastLocalFileSystem.install(conf);
    this.conf = conf;
  }

  public Configuration conf() {
    return conf;
  }

  public FileSystem fs(Path path) {
    try {
      return path.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + path, e);
    }
  }

  public boolean exists(Path path) {
    try {
      return fs(path).exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /** True when the path exists and is a file, not a folder. */
  public boolean isFile(Path path) {
    try {
      FileSystem fs = fs(path);
      return fs.exists(path) && fs.getFileStatus(path).isFile();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /** True when the path is a folder with at least one entry. */
  public boolean nonEmptyDir(Path path) {
    try {
      FileSystem fs = fs(path);
      return fs.exists(path) && fs.getFileStatus(path).isDirectory() && fs.listStatus(path).length > 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path, e);
    }
  }

  public FileStatus[] list(Path dir) {
    try {
      FileSystem fs = fs(dir);
      return fs.exists(dir) ? fs.listStatus(dir) : new FileStatus[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  public void mkdirs(Path dir) {
    try {
      fs(dir).mkdirs(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  public void delete(Path path) {
    try {
      fs(path).delete(path, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** A body that writes a file's bytes. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /** A body that reads a file. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(InputStream in) throws IOException;
  }

  /**
   * Writes {@code target} atomically: into {@code _<name>.tmp} beside it, then a rename that
   * replaces any existing file (FileContext's rename with OVERWRITE is atomic on HDFS and on
   * local disks). Returns the size and CRC32C of the bytes written, computed on the way.
   */
  public FileDigest writeAtomically(Path target, Writer body) {
    Path tmp = new Path(target.getParent(), "_" + target.getName() + ".tmp");
    try {
      FileSystem fs = fs(target);
      fs.mkdirs(target.getParent());
      FileDigest digest = write(fs, tmp, body);
      rename(tmp, target, true);
      return digest;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }

  /**
   * Writes {@code file} in place, not atomically: only for a file inside a hidden temporary folder
   * that is renamed into place whole once all its files are written (a checkpoint), where a
   * rename per file would only add work. Returns the size and CRC32C of the bytes written.
   */
  public FileDigest writeInHiddenFolder(Path file, Writer body) {
    if (!file.getParent().getName().startsWith("_")) {
      throw new IllegalArgumentException(file + " is not in a hidden temporary folder (a name starting with _)");
    }
    try {
      return write(fs(file), file, body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static FileDigest write(FileSystem fs, Path file, Writer body) throws IOException {
    try (FSDataOutputStream out = fs.create(file, true)) {
      FileDigest.Stream digesting = new FileDigest.Stream(out);
      body.write(digesting);
      digesting.flush();
      // hflush, not hsync: the rename that follows must not expose a half-written file to readers
      // or to a process that restarts after a kill; surviving a power loss is the file system's
      // job (an fsync per file costs 50-100 ms on this machine's disks).
      out.hflush();
      return digesting.digest();
    }
  }

  /**
   * Renames {@code from} to {@code to}; with {@code overwrite}, an existing target file is
   * replaced atomically. On local disks this is POSIX rename(2) through the local file system
   * (FileContext's local implementation forks a {@code stat} process per call when Hadoop's
   * native library is absent, about 20 ms); elsewhere FileContext's rename with OVERWRITE,
   * which is atomic on HDFS.
   */
  public void rename(Path from, Path to, boolean overwrite) {
    rename(fs(to), from, to, overwrite);
  }

  /** The same, on {@code fs}, the file system of {@code to}, which the caller has already looked up. */
  public void rename(FileSystem fs, Path from, Path to, boolean overwrite) {
    try {
      if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
        if (!overwrite && fs.exists(to)) {
          throw new IOException("target exists");
        }
        if (!fs.rename(from, to)) {
          throw new IOException("rename returned false");
        }
        return;
      }
      URI uri = to.toUri();
      FileContext fc = uri.getScheme() == null ? FileContext.getFileContext(conf)
          : FileContext.getFileContext(uri, conf);
      fc.rename(from, to, overwrite ? Options.Rename.OVERWRITE : Options.Rename.NONE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rename " + from + " to " + to, e);
    }
  }

  public <T> T read(Path file, Reader<T> body) {
    try (InputStream in = fs(file).open(file)) {
      return body.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public byte[] readBytes(Path file) {
    return read(file, InputStream::readAllBytes);
  }
}
