package io.sparkac.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads trajectory Parquet files with plain parquet-hadoop (no Spark, no project code): each row
 * as the list of its column values in file order, lists as Java lists, with the round taken from
 * the {@code round=N} folder. Values keep their exact bits (floats and doubles are boxed as is).
 */
final class ParquetRows {
  private ParquetRows() {}

  /** A row: its round and its column values. */
  record Row(int round, List<Object> values) {}

  /** Every row of the Parquet files under {@code dir} (hidden files skipped), in file order. */
  static List<Row> read(Path dir) {
    List<Row> rows = new ArrayList<>();
    for (Path file : files(dir)) {
      int round = roundOf(file);
      try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(),
          new org.apache.hadoop.fs.Path(file.toUri())).withConf(new Configuration()).build()) {
        for (Group g = reader.read(); g != null; g = reader.read()) {
          rows.add(new Row(round, values(g)));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    return rows;
  }

  /** The rows under {@code dir}, sorted by (round, actor_id, episode_id, t): columns 2, 3 and 4. */
  static List<Row> sorted(Path dir) {
    List<Row> rows = new ArrayList<>(read(dir));
    rows.sort(Comparator.comparingInt(Row::round)
        .thenComparingInt(r -> (Integer) r.values().get(2))
        .thenComparingLong(r -> (Long) r.values().get(3))
        .thenComparingInt(r -> (Integer) r.values().get(4)));
    return rows;
  }

  /** The non-hidden .parquet files under {@code dir}, sorted by path. */
  static List<Path> files(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !hasHiddenPart(dir.relativize(p)))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static boolean hasHiddenPart(Path relative) {
    for (Path part : relative) {
      String name = part.toString();
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static int roundOf(Path file) {
    for (Path p = file.getParent(); p != null; p = p.getParent()) {
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      if (name.startsWith("round=")) {
        return Integer.parseInt(name.substring("round=".length()));
      }
    }
    return -1;
  }

  private static List<Object> values(Group g) {
    GroupType type = g.getType();
    List<Object> out = new ArrayList<>(type.getFieldCount());
    for (int i = 0; i < type.getFieldCount(); i++) {
      Type field = type.getType(i);
      if (g.getFieldRepetitionCount(i) == 0) {
        out.add(null);
      } else if (field.isPrimitive()) {
        out.add(primitive(g, i, 0, field.asPrimitiveType()));
      } else {
        // A 3-level list: <name> (LIST) -> repeated group list -> element.
        Group list = g.getGroup(i, 0);
        List<Object> elements = new ArrayList<>();
        for (int k = 0; k < list.getFieldRepetitionCount(0); k++) {
          Group element = list.getGroup(0, k);
          elements.add(primitive(element, 0, 0, element.getType().getType(0).asPrimitiveType()));
        }
        out.add(elements);
      }
    }
    return out;
  }

  private static Object primitive(Group g, int field, int index, PrimitiveType type) {
    return switch (type.getPrimitiveTypeName()) {
      case INT32 -> g.getInteger(field, index);
      case INT64 -> g.getLong(field, index);
      case FLOAT -> g.getFloat(field, index);
      case DOUBLE -> g.getDouble(field, index);
      case BOOLEAN -> g.getBoolean(field, index);
      case BINARY -> g.getString(field, index);
      default -> throw new IllegalArgumentException("unexpected Parquet type " + type);
    };
  }
}
