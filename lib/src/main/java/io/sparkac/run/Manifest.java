package io.sparkac.run;

import com.univocity.parsers.csv.CsvWriter;
import com.univocity.parsers.csv.CsvWriterSettings;
import io.sparkac.storage.FileDigest;
import io.sparkac.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * The run's manifest: one small JSON file per committed round, written last in the round with an
 * atomic rename. A round without its entry does not exist, whatever else is on disk.
 */
public final class Manifest {
  private static final Pattern ENTRY = Pattern.compile("round-(\\d+)\\.json");
  private final Storage storage;
  private final RunLayout layout;

  public Manifest(Storage storage, RunLayout layout) {
    this.storage = storage;
    this.layout = layout;
  }

  /** Commits a round: the last write of the round. */
  public void commit(RoundRecord record) {
    storage.writeAtomically(layout.manifestEntry(record.round()),
        out -> out.write(Checkpoints.JSON.writeValueAsBytes(record)));
  }

  /** The committed rounds, in order. */
  public List<Integer> committedRounds() {
    List<Integer> rounds = new ArrayList<>();
    for (FileStatus s : storage.list(layout.manifest())) {
      Matcher m = ENTRY.matcher(s.getPath().getName());
      if (m.matches()) {
        rounds.add(Integer.parseInt(m.group(1)));
      }
    }
    rounds.sort(null);
    return rounds;
  }

  /** The last committed round, or -1 when none is. */
  public int lastCommitted() {
    List<Integer> r = committedRounds();
    return r.isEmpty() ? -1 : r.get(r.size() - 1);
  }

  public RoundRecord read(int round) {
    return storage.read(layout.manifestEntry(round), in -> RoundRecord.fromJson(Checkpoints.JSON.readTree(in)));
  }

  public List<RoundRecord> readAll() {
    List<RoundRecord> all = new ArrayList<>();
    for (int r : committedRounds()) {
      all.add(read(r));
    }
    return all;
  }

  /**
   * Checks the files that {@code records} committed, those whose path (relative to the run folder)
   * starts with {@code prefix} ("" for all): each must be there with the size its round's entry
   * recorded (one listing per folder), and with {@code checksums} also with the recorded CRC32C
   * (which reads the files). Entries written before files were recorded are not checked.
   *
   * @throws RunFolderException naming the file, the round and what differs
   */
  public void verify(List<RoundRecord> records, String prefix, boolean checksums) {
    Map<org.apache.hadoop.fs.Path, Map<String, Long>> listed = new HashMap<>();
    for (RoundRecord r : records) {
      if (r.files() == null) {
        continue;
      }
      for (RunFile f : r.files()) {
        if (!f.path().startsWith(prefix)) {
          continue;
        }
        org.apache.hadoop.fs.Path path = layout.resolve(f.path());
        Map<String, Long> sizes = listed.computeIfAbsent(path.getParent(), dir -> {
          Map<String, Long> m = new HashMap<>();
          for (FileStatus s : storage.list(dir)) {
            m.put(s.getPath().getName(), s.getLen());
          }
          return m;
        });
        Long size = sizes.get(path.getName());
        if (size == null) {
          throw damaged(r, f, "is missing");
        }
        if (size != f.size()) {
          throw damaged(r, f, "has " + size + " bytes, its manifest entry recorded " + f.size()
              + (size < f.size() ? " (truncated)" : ""));
        }
        if (checksums) {
          FileDigest actual = digestOf(path);
          if (actual.crc32c() != f.crc32c()) {
            throw damaged(r, f, String.format("has CRC32C %08x, its manifest entry recorded %08x", actual.crc32c(),
                f.crc32c()));
          }
        }
      }
    }
  }

  /**
   * The digest of a file's bytes, read past Hadoop's own checksums on a local disk
   * ({@code .<name>.crc}), whose failure would not say which round the file belongs to.
   */
  private FileDigest digestOf(org.apache.hadoop.fs.Path path) {
    FileSystem fs = storage.fs(path);
    FileSystem raw = fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
    try (InputStream in = raw.open(path)) {
      FileDigest.Stream digest = new FileDigest.Stream(OutputStream.nullOutputStream());
      in.transferTo(digest);
      return digest.digest();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  private RunFolderException damaged(RoundRecord r, RunFile f, String what) {
    return new RunFolderException("committed round " + r.round() + " of " + layout.root() + " is damaged: "
        + f.path() + " " + what + "; the file was changed after the round was committed");
  }

  /**
   * Rewrites {@code metrics.csv} from the records (a derived file: the manifest is the source),
   * through univocity's CSV writer, which Spark ships.
   */
  public void writeMetricsCsv(List<RoundRecord> records) {
    StringWriter text = new StringWriter();
    CsvWriter csv = new CsvWriter(text, new CsvWriterSettings());
    csv.writeHeaders(RoundRecord.COLUMNS.stream().map(RoundRecord.Column::name).toList());
    for (RoundRecord r : records) {
      // NaN is "none" (not evaluated, no episode ended, sync mode): an empty cell
      csv.writeRow(RoundRecord.COLUMNS.stream().map(c -> c.value().apply(r))
          .map(v -> v instanceof Double d && d.isNaN() ? "" : v.toString()).toList());
    }
    csv.close();
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    storage.writeAtomically(layout.metricsCsv(), out -> out.write(bytes));
  }
}
