package io.sparkac.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sparkac.config.ActorRange;
import io.sparkac.run.RoundRecord;
import io.sparkac.run.RunState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code train} processes killed with SIGKILL ({@code kill -9}) at random moments, in every
 * phase of a round, and resumed each time with {@code train --resume <run>} or
 * {@code train <conf> --resume}, until the run ends. After every kill: no committed round is
 * lost and each one's checkpoint loads; every committed round holds exactly its rows (the
 * learner never read a partial round); nothing is left past the last commit but the round that
 * was cut and, since a round's checkpoint and commit are written while the next round rolls out,
 * that next round's trajectories. At the end the run equals an uninterrupted one bit for bit: trajectories,
 * checkpoints (weights, optimizer state, observation and reward normalization statistics) and
 * what every round learned.
 *
 * <p>Each trial aims at a phase: it watches the run folder for the file that opens the phase
 * (the commit of the previous round for the rollout, a hidden {@code _part-*} file for the
 * Parquet write, the round's actor snapshots for the learner, {@code checkpoints/_round=N.tmp}
 * for the checkpoint), waits a random delay, and kills. The phase actually hit is then read from
 * the files on disk, and the test asserts that the trials covered rollout, Parquet write, learner
 * and checkpoint. The random delays come from a fixed seed and are printed with the phases.
 */
class KillTest {
  /** Enough that a round is left to aim at in every trial: a trial commits at most 2 rounds. */
  static final int ROUNDS = 16;
  static final int ACTORS = 4;
  static final int STEPS = 64;
  static final int PARTITIONS = 2;
  static final int TRIALS = 10;
  static final long SEED = 4;
  static final String MASTER = "local[2]";

  /** A phase of a round, as the files on disk show it after a kill. */
  enum Phase { ROLLOUT, PARQUET_WRITE, LEARNER, CHECKPOINT, COMMIT }

  @TempDir
  Path tmp;
  Path run;
  final List<String> trials = new ArrayList<>();

  String config(Path dir, String name) throws IOException {
    Path conf = tmp.resolve(name + ".conf");
    Files.writeString(conf, String.join("\n", "run { dir = \"" + dir + "\", id = kill, seed = 3,",
        "  total-steps = " + ROUNDS * ACTORS * STEPS + " }",
        "rollout { actors = " + ACTORS + ", steps-per-actor = " + STEPS + ", partitions = " + PARTITIONS + " }",
        "learner.minibatch-size = 64",
        "normalize { observations = true, rewards = true }",
        "eval { interval-rounds = 0, episodes = 4 }", ""));
    return conf.toString();
  }

