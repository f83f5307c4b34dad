package io.sparkac.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * The one place that resolves configuration: built-in defaults
 * ({@code io/sparkac/config/defaults.conf}, which lists every key) &lt; the run's HOCON file &lt;
 * command-line overrides ({@code key=value}). Unknown keys, wrong types and out-of-range values
 * fail here, before any Spark work, with the key, the value and what is allowed. Every
 * {@code include} in a config file is required ({@link RequiredIncluder}).
 */
public final class ConfigLoader {
  private static final String DEFAULTS = "io/sparkac/config/defaults.conf";
  /** The one object whose keys are not sparkac's: env.python's keyword arguments. */
  private static final String FREE_FORM = "env.python-kwargs.";

  private ConfigLoader() {}

  /** The built-in defaults, every key. */
  public static Config defaults() {
    return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS,
        ConfigParseOptions.defaults().setAllowMissing(false));
  }

  /** Loads {@code file} with {@code overrides} ({@code key=value}, HOCON values) on top. */
  public static TrainConfig load(Path file, List<String> overrides) {
    if (file == null) {
      throw new ConfigException("config file", null, "a path to a HOCON file is required");
    }
    if (!Files.exists(file)) {
      throw new ConfigException("config file", file.toString(), "no such file");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ConfigException("config file", file.toString(), "not a readable file");
    }
    Config fromFile;
    try {
      fromFile = ConfigFactory.parseFile(file.toFile(), RequiredIncluder.options(file, ConfigSyntax.CONF));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("config file", file.toString(), "not valid HOCON: " + e.getMessage(), e);
    }
    return fromConfig(applyOverrides(fromFile, overrides));
  }

  /** Parses {@code text} as a HOCON document (tests, notebooks) with overrides on top. */
  public static TrainConfig parse(String text, List<String> overrides) {
    Config parsed;
    try {
      parsed = ConfigFactory.parseString(text, RequiredIncluder.options(null, ConfigSyntax.CONF));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("config", text.length() > 60 ? text.substring(0, 60) + "..." : text,
          "not valid HOCON: " + e.getMessage(), e);
    }
    return fromConfig(applyOverrides(parsed, overrides));
  }

  /**
   * Applies {@code key=value} overrides. Values are HOCON, except that an unquoted value of a
   * string key (run.dir, env.class, ...) is taken literally: HOCON would read the ':' of
   * {@code run.dir=hdfs://nn:8020/runs/x} as a separator and {@code //} as a comment.
   */
  static Config applyOverrides(Config base, List<String> overrides) {
    Config result = base;
    Config defaults = defaults();
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("override", override, "must be key=value, e.g. learner.gamma=0.99");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1).trim();
      if (!value.isEmpty() && !value.startsWith("\"") && defaults.hasPath(quoteKey(key))
          && defaults.getValue(key).valueType() == ConfigValueType.STRING) {
        result = result.withValue(key, ConfigValueFactory.fromAnyRef(value, "override " + key));
        continue;
      }
      Config one;
      try {
        one = ConfigFactory.parseString(quoteKey(key) + " = " + value);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, value, "not a valid HOCON value: " + e.getMessage(), e);
      }
      result = one.withFallback(result);
    }
    return result;
  }

  private static String quoteKey(String key) {
    if (!key.matches("[A-Za-z0-9_.-]+")) {
      throw new ConfigException("override", key, "keys are letters, digits, '-', '_' and '.'");
    }
    return key;
  }

  /** Validates {@code user} against the defaults and builds the records. */
  public static TrainConfig fromConfig(Config user) {
    Config defaults = defaults();
    Set<String> known = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
      known.add(e.getKey());
    }
    for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(FREE_FORM)) {
        continue; // keyword arguments of a Python environment: the environment's own names
      }
      if (!known.contains(key)) {
        throw new ConfigException(key, e.getValue().unwrapped(), unknownKey(key, known));
      }
    }
    Config c;
    try {
      c = user.withFallback(defaults).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("config", "substitution", e.getMessage(), e);
    }
    Reader r = new Reader(c);

    String dir = r.string("run.dir");
    String id = r.string("run.id");
    if (id.isBlank()) {
      String trimmed = dir.replaceAll("/+$", "");
      id = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }
    TrainConfig.Run run = new TrainConfig.Run(dir, id, r.longValue("run.seed"), r.longValue("run.total-steps"));
    TrainConfig.Env env = new TrainConfig.Env(r.string("env.id"), r.string("env.class"), r.string("env.python"),
        r.object("env.python-kwargs"), r.string("env.gymnasium"), r.string("env.python-executable"),
        r.stringList("env.python-path"), r.string("env.python-episodes"), r.longValue("env.python-timeout-ms"));
    TrainConfig.Rollout rollout = new TrainConfig.Rollout(r.intValue("rollout.actors"),
        r.intValue("rollout.steps-per-actor"), r.intValue("rollout.partitions"));
    TrainConfig.Network network = new TrainConfig.Network(r.intList("network.hidden"),
        r.enumValue("network.activation", TrainConfig.Activation.class), r.doubleValue("network.log-std-init"));
    TrainConfig.Learner learner = new TrainConfig.Learner(
        r.enumValue("learner.mode", TrainConfig.LearnerMode.class),
        r.doubleValue("learner.gamma"),
        r.enumValue("learner.advantage", TrainConfig.AdvantageEstimator.class),
        r.doubleValue("learner.gae-lambda"),
        r.enumValue("learner.optimizer", TrainConfig.Optimizer.class),
        r.doubleValue("learner.actor-learning-rate"),
        r.doubleValue("learner.critic-learning-rate"),
        r.intValue("learner.minibatch-size"),
        r.intValue("learner.epochs"),
        r.doubleValue("learner.value-coef"),
        r.doubleValue("learner.entropy-coef"),
        r.bool("learner.normalize-advantages"),
        r.doubleValue("learner.max-grad-norm"),
        r.intValue("learner.averaging-frequency"),
        r.enumValue("learner.objective", TrainConfig.Objective.class),
        r.doubleValue("learner.clip-range"),
        r.intValue("learner.driver-max-samples"));
    TrainConfig.Normalize normalize = new TrainConfig.Normalize(r.bool("normalize.observations"),
        r.bool("normalize.rewards"), r.doubleValue("normalize.clip"));
    TrainConfig.Eval eval = new TrainConfig.Eval(r.intValue("eval.interval-rounds"), r.intValue("eval.episodes"),
        r.doubleOrNone("eval.target-return"));
    TrainConfig.Parallel parallel = new TrainConfig.Parallel(
        r.enumValue("parallel.mode", TrainConfig.ParallelMode.class),
        r.intValue("parallel.groups"),
        r.enumValue("parallel.correction", TrainConfig.Correction.class),
        r.doubleValue("parallel.clip"),
        r.doubleValue("parallel.rho-bar"),
        r.string("parallel.replay-order"),
        r.longValue("parallel.straggler-ms"));
    return new TrainConfig(run, env, rollout, network, learner, normalize, eval, parallel);
  }

  /**
   * The records as a tree whose keys are the config keys: components in kebab case ({@code
   * total-steps}; {@code env.class} by its annotation), enums by their lower-case names.
   */
  private static final ObjectMapper RECORDS = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
      .enable(EnumFeature.WRITE_ENUMS_TO_LOWERCASE)
      .build();

  /** The configuration as HOCON, every key, for checkpoints and reports. */
  public static String render(TrainConfig t) {
    ObjectNode tree = RECORDS.valueToTree(t);
    if (!t.eval().hasTarget()) {
      ((ObjectNode) tree.get("eval")).put("target-return", "none");
    }
    return ConfigValueFactory.fromMap(RECORDS.convertValue(tree, new TypeReference<Map<String, Object>>() {}))
        .render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
  }

  /**
   * What to say about an unknown key: the nearest known key when one is close, else the keys of
   * its section, else the sections.
   */
  static String unknownKey(String key, Set<String> known) {
    Set<String> sections = new TreeSet<>();
    for (String k : known) {
      sections.add(k.substring(0, k.indexOf('.')));
    }
    if (sections.contains(key)) {
      return "a section, not a value; set its keys: " + keysOf(key, known);
    }
    String nearest = nearest(key, known);
    if (nearest != null) {
      return "unknown key; did you mean " + nearest + "?";
    }
    int dot = key.indexOf('.');
    String section = dot < 0 ? key : key.substring(0, dot);
    if (!sections.contains(section)) {
      return "unknown section " + section + "; sections are: " + String.join(", ", sections);
    }
    return "unknown key; keys of " + section + " are: " + keysOf(section, known);
  }

  private static String keysOf(String section, Set<String> known) {
    List<String> keys = new ArrayList<>();
    for (String k : known) {
      if (k.startsWith(section + ".")) {
        keys.add(k.substring(section.length() + 1));
      }
    }
    return String.join(", ", keys);
  }

  /** The known key closest to {@code key} by edit distance, or null when none is close. */
  static String nearest(String key, Set<String> known) {
    LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance.apply(key, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= Math.max(3, key.length() / 3) ? best : null;
  }

  /** Typed reads that turn Typesafe's errors into ones that name key, value and what is allowed. */
  private record Reader(Config c) {
    private Object raw(String key) {
      return c.getValue(key).unwrapped();
    }

    String string(String key) {
      ConfigValue v = c.getValue(key);
      if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
        throw new ConfigException(key, v.unwrapped(), "must be a string");
      }
      return String.valueOf(v.unwrapped());
    }

    long longValue(String key) {
      try {
        requireWhole(key, c.getNumber(key), "must be a whole number");
        return c.getLong(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be a whole number", e);
      }
    }

    int intValue(String key) {
      try {
        requireWhole(key, c.getNumber(key), "must be a whole number (32-bit)");
        return c.getInt(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be a whole number (32-bit)", e);
      }
    }

    // Typesafe's getInt, getLong and getIntList truncate 1.5 to 1 without a word; 1e6 and 8.0
    // are whole numbers and stay allowed.
    private void requireWhole(String key, Number n, String allowed) {
      double d = n.doubleValue();
      if (!(n instanceof Integer || n instanceof Long) && d != Math.rint(d)) {
        throw new ConfigException(key, raw(key), allowed);
      }
    }

    double doubleValue(String key) {
      try {
        return c.getDouble(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be a number", e);
      }
    }

    double doubleOrNone(String key) {
      ConfigValue v = c.getValue(key);
      if (v.valueType() == ConfigValueType.STRING && "none".equalsIgnoreCase((String) v.unwrapped())) {
        return Double.NaN;
      }
      double d;
      try {
        d = c.getDouble(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be a finite number or none", e);
      }
      // Typesafe reads the strings NaN and Infinity as numbers; NaN would silently mean none.
      if (!Double.isFinite(d)) {
        throw new ConfigException(key, raw(key), "must be a finite number or none");
      }
      return d;
    }

    boolean bool(String key) {
      try {
        return c.getBoolean(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be true or false", e);
      }
    }

    List<String> stringList(String key) {
      try {
        return new ArrayList<>(c.getStringList(key));
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), "must be a list of strings, e.g. [\"/opt/envs\"]", e);
      }
    }

    /** A HOCON object as plain Java values (strings, numbers, booleans, lists, maps). */
    Map<String, Object> object(String key) {
      ConfigValue v = c.getValue(key);
      if (v.valueType() != ConfigValueType.OBJECT) {
        throw new ConfigException(key, v.unwrapped(), "must be an object, e.g. { size = 8, name = \"a\" }");
      }
      return c.getObject(key).unwrapped();
    }

    List<Integer> intList(String key) {
      String allowed = "must be a list of whole numbers, e.g. [64, 64]";
      try {
        for (Number n : c.getNumberList(key)) {
          requireWhole(key, n, allowed);
        }
        return new ArrayList<>(c.getIntList(key));
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(key, raw(key), allowed, e);
      }
    }

    <E extends Enum<E>> E enumValue(String key, Class<E> type) {
      String s = string(key);
      List<String> allowed = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        String name = e.name().toLowerCase(Locale.ROOT);
        allowed.add(name);
        if (name.equals(s.toLowerCase(Locale.ROOT))) {
          return e;
        }
      }
      throw new ConfigException(key, s, "must be one of " + String.join(", ", allowed));
    }
  }
}
