package io.sparkac.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's checksummed local file system, except that permissions are set through
 * {@code java.nio} instead of a forked {@code chmod} process. Without Hadoop's native library
 * (which Maven Central does not ship) every file or folder Hadoop creates on a local disk forks
 * a process, 5-20 ms each, which dominated the fixed cost of a round here.
 *
 * <p>Enabled with {@code fs.file.impl = io.sparkac.storage.FastLocalFileSystem} (the local
 * launcher sets it, and every {@link Storage} installs it in its configuration). Unlike
 * LocalFileSystem it writes no {@code .<name>.crc} checksum file beside each file.
 */
public final class FastLocalFileSystem extends LocalFileSystem {
  public FastLocalFileSystem() {
    super(new NioPermissions());
    // No ".<name>.crc" file beside each data file, which every plain reader of a run folder lists
    // too; a run records its own CRC32C of every committed file in the manifest (RunReader.verify).
    // Checksum files an older run left are not verified either: a file rewritten since would fail.
    setWriteChecksum(false);
    setVerifyChecksum(false);
  }

  /** The raw local file system with a fork-free {@link #setPermission}. */
  static final class NioPermissions extends RawLocalFileSystem {
    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
      add(perms, permission.getUserAction(), PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);
      add(perms, permission.getGroupAction(), PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE);
      add(perms, permission.getOtherAction(), PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);
      try {
        Files.setPosixFilePermissions(pathToFile(p).toPath(), perms);
      } catch (UnsupportedOperationException e) {
        super.setPermission(p, permission); // not a POSIX file system: Hadoop's own way
      }
    }

    private static void add(Set<PosixFilePermission> perms, FsAction action, PosixFilePermission r,
        PosixFilePermission w, PosixFilePermission x) {
      if (action.implies(FsAction.READ)) {
        perms.add(r);
      }
      if (action.implies(FsAction.WRITE)) {
        perms.add(w);
      }
      if (action.implies(FsAction.EXECUTE)) {
        perms.add(x);
      }
    }
  }

  /** Makes {@code conf} use this class for {@code file:} unless the user chose another. */
  public static void install(org.apache.hadoop.conf.Configuration conf) {
    if (conf.get("fs.file.impl") == null || conf.get("fs.file.impl").equals(LocalFileSystem.class.getName())) {
      conf.set("fs.file.impl", FastLocalFileSystem.class.getName());
    }
  }
}
