package io.sparkac.trajectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopStreams;
import io.sparkac.storage.FileDigest;
import io.sparkac.storage.Storage;
import org.apache.parquet.io.DelegatingPositionOutputStream;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * Writes one rollout task's rows as one Parquet file, from the task itself (executor side).
 *
 * <p>The file is written under a hidden attempt-specific name and renamed into place at the
 * end, so a reader never sees half a file; its name depends only on the task's actor range,
 * so a retried task (whose rows are bit-identical) replaces the same file. The file's size and
 * CRC32C are computed from the bytes as they are written, for the round's manifest entry.
 */
public final class TrajectoryWriter {
  private TrajectoryWriter() {}

  /**
   * The columns every row of one file shares: the run, the policy version that sampled the rows,
   * the Spark executor that sampled them ("driver" in local mode) and evaluation or training rows;
   * with the file's key-value metadata (environment, spaces, schema version).
   */
  public record Shared(String runId, int policyVersion, String executorId, boolean eval, TrajectoryMetadata metadata) {}

  /**
   * Writes {@code batch}'s rows with the {@code shared} columns to {@code target}; {@code attempt}
   * names the temporary file. Returns the size and CRC32C of the file.
   */
  public static FileDigest write(RowBatch batch, Shared shared, Path target, long attempt, Configuration conf) {
    Path tmp = new Path(target.getParent(), "_" + target.getName() + ".attempt-" + attempt);
    // One file system lookup for the write and the rename (each lookup asks Hadoop for the current
    // user, a measurable part of writing a small file).
    Storage storage = new Storage(conf);
    FileSystem fs = storage.fs(tmp);
    DigestingFile file = new DigestingFile(fs, tmp);
    try {
      try (ParquetWriter<Integer> writer = new Builder(file, batch, shared)
          .withConf(conf)
          .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          // Dictionaries only for the columns that repeat one value (run, executor, policy version,
          // actor): for observations, rewards and log-probs, parquet-mr builds a dictionary per page
          // and then falls back to plain encoding, which made the write a third slower.
          .withDictionaryEncoding(false)
          .withDictionaryEncoding(TrajectorySchema.RUN_ID, true)
          .withDictionaryEncoding(TrajectorySchema.EXECUTOR_ID, true)
          .withDictionaryEncoding(TrajectorySchema.POLICY_VERSION, true)
          .withDictionaryEncoding(TrajectorySchema.ACTOR_ID, true)
          .build()) {
        int rows = batch.rows();
        for (int r = 0; r < rows; r++) {
          writer.write(r);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write trajectory file " + target, e);
    }
    storage.rename(fs, tmp, target, true);
    return file.digest();
  }

  /**
   * The file parquet-mr writes, created on a given file system (as parquet's HadoopOutputFile
   * creates it), whose bytes are digested as they are written (parquet-mr writes sequentially,
   * never seeks).
   */
  private static final class DigestingFile implements OutputFile {
    /** Hadoop's default io buffer, as parquet's HadoopOutputFile uses. */
    private static final int BUFFER_SIZE = 4096;
    private final FileSystem fs;
    private final Path path;
    private FileDigest.Stream stream;

    DigestingFile(FileSystem fs, Path path) {
      this.fs = fs;
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return digesting(fs.create(path, false, BUFFER_SIZE, fs.getDefaultReplication(path), blockSize(blockSizeHint)));
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return digesting(fs.create(path, true, BUFFER_SIZE, fs.getDefaultReplication(path), blockSize(blockSizeHint)));
    }

    private long blockSize(long hint) {
      return Math.max(fs.getDefaultBlockSize(path), hint);
    }

    private PositionOutputStream digesting(FSDataOutputStream raw) {
      PositionOutputStream out = HadoopStreams.wrap(raw);
      stream = new FileDigest.Stream(out);
      return new DelegatingPositionOutputStream(stream) {
        @Override
        public long getPos() throws IOException {
          return out.getPos();
        }
      };
    }

    @Override
    public boolean supportsBlockSize() {
      return true;
    }

    @Override
    public long defaultBlockSize() {
      return fs.getDefaultBlockSize(path);
    }

    @Override
    public String getPath() {
      return path.toString();
    }

    FileDigest digest() {
      return stream.digest();
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
    private final RowBatch batch;
    private final Shared shared;

    Builder(OutputFile file, RowBatch batch, Shared shared) {
      super(file);
      this.batch = batch;
      this.shared = shared;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
      return new TrajectoryWriteSupport(batch, shared);
    }
  }
}
