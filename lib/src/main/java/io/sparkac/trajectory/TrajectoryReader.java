package io.sparkac.trajectory;

import static io.sparkac.trajectory.TrajectorySchema.*;

import io.sparkac.error.Causes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataTypes;
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
   * Reads any folder that should hold a trajectory table (a run's {@code trajectories/} or one
   * {@code round=N/} folder), checking it first on the driver: every Parquet file's footer is
   * read and its columns compared with {@link TrajectorySchema#FILE_SCHEMA}. A folder that is
   * missing, holds no Parquet files, holds a file that is not Parquet (corrupt, truncated) or a
   * table of another schema gets an {@link IllegalArgumentException} that names the folder, the
   * file and the missing or mismatched columns, instead of a failed Spark job. Costs one footer
   * read per file. Files and folders whose names start with {@code _} or {@code .} are skipped,
   * as Spark skips them.
   */
  public static Dataset<Row> open(SparkSession spark, String dir) {
    check(spark, dir);
    return withIntRound(spark.read().parquet(dir), dir);
  }

  /**
   * Reads the given rounds of a trajectory table folder ({@code <run>/trajectories}), and only
   * them, with the {@code round} column: how a reader ignores the round folders of a run that
   * were not committed (see {@code io.sparkac.run.RunReader}). Each round folder is checked as
   * by {@link #open}.
   */
  public static Dataset<Row> openRounds(SparkSession spark, String tableDir, Collection<Integer> rounds) {
    if (rounds.isEmpty()) {
      return spark.createDataFrame(List.of(), SCHEMA);
    }
    List<String> dirs = new ArrayList<>();
    for (int r : new TreeSet<>(rounds)) {
      String roundDir = new Path(tableDir, ROUND + "=" + r).toString();
      check(spark, roundDir);
      dirs.add(roundDir);
    }
    // basePath: partition discovery still reads round=N from the folder names.
    return withIntRound(spark.read().option("basePath", tableDir).parquet(dirs.toArray(String[]::new)), tableDir);
  }

  private static void check(SparkSession spark, String dir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<Path> files = parquetFiles(new Path(dir), conf);
    if (files.isEmpty()) {
      throw new IllegalArgumentException(dir + " is not a trajectory table: it holds no Parquet files (a trajectory"
          + " table is a folder of round=N/ folders of part-*.parquet files)");
    }
    ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(SQLConf.get());
    for (Path file : files) {
      MessageType footer;
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
        footer = reader.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) { // parquet-mr reports a bad magic number as a RuntimeException
        throw new IllegalArgumentException(dir + " is not a trajectory table: " + file + " is not a readable Parquet"
            + " file (corrupt or truncated): " + e.getMessage(), e);
      }
      List<String> problems = mismatches(converter.convert(footer));
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(dir + " is not a trajectory table: " + file + ": "
            + String.join("; ", problems));
      }
    }
  }

  /** The partition column, when there is one, must come from folders named round=N. */
  private static Dataset<Row> withIntRound(Dataset<Row> df, String dir) {
    if (!df.schema().getFieldIndex(ROUND).isEmpty()) {
      StructField round = df.schema().apply(ROUND);
      if (!round.dataType().sameType(DataTypes.IntegerType)) {
        throw new IllegalArgumentException(dir + " is not a trajectory table: column round is "
            + round.dataType().simpleString() + ", expected int (folders named round=N)");
      }
    }
    return df;
  }

  /** The Parquet files under {@code dir}, recursively, without hidden ones; empty if none. */
  private static List<Path> parquetFiles(Path dir, Configuration conf) {
    List<Path> files = new ArrayList<>();
    try {
      FileSystem fs = dir.getFileSystem(conf);
      if (!fs.exists(dir)) {
        throw new IllegalArgumentException(dir + " is not a trajectory table: no such folder");
      }
      collect(fs, fs.getFileStatus(dir), files);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    files.sort(null);
    return files;
  }

  private static void collect(FileSystem fs, FileStatus status, List<Path> files) throws IOException {
    if (status.isFile()) {
      files.add(status.getPath());
      return;
    }
    for (FileStatus child : fs.listStatus(status.getPath())) {
      String name = child.getPath().getName();
      if (!name.startsWith("_") && !name.startsWith(".")) {
        collect(fs, child, files);
      }
    }
  }

  /**
   * Reads one round folder that this run has just written, sorted by (actor_id, episode_id, t).
   * The schema is given, so Spark does not open every footer to infer it. Each partition of the
   * scan is packed into primitive arrays on the executors ({@link RowBatch#pack}), so the driver
   * receives compact columns, never one Row object per step: its memory stays near the size of
   * the data itself (about 40 bytes plus 8 per observation value a step). A file that cannot be
   * read fails with an {@link IllegalStateException} naming the folder and Spark's reason.
   */
  public static RowBatch readRound(SparkSession spark, String roundDir) {
    List<RowBatch> chunks;
    try {
      chunks = learnerColumns(spark, roundDir).javaRDD().mapPartitions(RowBatch::pack).collect();
    } catch (Exception e) { // SparkException is checked in Java but not declared by Scala's collect()
      throw new IllegalStateException("cannot read trajectory round " + roundDir + ": " + Causes.rootMessage(e), e);
    }
    return RowBatch.merge(chunks);
  }

  /**
   * The columns a learner reads ({@link RowBatch#pack}) from one round folder this run has just
   * written. The schema is given, so Spark does not open every footer.
   */
  public static Dataset<Row> learnerColumns(SparkSession spark, String roundDir) {
    String[] columns = RowBatch.COLUMNS;
    return spark.read().schema(FILE_SCHEMA).parquet(roundDir)
        .select(columns[0], Arrays.copyOfRange(columns, 1, columns.length));
  }
}
