package io.sparkac.trajectory;

import static io.sparkac.trajectory.TrajectorySchema.*;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Reads trajectory rounds back with Spark SQL, checking that the folder is a trajectory table. */
public final class TrajectoryReader {
  private TrajectoryReader() {}

  /**
   * The columns of {@link TrajectorySchema#FILE_SCHEMA} that {@code schema} lacks or has with
   * another type, as readable lines; empty when it is a trajectory table.
   */
  public static List<String> mismatches(StructType schema) {
    Set<String> problems = new TreeSet<>();
    for (StructField expected : FILE_SCHEMA.fields()) {
      scala.Option<Object> idx = schema.getFieldIndex(expected.name());
      if (idx.isEmpty()) {
        problems.add("missing column " + expected.name() + " " + expected.dataType().simpleString());
      } else {
        StructField actual = schema.fields()[(Integer) idx.get()];
        if (!actual.dataType().sameType(expected.dataType())) {
          problems.add("column " + expected.name() + " is " + actual.dataType().simpleString() + ", expected "
              + expected.dataType().simpleString());
        }
      }
    }
    return List.copyOf(problems);
  }

  /**
   * Reads any folder that should hold a trajectory table, checking its schema first: a folder
   * that is not one gets an error that names the missing or mismatched columns.
   */
  public static Dataset<Row> open(SparkSession spark, String dir) {
    Dataset<Row> df;
    try {
      df = spark.read().parquet(dir);
    } catch (Exception e) { // AnalysisException (Scala: not declared), SparkException for corrupt files
      throw new IllegalArgumentException(dir + " is not a readable Parquet table: " + e.getMessage(), e);
    }
    List<String> problems = mismatches(df.schema());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(dir + " is not a trajectory table: " + String.join("; ", problems));
    }
    return df;
  }

  /**
   * Reads one committed round folder that this run wrote, sorted by (actor_id, episode_id, t).
   * The schema is given, so Spark does not open every footer to infer it. Each partition of the
   * scan is packed into primitive arrays on the executors ({@link RoundChunk}), so the driver
   * receives compact columns, never one Row object per step: its memory stays near the size of
   * the data itself (about 40 bytes plus 8 per observation value a step).
   */
  public static RoundData readRound(SparkSession spark, String roundDir) {
    Dataset<Row> df = spark.read().schema(FILE_SCHEMA).parquet(roundDir)
        .select(ACTOR_ID, EPISODE_ID, T, OBS, NEXT_OBS, ACTION, REWARD, TERMINATED, TRUNCATED, ACTION_LOGP, VF_PRED,
            ACTION_VEC);
    List<RoundChunk> chunks = df.javaRDD().mapPartitions(RoundChunk::pack).collect();
    return RoundChunk.merge(chunks);
  }
}
