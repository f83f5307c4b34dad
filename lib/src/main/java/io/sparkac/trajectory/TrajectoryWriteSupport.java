package io.sparkac.trajectory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes rows of a {@link StepBatch} (given by index) straight into Parquet's record consumer:
 * no Row, InternalRow or boxed value per step. The Spark schema goes into the footer under the
 * key Spark uses, so Spark reads the files with their column comments.
 */
final class TrajectoryWriteSupport extends WriteSupport<Integer> {
  private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
  private final StepBatch batch;
  private final Binary runId;
  private final Binary executorId;
  private RecordConsumer out;

  TrajectoryWriteSupport(StepBatch batch) {
    this.batch = batch;
    this.runId = Binary.fromConstantByteArray(batch.runId.getBytes(StandardCharsets.UTF_8));
    this.executorId = Binary.fromConstantByteArray(batch.executorId.getBytes(StandardCharsets.UTF_8));
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
    StepBatch b = batch;
    out.startMessage();
    int f = 0;
    binary(f++, TrajectorySchema.RUN_ID, runId);
    int32(f++, TrajectorySchema.POLICY_VERSION, b.policyVersion);
    int32(f++, TrajectorySchema.ACTOR_ID, b.actorId[r / b.steps]);
    out.startField(TrajectorySchema.EPISODE_ID, f++);
    out.addLong(b.episodeId[r]);
    out.endField(TrajectorySchema.EPISODE_ID, f - 1);
    int32(f++, TrajectorySchema.T, b.t[r]);
    floats(f++, TrajectorySchema.OBS, b.obs, r * b.obsSize, b.obsSize);
    if (b.action != null) {
      int32(f, TrajectorySchema.ACTION, b.action[r]);
    }
    f++;
    if (b.actionVec != null) {
      floats(f, TrajectorySchema.ACTION_VEC, b.actionVec, r * b.actionSize, b.actionSize);
    }
    f++;
    float64(f++, TrajectorySchema.REWARD, b.reward[r]);
    bool(f++, TrajectorySchema.TERMINATED, b.terminated[r]);
    bool(f++, TrajectorySchema.TRUNCATED, b.truncated[r]);
    floats(f++, TrajectorySchema.NEXT_OBS, b.nextObs, r * b.obsSize, b.obsSize);
    float64(f++, TrajectorySchema.ACTION_LOGP, b.logp[r]);
    float64(f++, TrajectorySchema.VF_PRED, b.vfPred[r]);
    binary(f++, TrajectorySchema.EXECUTOR_ID, executorId);
    bool(f, TrajectorySchema.EVAL, b.eval);
    out.endMessage();
  }

  private void int32(int index, String name, int v) {
    out.startField(name, index);
    out.addInteger(v);
    out.endField(name, index);
  }

  private void float64(int index, String name, double v) {
    out.startField(name, index);
    out.addDouble(v);
    out.endField(name, index);
  }

  private void bool(int index, String name, boolean v) {
    out.startField(name, index);
    out.addBoolean(v);
    out.endField(name, index);
  }

  private void binary(int index, String name, Binary v) {
    out.startField(name, index);
    out.addBinary(v);
    out.endField(name, index);
  }

  /** A standard 3-level list: {@code <name> (LIST) { repeated group list { element } }}. */
  private void floats(int index, String name, float[] src, int from, int len) {
    out.startField(name, index);
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
    out.endField(name, index);
  }
}
