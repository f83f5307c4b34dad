package io.sparkac.run;

import io.sparkac.storage.FileDigest;

/**
 * A file a round committed, as its manifest entry records it: the path relative to the run folder
 * (so that a moved or copied run stays valid), the size in bytes and the CRC32C of the bytes.
 */
public record RunFile(String path, long size, long crc32c) {
  public static RunFile of(String path, FileDigest digest) {
    return new RunFile(path, digest.size(), digest.crc32c());
  }

  public FileDigest digest() {
    return new FileDigest(size, crc32c);
  }
}
