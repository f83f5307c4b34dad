package io.sparkac.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads a few primitive columns of small Parquet files in plain Java (parquet-mr), without
 * Spark: what the {@code report} job needs of a handful of rounds costs milliseconds this way,
 * against seconds for a Spark session and a job. Driver only.
 */
final class ParquetColumns {
  private ParquetColumns() {}

  /** One row: the requested columns' values in the order asked, null where a value is missing. */
  interface RowHandler {
    void row(Object[] values);
  }

  /** Calls {@code handler} for every row of {@code file}, with {@code columns} (top-level, primitive). */
  static void read(Configuration conf, Path file, List<String> columns, RowHandler handler) {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      List<Type> fields = new ArrayList<>();
      for (String c : columns) {
        if (!schema.containsField(c)) {
          throw new IllegalArgumentException(file + " has no column " + c + " (is it a trajectory file?)");
        }
        fields.add(schema.getType(c));
      }
      MessageType projection = new MessageType(schema.getName(), fields);
      reader.setRequestedSchema(projection);
      ColumnIOFactory io = new ColumnIOFactory();
      Object[] values = new Object[columns.size()];
      PageReadStore pages;
      while ((pages = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records = io.getColumnIO(projection).getRecordReader(pages,
            new GroupRecordConverter(projection));
        for (long i = 0, n = pages.getRowCount(); i < n; i++) {
          Group g = records.read();
          for (int k = 0; k < values.length; k++) {
            values[k] = g.getFieldRepetitionCount(k) == 0 ? null : value(g, k, fields.get(k));
          }
          handler.row(values);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static Object value(Group g, int k, Type type) {
    return switch (type.asPrimitiveType().getPrimitiveTypeName()) {
      case INT32 -> g.getInteger(k, 0);
      case INT64 -> g.getLong(k, 0);
      case DOUBLE -> g.getDouble(k, 0);
      case FLOAT -> g.getFloat(k, 0);
      case BOOLEAN -> g.getBoolean(k, 0);
      default -> g.getValueToString(k, 0);
    };
  }
}
