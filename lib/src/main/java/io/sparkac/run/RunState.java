package io.sparkac.run;

import io.sparkac.config.ConfigLoader;
import io.sparkac.config.TrainConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The training counters saved with each checkpoint ({@code state.json}), and the run's
 * configuration as HOCON. Its {@code run.dir} is where the run was when the checkpoint was
 * written; the run may have been moved or copied since, so it is informative only: read the
 * configuration with {@link #configIn}.
 */
public record RunState(int round, int policyVersion, long envSteps, long episodes, long seed, double wallSeconds,
    String config) {

  /**
   * The run's configuration with {@code overrides} on top and {@code run.dir} set to
   * {@code runDir}, the folder the run is read from now.
   */
  public TrainConfig configIn(String runDir, List<String> overrides) {
    List<String> all = new ArrayList<>(overrides);
    all.add("run.dir=" + runDir);
    return ConfigLoader.parse(config, all);
  }
}
