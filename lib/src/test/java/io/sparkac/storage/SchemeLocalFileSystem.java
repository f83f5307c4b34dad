package io.sparkac.storage;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under a scheme of its own, the base of the test file systems that make a
 * write fail on purpose ({@link FailingFileSystem}, and the jobs module's full disk). The scheme
 * comes from a method, not a field: {@link RawLocalFileSystem}'s constructor already asks for the
 * file system's URI.
 */
public abstract class SchemeLocalFileSystem extends RawLocalFileSystem {
  /** The scheme; a constant, since it is asked for before the subclass is constructed. */
  protected abstract String scheme();

  @Override
  public String getScheme() {
    return scheme();
  }

  @Override
  public URI getUri() {
    return URI.create(scheme() + ":///");
  }
}
