package io.sparkac.jobs;

import io.sparkac.storage.SchemeLocalFileSystem;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * A local disk that fills up: the {@code fulldisk:} scheme (registered through
 * {@code META-INF/services/org.apache.hadoop.fs.FileSystem} of the test classpath) is the local
 * file system, except that once the files written through it in this JVM add up to more than the
 * system property {@value #BUDGET} bytes, every further byte goes to {@code /dev/full}. So a write
 * fails the way Hadoop's local file system fails on a full disk: its output stream turns the
 * kernel's {@code ENOSPC} ("No space left on device") into an {@code org.apache.hadoop.fs.FSError},
 * a {@link java.lang.Error}. No root and no real full disk needed; in local mode the Spark tasks
 * run in the driver's JVM and share the budget.
 */
public final class FullDiskFileSystem extends SchemeLocalFileSystem {
  static final String SCHEME = "fulldisk";
  static final String BUDGET = "sparkac.test.fulldisk.bytes";
  private static final AtomicLong WRITTEN = new AtomicLong();

  @Override
  protected String scheme() {
    return SCHEME;
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
      throws IOException {
    OutputStream file = super.createOutputStreamWithMode(f, append, permission);
    long budget = Long.getLong(BUDGET, Long.MAX_VALUE);
    return new FilterOutputStream(file) {
      private OutputStream full;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (WRITTEN.addAndGet(len) <= budget) {
          out.write(b, off, len);
          return;
        }
        if (full == null) {
          // Hadoop's own local output stream on /dev/full: it throws FSError(IOException(ENOSPC)).
          full = FullDiskFileSystem.super.createOutputStreamWithMode(new Path(SCHEME + ":/dev/full"), true, null);
        }
        full.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          if (full != null) {
            full.close();
          }
        }
      }
    };
  }
}
