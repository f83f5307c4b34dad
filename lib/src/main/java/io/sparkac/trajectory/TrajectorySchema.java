package io.sparkac.trajectory;

import java.util.Arrays;
import java.util.Locale;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The trajectory table: one row per environment step, partitioned by {@code round} into
 * {@code <run>/trajectories/round=N/}. Column names follow the field's conventions (RLlib,
 * Minari, RLDS). Plain Parquet: Spark, pandas + pyarrow, DuckDB and Polars read it without this
 * project's code; {@code round} comes from the folder name (Hive-style partitioning), as Spark
 * writes partitioned tables.
 *
 * <ul>
 *   <li>{@code run_id}: the run's id.
 *   <li>{@code round}: the round that sampled the row (partition column).
 *   <li>{@code policy_version}: the number of learner updates applied to the policy that sampled it.
 *   <li>{@code actor_id}: the actor (one environment, its own seed).
 *   <li>{@code episode_id}: unique in the run: {@code actor_id * 2^32 + the actor's episode index}.
 *   <li>{@code t}: the step's index within its episode, from 0.
 *   <li>{@code obs}: the observation the action was chosen from (raw, not normalised).
 *   <li>{@code action}: the discrete action, or null for a continuous action space.
 *   <li>{@code action_vec}: the continuous action as sampled (before clipping), or null.
 *   <li>{@code reward}, {@code terminated} (a true end: V(s') = 0), {@code truncated} (time limit).
 *   <li>{@code next_obs}: the observation after the step; at an episode's end, its last one.
 *   <li>{@code action_logp}: log pi(action | obs) under the sampling policy.
 *   <li>{@code vf_pred}: V(obs) of the critic the round was sampled with.
 *   <li>{@code executor_id}: the Spark executor that sampled the row ("driver" in local mode).
 *   <li>{@code eval}: false for training rows; true for evaluation episodes, which the
 *       {@code evaluate} job writes to {@code <run>/eval/round=N/} with the same columns.
 * </ul>
 *
 * <p>Evaluation tables: {@code round} is the checkpoint's round, {@code policy_version} its
 * policy version, {@code actor_id} the evaluation episode's index e (one environment per episode,
 * reset with the seed (run seed, EVAL, e)), {@code episode_id = e * 2^32}, {@code action_logp}
 * the log-probability of the action taken (greedy or sampled) and {@code vf_pred} V(obs) of the
 * checkpoint's critic. The marker is a column, not only the folder, so that rows keep it when
 * tables are combined.
 */
public final class TrajectorySchema {
  private TrajectorySchema() {}

  public static final String RUN_ID = "run_id";
  public static final String ROUND = "round";
  public static final String POLICY_VERSION = "policy_version";
  public static final String ACTOR_ID = "actor_id";
  public static final String EPISODE_ID = "episode_id";
  public static final String T = "t";
  public static final String OBS = "obs";
  public static final String ACTION = "action";
  public static final String ACTION_VEC = "action_vec";
  public static final String REWARD = "reward";
  public static final String TERMINATED = "terminated";
  public static final String TRUNCATED = "truncated";
  public static final String NEXT_OBS = "next_obs";
  public static final String ACTION_LOGP = "action_logp";
  public static final String VF_PRED = "vf_pred";
  public static final String EXECUTOR_ID = "executor_id";
  public static final String EVAL = "eval";

  /** How a column is stored: its Spark type and its Parquet type (standard 3-level lists). */
  private enum Kind {
    STRING(DataTypes.StringType), INT(DataTypes.IntegerType), LONG(DataTypes.LongType),
    DOUBLE(DataTypes.DoubleType), BOOLEAN(DataTypes.BooleanType),
    FLOATS(DataTypes.createArrayType(DataTypes.FloatType, false));

    final DataType spark;

    Kind(DataType spark) {
      this.spark = spark;
    }

    Type parquet(String name, boolean nullable) {
      Type.Repetition rep = nullable ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
      return switch (this) {
        case STRING -> Types.primitive(PrimitiveTypeName.BINARY, rep).as(LogicalTypeAnnotation.stringType()).named(name);
        case INT -> Types.primitive(PrimitiveTypeName.INT32, rep).named(name);
        case LONG -> Types.primitive(PrimitiveTypeName.INT64, rep).named(name);
        case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, rep).named(name);
        case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, rep).named(name);
        case FLOATS -> Types.buildGroup(rep).as(LogicalTypeAnnotation.listType())
            .repeatedGroup().required(PrimitiveTypeName.FLOAT).named("element").named("list").named(name);
      };
    }
  }

  /**
   * Every column, defined once, in file order: a file column's {@link #ordinal()} is its index in
   * {@link #FILE_SCHEMA} and {@link #PARQUET_SCHEMA}. {@code round}, the partition column, is last.
   */
  public enum Column {
    RUN_ID(Kind.STRING, false, "the run's id"),
    POLICY_VERSION(Kind.INT, false, "learner updates applied to the sampling policy"),
    ACTOR_ID(Kind.INT, false, "the actor that sampled the step"),
    EPISODE_ID(Kind.LONG, false, "actor_id * 2^32 + episode index of the actor"),
    T(Kind.INT, false, "step index within the episode, from 0"),
    OBS(Kind.FLOATS, false, "observation before the step"),
    ACTION(Kind.INT, true, "discrete action; null for continuous actions"),
    ACTION_VEC(Kind.FLOATS, true, "continuous action as sampled, before clipping; null for discrete actions"),
    REWARD(Kind.DOUBLE, false, "reward of the step"),
    TERMINATED(Kind.BOOLEAN, false, "true end of the episode: V(next_obs) = 0"),
    TRUNCATED(Kind.BOOLEAN, false, "episode cut by the time limit: bootstrap V(next_obs)"),
    NEXT_OBS(Kind.FLOATS, false, "observation after the step"),
    ACTION_LOGP(Kind.DOUBLE, false, "log pi(action | obs) of the sampling policy"),
    VF_PRED(Kind.DOUBLE, false, "V(obs) of the sampling critic"),
    EXECUTOR_ID(Kind.STRING, false, "Spark executor id that sampled the step"),
    EVAL(Kind.BOOLEAN, false, "true for evaluation episodes, false for training rows"),
    ROUND(Kind.INT, false, "round that sampled the step (partition column)");

    /** The column's name in the table: the constant's, in lower case. */
    public final String sqlName;
    private final Kind kind;
    private final boolean nullable;
    private final String comment;

    Column(Kind kind, boolean nullable, String comment) {
      this.sqlName = name().toLowerCase(Locale.ROOT);
      this.kind = kind;
      this.nullable = nullable;
      this.comment = comment;
    }

    StructField sparkField() {
      Metadata md = new MetadataBuilder().putString("comment", comment).build();
      return new StructField(sqlName, kind.spark, nullable, md);
    }

    Type parquetField() {
      return kind.parquet(sqlName, nullable);
    }

    /** Stored in each file: every column but the partition column {@code round}. */
    boolean inFile() {
      return this != ROUND;
    }
  }

  /** The columns stored in each file (all but the partition column {@code round}). */
  public static final StructType FILE_SCHEMA = new StructType(
      Arrays.stream(Column.values()).filter(Column::inFile).map(Column::sparkField).toArray(StructField[]::new));

  /** The table as readers see it: the file columns plus {@code round}. */
  public static final StructType SCHEMA = FILE_SCHEMA.add(Column.ROUND.sparkField());

  /** The Parquet message type of {@link #FILE_SCHEMA}: standard 3-level lists, as Spark writes them. */
  public static final MessageType PARQUET_SCHEMA = new MessageType("spark_schema",
      Arrays.stream(Column.values()).filter(Column::inFile).map(Column::parquetField).toList());
}
