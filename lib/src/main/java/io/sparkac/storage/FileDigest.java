package io.sparkac.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32C;

/**
 * The size and the CRC32C of a file's bytes, computed while the file is written (never by
 * reading it back): what a run's manifest records of each committed file, so that a truncated or
 * replaced file is found on resume and by the readers.
 */
public record FileDigest(long size, long crc32c) implements java.io.Serializable {

  /** An output stream that passes its bytes on and digests them. Not thread-safe. */
  public static final class Stream extends FilterOutputStream {
    private final CRC32C crc = new CRC32C();
    private long size;

    public Stream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      size++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len); // FilterOutputStream's default writes byte by byte
      crc.update(b, off, len);
      size += len;
    }

    public FileDigest digest() {
      return new FileDigest(size, crc.getValue());
    }
  }

  /** The digest of {@code bytes}. */
  public static FileDigest of(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return new FileDigest(bytes.length, crc.getValue());
  }
}
