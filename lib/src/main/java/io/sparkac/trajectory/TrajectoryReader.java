package io.sparkac.trajectory;

import static io.sparkac.trajectory.TrajectorySchema.*;

import java.util.Arrays;
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
      if (idx.isEmpty() && expected.name().equals(EVAL)) {
        continue; // tables written before the eval column existed: training rows only
      }
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
   * The schema is given, so Spark does not open every footer to infer it.
   */
  public static RoundData readRound(SparkSession spark, String roundDir) {
    Dataset<Row> df = spark.read().schema(FILE_SCHEMA).parquet(roundDir);
    List<Row> rows = df.select(ACTOR_ID, EPISODE_ID, T, OBS, NEXT_OBS, ACTION, REWARD, TERMINATED, TRUNCATED,
        ACTION_LOGP, VF_PRED).collectAsList();
    int n = rows.size();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> {
      Row x = rows.get(a);
      Row y = rows.get(b);
      int c = Integer.compare(x.getInt(0), y.getInt(0));
      if (c == 0) {
        c = Long.compare(x.getLong(1), y.getLong(1));
      }
      return c != 0 ? c : Integer.compare(x.getInt(2), y.getInt(2));
    });
    int obsSize = n == 0 ? 0 : rows.get(0).getList(3).size();
    int[] actor = new int[n];
    long[] episode = new long[n];
    float[] obs = new float[n * obsSize];
    float[] next = new float[n * obsSize];
    int[] action = new int[n];
    double[] reward = new double[n];
    boolean[] terminated = new boolean[n];
    boolean[] truncated = new boolean[n];
    double[] logp = new double[n];
    double[] vf = new double[n];
    for (int i = 0; i < n; i++) {
      Row r = rows.get(order[i]);
      actor[i] = r.getInt(0);
      episode[i] = r.getLong(1);
      List<Float> o = r.getList(3);
      List<Float> no = r.getList(4);
      for (int k = 0; k < obsSize; k++) {
        obs[i * obsSize + k] = o.get(k);
        next[i * obsSize + k] = no.get(k);
      }
      action[i] = r.isNullAt(5) ? -1 : r.getInt(5);
      reward[i] = r.getDouble(6);
      terminated[i] = r.getBoolean(7);
      truncated[i] = r.getBoolean(8);
      logp[i] = r.getDouble(9);
      vf[i] = r.getDouble(10);
    }
    boolean[] continues = new boolean[n];
    for (int i = 0; i + 1 < n; i++) {
      continues[i] = !terminated[i] && !truncated[i] && actor[i + 1] == actor[i] && episode[i + 1] == episode[i];
    }
    return new RoundData(n, obsSize, actor, obs, next, action, reward, terminated, truncated, continues, logp, vf);
  }
}
