package io.sparkac.train;

import com.univocity.parsers.csv.CsvWriter;
import com.univocity.parsers.csv.CsvWriterSettings;
import io.sparkac.storage.Storage;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;

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
