package io.sparkac.trajectory;

import java.nio.charset.StandardCharsets;
import io.sparkac.trajectory.TrajectorySchema.Column;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes rows of a {@link RowBatch} (given by index) straight into Parquet's record consumer:
 * no Row, InternalRow or boxed value per step. The Spark schema goes into the footer under the
 * key Spark uses, so Spark reads the files with their column comments.
 */
final class TrajectoryWriteSupport extends WriteSupport<Integer> {
  private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
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
    return new WriteContext(TrajectorySchema.PARQUET_SCHEMA,
        Map.of(SPARK_SCHEMA_KEY, TrajectorySchema.FILE_SCHEMA.json()));
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.out = recordConsumer;
  }

  @Override
  public void write(Integer rowIndex) {
    int r = rowIndex;
    RowBatch b = batch;
    int o = b.obsSize();
    out.startMessage();
    binary(Column.RUN_ID, runId);
    int32(Column.POLICY_VERSION, shared.policyVersion());
    int32(Column.ACTOR_ID, b.actorId()[r]);
    start(Column.EPISODE_ID);
    out.addLong(b.episodeId()[r]);
    end(Column.EPISODE_ID);
    int32(Column.T, b.t()[r]);
    floats(Column.OBS, b.obs(), r * o, o);
    if (b.continuous()) { // action null, action_vec set
      floats(Column.ACTION_VEC, b.actionVec(), r * b.actionSize(), b.actionSize());
    } else {
      int32(Column.ACTION, b.action()[r]);
    }
    float64(Column.REWARD, b.reward()[r]);
    bool(Column.TERMINATED, b.terminated()[r]);
    bool(Column.TRUNCATED, b.truncated()[r]);
    floats(Column.NEXT_OBS, b.nextObs(), r * o, o);
    float64(Column.ACTION_LOGP, b.logp()[r]);
    float64(Column.VF_PRED, b.vfPred()[r]);
    binary(Column.EXECUTOR_ID, executorId);
    bool(Column.EVAL, shared.eval());
    out.endMessage();
  }

  private void start(Column c) {
    out.startField(c.sqlName, c.ordinal());
  }

  private void end(Column c) {
    out.endField(c.sqlName, c.ordinal());
  }

  private void int32(Column c, int v) {
    start(c);
    out.addInteger(v);
    end(c);
  }

  private void float64(Column c, double v) {
    start(c);
    out.addDouble(v);
    end(c);
  }

  private void bool(Column c, boolean v) {
    start(c);
    out.addBoolean(v);
    end(c);
  }

  private void binary(Column c, Binary v) {
    start(c);
    out.addBinary(v);
    end(c);
  }

  /** A standard 3-level list: {@code <name> (LIST) { repeated group list { element } }}. */
  private void floats(Column c, float[] src, int from, int len) {
    start(c);
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
    end(c);
  }
}