  @Test
  void killedInEveryPhaseAndResumedItLosesNothingReadsNoPartialRoundAndEndsBitIdentical() throws Exception {
    run = tmp.resolve("run");
    String conf = config(run, "run");
    Path reference = tmp.resolve("reference");
    JobProcess.runToSuccess(MASTER, List.of(), List.of("train", config(reference, "reference")),
        tmp.resolve("reference.log"));

    Random random = new Random(SEED);
    Phase[] aims = {Phase.ROLLOUT, Phase.PARQUET_WRITE, Phase.LEARNER, Phase.CHECKPOINT};
    Set<Phase> hit = EnumSet.noneOf(Phase.class);
    List<Integer> committed = List.of();
    for (int trial = 0; trial < TRIALS; trial++) {
      Phase aim = aims[trial % aims.length];
      int last = committed.isEmpty() ? -1 : committed.get(committed.size() - 1);
      // Rollout: let the process commit 1 or 2 rounds first. Parquet write: the process's first
      // round (cold, so its write takes longest). Learner, checkpoint: its first or second round.
      int ahead = switch (aim) {
        case ROLLOUT -> 1 + random.nextInt(2);
        case PARQUET_WRITE -> 0;
        default -> random.nextInt(2);
      };
      int round = last + 1 + ahead;
      assertThat(round).as("a round to aim at in trial %d", trial).isLessThan(ROUNDS - 1);
      int delayMs = switch (aim) {
        case ROLLOUT -> random.nextInt(80);
        case LEARNER -> random.nextInt(40);
        default -> 0;
      };
      List<String> args = trial == 0 ? List.of("train", conf)
          : last < 0 || trial % 2 == 0 ? List.of("train", conf, "--resume")
          : List.of("train", "--resume", run.toString());
      Path log = tmp.resolve("trial-" + trial + ".log");

      long start = System.currentTimeMillis();
      Process p = JobProcess.start(MASTER, List.of(), args, log);
      boolean opened = waitForPhase(aim, round, start, p);
      assertThat(opened).as("trial %d: the process ended before %s of round %d; trials so far:%n%s%nits output:%n%s",
          trial, aim, round, String.join("\n", trials), Files.readString(log)).isTrue();
      Thread.sleep(delayMs);
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
      long ms = System.currentTimeMillis() - start;

      List<Integer> after = checkInvariants(committed, trial);
      int cut = after.isEmpty() ? 0 : after.get(after.size() - 1) + 1;
      Phase phase = phaseOnDisk(cut);
      hit.add(phase);
      trials.add(String.format("trial %2d: %-38s aim %-13s of round %2d, delay %2d ms, killed after %5d ms: hit %-13s"
          + " of round %2d; committed %d..%d", trial, String.join(" ", args).replace(tmp.toString(), "<tmp>"), aim,
          round, delayMs, ms, phase, cut, after.isEmpty() ? -1 : 0, cut - 1));
      System.out.println(trials.get(trials.size() - 1));
      committed = after;
    }

    // ---- the last resume runs to the end ----
    List<String> args = committed.isEmpty() ? List.of("train", conf, "--resume")
        : List.of("train", "--resume", run.toString());
    JobProcess.runToSuccess(MASTER, List.of(), args, tmp.resolve("final.log"));
    List<Integer> all = checkInvariants(committed, TRIALS);

    String story = String.join("\n", trials);
    assertThat(hit).as("phases hit by the kills:%n%s", story)
        .containsAll(List.of(Phase.ROLLOUT, Phase.PARQUET_WRITE, Phase.LEARNER, Phase.CHECKPOINT));
    assertThat(all).as("committed rounds at the end").hasSize(ROUNDS);
    assertThat(hiddenFiles(run)).as("temporary files left in the finished run").isEmpty();
    for (String dir : List.of("trajectories", "actors", "checkpoints")) {
      assertThat(roundFolders(run.resolve(dir))).as("round folders in %s", dir).hasSize(ROUNDS);
    }
    RunFiles killed = new RunFiles(run);
    RunFiles straight = new RunFiles(reference);
    assertThat(ParquetRows.sorted(run.resolve("trajectories"))).as("trajectories")
        .isEqualTo(ParquetRows.sorted(reference.resolve("trajectories")));
    for (int r = 0; r < ROUNDS; r++) {
      assertThat(killed.checkpointBits(r)).as("checkpoint of round %d:%n%s", r, story)
          .containsExactlyElementsOf(straight.checkpointBits(r));
      assertThat(RunFiles.learned(killed.manifest.read(r))).as("round %d", r)
          .isEqualTo(RunFiles.learned(straight.manifest.read(r)));
    }
  }

  /** Waits until the process opens {@code phase} of {@code round}; false if it ended first. */
  boolean waitForPhase(Phase phase, int round, long start, Process p) throws Exception {
    long deadline = System.currentTimeMillis() + 300_000;
    while (System.currentTimeMillis() < deadline) {
      if (!p.isAlive()) {
        return false;
      }
      if (opened(phase, round, start)) {
        return true;
      }
      Thread.sleep(1);
    }
    p.destroyForcibly().waitFor();
    throw new AssertionError("no " + phase + " of round " + round + " within 300 s");
  }

  /** Whether this process (files newer than its start) has opened the phase. */
  boolean opened(Phase phase, int round, long start) throws IOException {
    return switch (phase) {
      case ROLLOUT -> newer(run.resolve(String.format("manifest/round-%06d.json", round - 1)), start);
      case PARQUET_WRITE -> {
        Path dir = run.resolve("trajectories/round=" + round);
        if (!Files.isDirectory(dir)) {
          yield false;
        }
        try (Stream<Path> files = Files.list(dir)) {
          yield files.anyMatch(f -> f.getFileName().toString().startsWith("_part-") && newer(f, start));
        } catch (java.nio.file.NoSuchFileException e) {
          yield false;
        }
      }
      case LEARNER -> newer(run.resolve("actors/round=" + round + "/snapshots.bin"), start);
      case CHECKPOINT -> newer(run.resolve("checkpoints/_round=" + round + ".tmp"), start);
      case COMMIT -> newer(run.resolve("checkpoints/round=" + round), start);
    };
  }

  static boolean newer(Path f, long start) {
    try {
      return Files.getLastModifiedTime(f).toMillis() >= start;
    } catch (IOException e) {
      return false;
    }
  }

