package io.sparkac.env;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One Gymnasium step trace (see lib/src/test/resources/gym-golden/README.md): a CSV with one row per step. */
record GoldenTrace(String envId, String name, List<Row> rows) {

  record Row(int step, double[] action, double[] prevState, double[] state, double[] obs,
      double reward, boolean terminated, boolean truncated) {}

  /** The environment id of a trace file: {@code CartPole-v1_random_seed0.csv} -> {@code CartPole-v1}. */
  static String envIdOf(Path file) {
    String name = file.getFileName().toString();
    int cut = name.indexOf('_');
    return cut < 0 ? name.replace(".csv", "") : name.substring(0, cut);
  }

  static GoldenTrace read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read golden trace " + file, e);
    }
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("golden trace " + file + " is empty");
    }
    String[] header = lines.get(0).split(",");
    List<Integer> action = new ArrayList<>();
    List<Integer> prev = new ArrayList<>();
    List<Integer> state = new ArrayList<>();
    List<Integer> obs = new ArrayList<>();
    int step = -1;
    int reward = -1;
    int terminated = -1;
    int truncated = -1;
    for (int i = 0; i < header.length; i++) {
      String h = header[i].trim();
      if (h.startsWith("action")) {
        action.add(i);
      } else if (h.startsWith("prev_state")) {
        prev.add(i);
      } else if (h.startsWith("state")) {
        state.add(i);
      } else if (h.startsWith("obs")) {
        obs.add(i);
      } else if (h.equals("step")) {
        step = i;
      } else if (h.equals("reward")) {
        reward = i;
      } else if (h.equals("terminated")) {
        terminated = i;
      } else if (h.equals("truncated")) {
        truncated = i;
      } else {
        throw new IllegalArgumentException("golden trace " + file + ": unknown column '" + h + "'");
      }
    }
    if (step < 0 || reward < 0 || terminated < 0 || truncated < 0 || action.isEmpty() || prev.isEmpty()
        || state.isEmpty() || obs.isEmpty()) {
      throw new IllegalArgumentException("golden trace " + file + ": missing columns in header " + Arrays.toString(header));
    }
    List<Row> rows = new ArrayList<>();
    for (int l = 1; l < lines.size(); l++) {
      if (lines.get(l).isBlank()) {
        continue;
      }
      String[] f = lines.get(l).split(",");
      rows.add(new Row(Integer.parseInt(f[step].trim()), pick(f, action), pick(f, prev), pick(f, state), pick(f, obs),
          Double.parseDouble(f[reward]), flag(f[terminated]), flag(f[truncated])));
    }
    return new GoldenTrace(envIdOf(file), file.getFileName().toString(), rows);
  }

  private static double[] pick(String[] f, List<Integer> cols) {
    double[] out = new double[cols.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Double.parseDouble(f[cols.get(i)].trim());
    }
    return out;
  }

  private static boolean flag(String s) {
    double v = Double.parseDouble(s.trim());
    if (v != 0.0 && v != 1.0) {
      throw new IllegalArgumentException("flag must be 0 or 1, got: " + s);
    }
    return v == 1.0;
  }
}
