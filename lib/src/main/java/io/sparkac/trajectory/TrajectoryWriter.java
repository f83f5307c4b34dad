package io.sparkac.trajectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import io.sparkac.storage.Storage;

/**
 * Writes one rollout task's rows as one Parquet file, from the task itself (executor side).
 *
 * <p>The file is written under a hidden attempt-specific name and renamed into place at the
 * end, so a reader never sees half a file; its name depends only on the task's actor range,
 * so a retried task (whose rows are bit-identical) replaces the same file.
 */
public final class TrajectoryWriter {
  private TrajectoryWriter() {}

  /** Writes {@code batch} to {@code target}; {@code attempt} names the temporary file. */
  public static void write(StepBatch batch, Path target, long attempt, Configuration conf) {
    Path tmp = new Path(target.getParent(), "_" + target.getName() + ".attempt-" + attempt);
    try {
      HadoopOutputFile file = HadoopOutputFile.fromPath(tmp, conf);
      try (ParquetWriter<Integer> writer = new Builder(file, batch)
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
    new Storage(conf).rename(tmp, target, true);
  }

  private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
    private final StepBatch batch;

    Builder(HadoopOutputFile file, StepBatch batch) {
      super(file);
      this.batch = batch;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
      return new TrajectoryWriteSupport(batch);
    }
  }
}