  /** What the files of round {@code round}, the first uncommitted one, show. */
  Phase phaseOnDisk(int round) throws IOException {
    if (Files.exists(run.resolve("checkpoints/round=" + round))) {
      return Phase.COMMIT; // checkpoint in place, manifest entry not yet written
    }
    if (Files.exists(run.resolve("checkpoints/_round=" + round + ".tmp"))) {
      return Phase.CHECKPOINT;
    }
    if (Files.exists(run.resolve("actors/round=" + round + "/snapshots.bin"))) {
      return Phase.LEARNER;
    }
    Path dir = run.resolve("trajectories/round=" + round);
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        if (files.anyMatch(f -> f.getFileName().toString().startsWith("_part-"))) {
          return Phase.PARQUET_WRITE;
        }
      }
    }
    return Phase.ROLLOUT;
  }

  /**
   * Checks the run after a kill (or at the end) and returns its committed rounds: the rounds
   * committed before are all still there, contiguous from 0; each one's manifest entry, state,
   * snapshots and both networks load; its trajectory folder holds exactly its part files with
   * {@link #STEPS} rows per actor, and the learner counted exactly one round of rows for it; no
   * folder is left past the last commit but that of the round that was cut, and the trajectories
   * of the round after it (it rolls out while the cut round's checkpoint and commit are written;
   * its snapshots and checkpoint wait for that commit).
   */
  List<Integer> checkInvariants(List<Integer> before, int trial) throws IOException {
    String context = "after trial " + trial + ":\n" + String.join("\n", trials);
    RunFiles files = new RunFiles(run);
    List<Integer> committed = Files.exists(run.resolve("manifest")) ? files.manifest.committedRounds() : List.of();
    assertThat(committed).as("committed rounds %s", context).containsAll(before);
    for (int i = 0; i < committed.size(); i++) {
      assertThat(committed.get(i)).as("committed rounds are contiguous %s", context).isEqualTo(i);
    }
    long rowsPerRound = (long) ACTORS * STEPS;
    List<String> parts = ActorRange.split(ACTORS, PARTITIONS).stream().map(ActorRange::fileName).toList();
    for (int r : committed) {
      RoundRecord record = files.manifest.read(r);
      assertThat(record.round()).isEqualTo(r);
      assertThat(record.totals().envSteps()).as("rows the learner read up to round %d %s", r, context)
          .isEqualTo((r + 1) * rowsPerRound);
      RunState state = files.checkpoints.readState(r);
      assertThat(state.round()).isEqualTo(r);
      assertThat(state.envSteps()).isEqualTo((r + 1) * rowsPerRound);
      assertThat(files.checkpoints.readSnapshots(r)).hasSize(ACTORS);
      assertThat(files.checkpointBits(r)).hasSize(5); // both networks, their optimizer state, the statistics
      Path roundDir = run.resolve("trajectories/round=" + r);
      assertThat(dataFiles(roundDir)).as("files of committed round %d %s", r, context)
          .containsExactlyInAnyOrderElementsOf(parts);
      Map<Integer, Integer> perActor = new TreeMap<>();
      for (ParquetRows.Row row : ParquetRows.read(roundDir)) {
        perActor.merge((Integer) row.values().get(2), 1, Integer::sum);
      }
      assertThat(perActor).as("rows per actor in committed round %d %s", r, context)
          .isEqualTo(Map.of(0, STEPS, 1, STEPS, 2, STEPS, 3, STEPS));
    }
    int next = committed.size();
    for (String dir : List.of("actors", "checkpoints")) {
      assertThat(roundFolders(run.resolve(dir))).as("uncommitted round folders in %s %s", dir, context)
          .allMatch(n -> n <= next);
    }
    assertThat(roundFolders(run.resolve("trajectories"))).as("uncommitted round folders in trajectories %s", context)
        .allMatch(n -> n <= next + 1);
    assertThat(uncommittedCheckpointTemps()).as("checkpoint temporaries %s", context).allMatch(n -> n == next);
    return committed;
  }

  /** Names of the files in a folder, without Hadoop's hidden .crc files. */
  static List<String> dataFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
    }
  }

  /** The N of the round=N folders in {@code dir}. */
  static Set<Integer> roundFolders(Path dir) throws IOException {
    Set<Integer> rounds = new TreeSet<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("round="))
            .forEach(n -> rounds.add(Integer.parseInt(n.substring("round=".length()))));
      }
    }
    return rounds;
  }

  Set<Integer> uncommittedCheckpointTemps() throws IOException {
    Set<Integer> rounds = new TreeSet<>();
    Path dir = run.resolve("checkpoints");
    if (Files.isDirectory(dir)) {
      Pattern tmpName = Pattern.compile("_round=(\\d+)\\.tmp");
      try (Stream<Path> files = Files.list(dir)) {
        files.forEach(f -> {
          Matcher m = tmpName.matcher(f.getFileName().toString());
          if (m.matches()) {
            rounds.add(Integer.parseInt(m.group(1)));
          }
        });
      }
    }
    return rounds;
  }

  /** Files and folders whose name starts with '_' anywhere under {@code dir}. */
  static List<Path> hiddenFiles(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(f -> f.getFileName().toString().startsWith("_")).toList();
    }
  }
}
