package io.sparkac.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Resolves the {@code include}s of a user's config file, every one of them required. Typesafe
 * Config skips an include it cannot find unless it is written {@code include required(...)}, and
 * tries {@code .conf}, {@code .json} and {@code .properties} after a name without an extension:
 * {@code include "missing.conf"} or {@code include "/etc/passwd"} then trained with the defaults.
 * Here an include names one file, taken as written (relative to the including file's folder),
 * which must exist and parse: HOCON, or JSON / Java properties by its extension. A classpath
 * include must find its resource; {@code url(...)} includes are refused (a run's configuration
 * should not depend on a web server). Errors name the include, the file it resolved to and the
 * file that included it.
 */
final class RequiredIncluder implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL,
    ConfigIncluderClasspath {
  static final String KEY = "include";
  private static final String ALLOWED = "an include must name a readable HOCON file";

  /** The file whose includes this resolves, or null for text that is not a file (relative to the working folder). */
  private final Path including;

  RequiredIncluder(Path including) {
    this.including = including;
  }

  /** Parse options for a user's config file {@code file} (null: a string), with every include required. */
  static ConfigParseOptions options(Path file, ConfigSyntax syntax) {
    return ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(syntax)
        .setIncluder(new RequiredIncluder(file));
  }

  @Override
  public ConfigIncluder withFallback(ConfigIncluder fallback) {
    return this; // no fallback: Typesafe's would look elsewhere and skip what it does not find
  }

  @Override
  public ConfigObject include(ConfigIncludeContext context, String what) {
    return includeFile(context, new File(what));
  }

  @Override
  public ConfigObject includeFile(ConfigIncludeContext context, File what) {
    Path given = what.toPath();
    Path file = given.isAbsolute() || including == null || including.getParent() == null ? given.toAbsolutePath()
        : including.getParent().resolve(given);
    String from = including == null ? "" : " (included from " + including + ")";
    if (!Files.exists(file)) {
      throw new ConfigException(KEY, what.getPath(), "no such file " + file + from + "; " + ALLOWED);
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ConfigException(KEY, what.getPath(), "not a readable file " + file + from + "; " + ALLOWED);
    }
    try {
      return ConfigFactory.parseFile(file.toFile(), options(file, syntaxOf(file))).root();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(KEY, what.getPath(), file + from + " is not valid HOCON: " + e.getMessage(), e);
    }
  }

  @Override
  public ConfigObject includeResources(ConfigIncludeContext context, String what) {
    ClassLoader loader = RequiredIncluder.class.getClassLoader();
    if (loader.getResource(what) == null) {
      String from = including == null ? "" : " (included from " + including + ")";
      throw new ConfigException(KEY, what, "no such resource on the classpath" + from);
    }
    try {
      return ConfigFactory.parseResources(loader, what, ConfigParseOptions.defaults().setAllowMissing(false)
          .setIncluder(this)).root();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(KEY, what, "classpath resource is not valid HOCON: " + e.getMessage(), e);
    }
  }

  @Override
  public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
    throw new ConfigException(KEY, what.toString(), "url(...) includes are not supported; include a file");
  }

  private static ConfigSyntax syntaxOf(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".json")) {
      return ConfigSyntax.JSON;
    }
    return name.endsWith(".properties") ? ConfigSyntax.PROPERTIES : ConfigSyntax.CONF;
  }
}
