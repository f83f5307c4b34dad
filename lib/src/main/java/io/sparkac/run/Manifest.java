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
        out -> out.write(Checkpoints.JSON.writeValueAsBytes(record.toJson())));
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

  /**
   * The committed round a job reads: {@code requested}, or the last committed round when null.
   * {@code option} is how the user names a round ({@code --round}), for the message.
   *
   * @throws IllegalArgumentException when the run has no committed round, or {@code requested}
   *     is not one, naming the run folder and its committed rounds
   */
  public int committedRound(Integer requested, String option) {
    List<Integer> committed = storage.exists(layout.manifest()) ? committedRounds() : List.of();
    if (committed.isEmpty()) {
      throw new IllegalArgumentException(layout.root() + " has no committed round (no entry in " + layout.manifest()
          + "); train it first");
    }
    int r = requested == null ? committed.get(committed.size() - 1) : requested;
    if (!committed.contains(r)) {
      throw new IllegalArgumentException(option + " " + r + " is not a committed round of " + layout.root()
          + "; committed rounds: " + committed.get(0) + ".." + committed.get(committed.size() - 1));
    }
    return r;
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
   * Rewrites {@code metrics.csv} whole from the records (a derived file: the manifest is the
   * source), atomically: a resume does it once, which repairs a row that a crash tore or left out.
   * The columns are those of the records' mode ({@link RoundRecord#columns}).
   */
  public void writeMetricsCsv(List<RoundRecord> records) {
    byte[] bytes = metricsCsv(records, true);
    storage.writeAtomically(layout.metricsCsv(), out -> out.write(bytes));
  }

  /**
   * Adds the row of {@code record}, just committed, to {@code metrics.csv}: an append of one line,
   * not a rewrite of the file. The first round writes the file with its header; a file system
   * without append (S3) gets the file rewritten from {@code history}, every committed round in
   * order. An append that a crash tears leaves a partial last line, which the resume's
   * {@link #writeMetricsCsv} repairs; the manifest entry is already the round's commit.
   */
  public void appendMetrics(RoundRecord record, List<RoundRecord> history) {
    org.apache.hadoop.fs.Path path = layout.metricsCsv();
    FileSystem fs = storage.fs(path);
    try {
      if (!fs.exists(path)) {
        writeMetricsCsv(history);
        return;
      }
      FileSystem raw = fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
      byte[] line = metricsCsv(List.of(record), false);
      org.apache.hadoop.fs.FSDataOutputStream appending;
      try {
        appending = raw.append(path);
      } catch (UnsupportedOperationException | IOException e) { // an object store: no append
        writeMetricsCsv(history);
        return;
      }
      try (org.apache.hadoop.fs.FSDataOutputStream out = appending) {
        out.write(line);
        out.hflush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append round " + record.round() + " to " + path, e);
    }
  }

  /**
   * The rows of {@code records} as CSV (univocity's writer, which Spark ships), with the header
   * first when asked: missing values (not evaluated, no episode ended) are empty cells, which CSV
   * readers read as null.
   */
  static byte[] metricsCsv(List<RoundRecord> records, boolean header) {
    List<RoundRecord.Column> columns = RoundRecord.columns(!records.isEmpty() && records.get(0).async());
    StringWriter text = new StringWriter();
    CsvWriter csv = new CsvWriter(text, new CsvWriterSettings());
    if (header) {
      csv.writeHeaders(columns.stream().map(RoundRecord.Column::name).toList());
    }
    for (RoundRecord r : records) {
      csv.writeRow(columns.stream().map(c -> c.value().apply(r))
          .map(v -> v instanceof Double d && d.isNaN() ? "" : v.toString()).toList());
    }
    csv.close();
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }
}
