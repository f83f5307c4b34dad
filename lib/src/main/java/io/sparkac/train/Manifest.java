package io.sparkac.train;

import io.sparkac.storage.Storage;
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
    return storage.read(layout.manifestEntry(round), in -> Checkpoints.JSON.readValue(in, RoundRecord.class));
  }

  public List<RoundRecord> readAll() {
    List<RoundRecord> all = new ArrayList<>();
    for (int r : committedRounds()) {
      all.add(read(r));
    }
    return all;
  }

  /** Rewrites {@code metrics.csv} from the records (a derived file: the manifest is the source). */
  public void writeMetricsCsv(List<RoundRecord> records) {
    StringBuilder sb = new StringBuilder(RoundRecord.CSV_HEADER).append('\n');
    for (RoundRecord r : records) {
      sb.append(r.csvRow()).append('\n');
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    storage.writeAtomically(layout.metricsCsv(), out -> out.write(bytes));
  }
}
