package io.sparkac.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The local file system under the {@code failing:} scheme, except that creating a file whose path
 * matches {@link #failing} throws an IOException: a write that fails at a chosen point of a round
 * (a checkpoint's file, a manifest entry), in the driver or in a local-mode task alike.
 * {@link #install} registers the scheme in a Hadoop configuration.
 */
public final class FailingFileSystem extends SchemeLocalFileSystem {
  public static final String SCHEME = "failing";
  /** Paths whose creation fails; null: none. */
  public static volatile Pattern failing;

  public static void install(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", FailingFileSystem.class.getName());
  }

  @Override
  protected String scheme() {
    return SCHEME;
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
      throws IOException {
    Pattern p = failing;
    if (p != null && p.matcher(f.toUri().getPath()).matches()) {
      throw new IOException("injected failure creating " + f);
    }
    return super.createOutputStreamWithMode(f, append, permission);
  }
}
