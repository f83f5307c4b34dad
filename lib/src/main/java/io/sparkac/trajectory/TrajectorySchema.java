package io.sparkac.trajectory;

import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
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

  /** The columns stored in each file (all but the partition column {@code round}). */
  public static final StructType FILE_SCHEMA = new StructType(new StructField[] {
      field(RUN_ID, DataTypes.StringType, false, "the run's id"),
      field(POLICY_VERSION, DataTypes.IntegerType, false, "learner updates applied to the sampling policy"),
      field(ACTOR_ID, DataTypes.IntegerType, false, "the actor that sampled the step"),
      field(EPISODE_ID, DataTypes.LongType, false, "actor_id * 2^32 + episode index of the actor"),
      field(T, DataTypes.IntegerType, false, "step index within the episode, from 0"),
      field(OBS, DataTypes.createArrayType(DataTypes.FloatType, false), false, "observation before the step"),
      field(ACTION, DataTypes.IntegerType, true, "discrete action; null for continuous actions"),
      field(ACTION_VEC, DataTypes.createArrayType(DataTypes.FloatType, false), true,
          "continuous action as sampled, before clipping; null for discrete actions"),
      field(REWARD, DataTypes.DoubleType, false, "reward of the step"),
      field(TERMINATED, DataTypes.BooleanType, false, "true end of the episode: V(next_obs) = 0"),
      field(TRUNCATED, DataTypes.BooleanType, false, "episode cut by the time limit: bootstrap V(next_obs)"),
      field(NEXT_OBS, DataTypes.createArrayType(DataTypes.FloatType, false), false, "observation after the step"),
      field(ACTION_LOGP, DataTypes.DoubleType, false, "log pi(action | obs) of the sampling policy"),
      field(VF_PRED, DataTypes.DoubleType, false, "V(obs) of the sampling critic"),
      field(EXECUTOR_ID, DataTypes.StringType, false, "Spark executor id that sampled the step"),
      field(EVAL, DataTypes.BooleanType, false, "true for evaluation episodes, false for training rows"),
  });

  /** The table as readers see it: the file columns plus {@code round}. */
  public static final StructType SCHEMA = FILE_SCHEMA.add(
      field(ROUND, DataTypes.IntegerType, false, "round that sampled the step (partition column)"));

  /** The Parquet message type of {@link #FILE_SCHEMA}: standard 3-level lists, as Spark writes them. */
  public static final MessageType PARQUET_SCHEMA = Types.buildMessage()
      .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(RUN_ID)
      .required(PrimitiveTypeName.INT32).named(POLICY_VERSION)
      .required(PrimitiveTypeName.INT32).named(ACTOR_ID)
      .required(PrimitiveTypeName.INT64).named(EPISODE_ID)
      .required(PrimitiveTypeName.INT32).named(T)
      .addField(floatList(OBS, Type.Repetition.REQUIRED))
      .optional(PrimitiveTypeName.INT32).named(ACTION)
      .addField(floatList(ACTION_VEC, Type.Repetition.OPTIONAL))
      .required(PrimitiveTypeName.DOUBLE).named(REWARD)
      .required(PrimitiveTypeName.BOOLEAN).named(TERMINATED)
      .required(PrimitiveTypeName.BOOLEAN).named(TRUNCATED)
      .addField(floatList(NEXT_OBS, Type.Repetition.REQUIRED))
      .required(PrimitiveTypeName.DOUBLE).named(ACTION_LOGP)
      .required(PrimitiveTypeName.DOUBLE).named(VF_PRED)
      .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(EXECUTOR_ID)
      .required(PrimitiveTypeName.BOOLEAN).named(EVAL)
      .named("spark_schema");

  private static Type floatList(String name, Type.Repetition repetition) {
    return Types.buildGroup(repetition).as(LogicalTypeAnnotation.listType())
        .repeatedGroup().required(PrimitiveTypeName.FLOAT).named("element").named("list")
        .named(name);
  }

  private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable,
      String comment) {
    Metadata md = new MetadataBuilder().putString("comment", comment).build();
    return new StructField(name, type, nullable, md);
  }
}
