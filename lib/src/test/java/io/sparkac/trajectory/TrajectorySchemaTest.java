package io.sparkac.trajectory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The schemas derived from the one list of columns are, character for character, the ones the
 * files of earlier versions were written with (schema-v1.txt: the Spark schema Parquet footers
 * carry, the table schema and the Parquet message type), so old runs stay readable and new files
 * hold the same footer.
 */
class TrajectorySchemaTest {
  @Test
  void theDerivedSchemasAreTheOnesFilesWereWrittenWith() throws IOException {
    String expected;
    try (InputStream in = TrajectorySchemaTest.class.getResourceAsStream("schema-v1.txt")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String[] lines = expected.split("\n", 3);
    assertThat(TrajectorySchema.FILE_SCHEMA.json()).isEqualTo(lines[0]);
    assertThat(TrajectorySchema.SCHEMA.json()).isEqualTo(lines[1]);
    assertThat(TrajectorySchema.PARQUET_SCHEMA.toString()).isEqualTo(lines[2]);
  }
}
