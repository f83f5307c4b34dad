package io.sparkac.trajectory;

import io.sparkac.trajectory.TrajectorySchema.Column;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes rows of a {@link RowBatch} (given by index) straight into Parquet's record consumer:
 * no Row, InternalRow or boxed value per step. The Spark schema goes into the footer under the
 * key Spark uses, so Spark reads the files with their column comments, with the file's
 * {@link TrajectoryMetadata}.
 */
final class TrajectoryWriteSupport extends WriteSupport<Integer> {
  private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
  private static final Column[] FILE_COLUMNS =
      Arrays.stream(Column.values()).filter(Column::inFile).toArray(Column[]::new);
  /** The Spark schema's JSON, built once (Spark builds it anew each call: about 7% of writing a 512-row file). */
  private static final String SPARK_SCHEMA_JSON = TrajectorySchema.FILE_SCHEMA.json();
  private final RowBatch batch;
  private final TrajectoryWriter.Shared shared;
  private final Binary runId;
  private final Binary executorId;
  private RecordConsumer out;

  TrajectoryWriteSupport(RowBatch batch, TrajectoryWriter.Shared shared) {
    this.batch = batch;
    this.shared = shared;
    this.runId = Binary.fromConstantByteArray(shared.runId().getBytes(StandardCharsets.UTF_8));
    this.executorId = Binary.fromConstantByteArray(shared.executorId().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public WriteContext init(Configuration configuration) {
    Map<String, String> metadata = new HashMap<>(shared.metadata().values());
    metadata.put(SPARK_SCHEMA_KEY, SPARK_SCHEMA_JSON);
    return new WriteContext(TrajectorySchema.PARQUET_SCHEMA, metadata);
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.out = recordConsumer;
  }

  /** Writes row {@code rowIndex}: its file columns in schema order, a null action or action_vec left out. */
  @Override
  public void write(Integer rowIndex) {
    int r = rowIndex;
    RowBatch b = batch;
    int o = b.obsSize();
    int a = b.actionSize();
    out.startMessage();
    for (Column c : FILE_COLUMNS) {
      if (c == (b.continuous() ? Column.ACTION : Column.ACTION_VEC)) {
        continue;
      }
      out.startField(c.sqlName, c.ordinal());
      switch (c) {
        case RUN_ID -> out.addBinary(runId);
        case POLICY_VERSION -> out.addInteger(shared.policyVersion());
        case ACTOR_ID -> out.addInteger(b.actorId()[r]);
        case EPISODE_ID -> out.addLong(b.episodeId()[r]);
        case T -> out.addInteger(b.t()[r]);
        case OBS -> floats(b.obs(), r * o, o);
        case ACTION -> out.addInteger(b.action()[r]);
        case ACTION_VEC -> floats(b.actionVec(), r * a, a);
        case REWARD -> out.addDouble(b.reward()[r]);
        case TERMINATED -> out.addBoolean(b.terminated()[r]);
        case TRUNCATED -> out.addBoolean(b.truncated()[r]);
        case NEXT_OBS -> floats(b.nextObs(), r * o, o);
        case ACTION_LOGP -> out.addDouble(b.logp()[r]);
        case VF_PRED -> out.addDouble(b.vfPred()[r]);
        case EXECUTOR_ID -> out.addBinary(executorId);
        case EVAL -> out.addBoolean(shared.eval());
        case ROUND -> throw new IllegalStateException("round is the partition column, not stored in files");
      }
      out.endField(c.sqlName, c.ordinal());
    }
    out.endMessage();
  }

  /** A standard 3-level list: {@code <name> (LIST) { repeated group list { element } }}. */
  private void floats(float[] src, int from, int len) {
    out.startGroup();
    if (len > 0) {
      out.startField("list", 0);
      for (int i = 0; i < len; i++) {
        out.startGroup();
        out.startField("element", 0);
        out.addFloat(src[from + i]);
        out.endField("element", 0);
        out.endGroup();
      }
      out.endField("list", 0);
    }
    out.endGroup();
  }
}
