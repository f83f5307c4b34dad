package io.sparkac.trajectory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkac.env.Environment;
import io.sparkac.env.Space;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Parquet key-value metadata of every trajectory file, so that a file read on its own (by
 * DuckDB's {@code parquet_kv_metadata}, pyarrow's {@code schema.metadata}) says what it holds:
 * <pre>
 *   sparkac.schema_version     the run folder's format ({@link io.sparkac.run.RoundRecord#SCHEMA_VERSION})
 *   sparkac.run_id             the run's id (also the run_id column)
 *   sparkac.env_id             the environment's id (CartPole-v1), or a custom environment's own id
 *   sparkac.observation_space  JSON: {"type":"box","shape":[4],"low":[...],"high":[...]}, null for an unbounded side
 *   sparkac.action_space       JSON: {"type":"discrete","n":2} or a box as above
 *   sparkac.observation_names  JSON array, one name per element of obs and next_obs (built-in environments only)
 * </pre>
 */
public record TrajectoryMetadata(Map<String, String> values) implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String PREFIX = "sparkac.";

  /**
   * The names of the observation's elements, as Gymnasium documents them, for the built-in
   * environments; a custom environment has none.
   */
  static final Map<String, List<String>> OBSERVATION_NAMES = Map.of(
      "CartPole-v1", List.of("cart_position", "cart_velocity", "pole_angle", "pole_angular_velocity"),
      "Acrobot-v1", List.of("cos_theta1", "sin_theta1", "cos_theta2", "sin_theta2", "theta1_dot", "theta2_dot"),
      "MountainCar-v0", List.of("position", "velocity"),
      "MountainCarContinuous-v0", List.of("position", "velocity"),
      "Pendulum-v1", List.of("cos_theta", "sin_theta", "theta_dot"));

  public TrajectoryMetadata {
    values = Map.copyOf(values);
  }

  /** The metadata of the files of run {@code runId} sampled from {@code env} (any instance of the run's environment). */
  public static TrajectoryMetadata of(int schemaVersion, String runId, Environment env) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "schema_version", Integer.toString(schemaVersion));
    m.put(PREFIX + "run_id", runId);
    m.put(PREFIX + "env_id", env.id());
    m.put(PREFIX + "observation_space", space(env.observationSpace()));
    m.put(PREFIX + "action_space", space(env.actionSpace()));
    List<String> names = OBSERVATION_NAMES.get(env.id());
    if (names != null && names.size() == env.observationSpace().flatSize()) {
      ArrayNode a = JSON.createArrayNode();
      names.forEach(a::add);
      m.put(PREFIX + "observation_names", a.toString());
    }
    return new TrajectoryMetadata(m);
  }

  /** A space as JSON: {@code {"type":"discrete","n":2}} or a box with its shape and bounds (null: unbounded). */
  static String space(Space space) {
    ObjectNode o = JSON.createObjectNode();
    if (space instanceof Space.Discrete d) {
      o.put("type", "discrete");
      o.put("n", d.n());
    } else if (space instanceof Space.Box b) {
      o.put("type", "box");
      o.putArray("shape").add(b.dims());
      ArrayNode low = o.putArray("low");
      ArrayNode high = o.putArray("high");
      for (int i = 0; i < b.dims(); i++) {
        bound(low, b.low(i));
        bound(high, b.high(i));
      }
    }
    return o.toString();
  }

  private static void bound(ArrayNode a, float v) {
    if (Float.isInfinite(v)) {
      a.addNull();
    } else {
      a.add(v);
    }
  }
}
