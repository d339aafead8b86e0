package dev.normclock.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.CurvePoint;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunRow;
import dev.normclock.results.RunStatus;
import dev.normclock.train.PopulationCheckpoint;

/**
 * A study stopped part-way — by Ctrl-C, or by a crash that leaves runs marked running and curve
 * points logged after the last checkpoint — and started again on the same folder gives the same
 * runs and curves, bit for bit, as one never stopped; runs finished before the stop are kept as
 * they were, not trained again. A damaged checkpoint is refused with a message saying what to do.
 */
class ReproductionResumeTest {
    /**
     * Two phases, three shapes (one of them the parity MLP, first in both phases, so that a stop in
     * phase 2 lands in a parity population), a clamp and a rescale arm, budgets that differ per cell.
     */
    static final String STUDY = """
            study: resume
            base_key: 11
            defaults: {train_frac: 0.6, d: 32, hidden: 64, lr: 3.0e-3, t_int: 150, seeds: 2, eval_grid: every10}
            experiments:
              - name: parity
                analysis: delay_law
                defaults: {model: parity-mlp, parity_n: 16, parity_k: 3, parity_m: 400, parity_test: 500}
                cells:
                  - {arm: free, max_steps: 2000}
                  - {arm: clamp, rho: 1.3, max_steps: 2500}
              - name: e
                analysis: delay_law
                cells:
                  - {arm: free, p: [37, 41], max_steps: 2500}
                  - {arm: clamp, p: 41, rho: [0.9, 1.1], max_steps: 3000}
                  - {arm: rescale, p: 41, rho: 1.0, max_steps: 2500}
              - name: f
                analysis: fork
                cells:
                  - {arm: fork, p: 37, rho: [1.0, 1.3], max_steps: 2500}
            """;

    static Path uninterrupted;
    static Map<String, String> expected;

    @BeforeAll
    static void runOnce(@TempDir Path dir) throws IOException {
        uninterrupted = dir.resolve("whole");
        run(uninterrupted, new Reproduction.Progress() { }, 30);
        expected = snapshot(uninterrupted);
    }

    static Reproduction.Summary run(Path out, Reproduction.Progress progress, double checkpointSeconds) throws IOException {
        try (CpuBackend be = new CpuBackend(2)) {
            return new Reproduction(be, out, progress, checkpointSeconds).run(StudyFile.parse(STUDY, "test"), "test");
        }
    }

    /** Every run's outcome and curve as text with exact bits, keyed by run key (ids and wall times excluded). */
    static Map<String, String> snapshot(Path out) {
        Map<String, String> m = new TreeMap<>();
        try (ResultsStore store = ResultsStore.openExisting(out)) {
            for (RunRow r : store.allRuns()) {
                RunOutcome o = r.outcome();
                StringBuilder b = new StringBuilder(o.status() + " mem " + o.tMem() + " grok " + o.tGrok() + " final " + o.finalStep()
                        + " norm " + Double.doubleToRawLongBits(o.normAtGrok()) + " wc " + Double.doubleToRawLongBits(r.spec().wc()));
                for (CurvePoint c : store.curve(r.id()))
                    b.append('\n').append(c.step()).append(' ').append(Double.doubleToRawLongBits(c.trainLoss())).append(' ')
                            .append(Double.doubleToRawLongBits(c.testAcc())).append(' ').append(Double.doubleToRawLongBits(c.norm()));
                m.put(Reproduction.runKey(r), b.toString());
            }
        }
        return m;
    }

    @Test
    void theUninterruptedStudyFinishesEveryRun() {
        assertEquals(9 * 2, expected.size(), "18 runs: " + expected.keySet());
        assertTrue(expected.values().stream().noneMatch(s -> s.startsWith("RUNNING") || s.startsWith("INTERRUPTED")));
        assertTrue(expected.values().stream().filter(s -> s.startsWith("GROKKED")).count() >= 10, "most runs grok: " + expected);
        assertTrue(expected.entrySet().stream().filter(e -> e.getKey().startsWith("resume/parity/")).allMatch(e -> e.getValue().startsWith("GROKKED")),
                "the parity runs grok: " + expected);
    }

    /** A float64 population (the precision audit's) stopped part-way resumes from its checkpoint to the same bits. */
    @Test
    void aFloat64PopulationResumesBitForBit(@TempDir Path dir) throws IOException {
        String study = """
                study: resume64
                base_key: 11
                defaults: {train_frac: 0.6, d: 32, hidden: 64, lr: 3.0e-3, t_int: 150, seeds: 2, eval_grid: every10, p: 41}
                experiments:
                  - name: audit
                    analysis: precision
                    cells:
                      - {arm: free, max_steps: 400, precision: [float32, float64]}
                """;
        Path whole = dir.resolve("whole"), stopped = dir.resolve("stopped");
        try (CpuBackend be = new CpuBackend(2)) {
            new Reproduction(be, whole, new Reproduction.Progress() { }, 30).run(StudyFile.parse(study, "test"), "test");
            Reproduction.Summary first = new Reproduction(be, stopped, new Reproduction.Progress() {
                long steps;
                boolean float64;

                @Override
                public void population(PopulationPlan pop, int toTrain, int kept) {
                    float64 = pop.slots().getFirst().cell().precision() == dev.normclock.backend.Precision.FLOAT64;
                }

                @Override
                public void stepped(int active) {
                    if (float64) steps += active;
                }

                @Override
                public boolean stopRequested() {
                    return steps > 300;
                }
            }, 30).run(StudyFile.parse(study, "test"), "test");
            assertTrue(first.interrupted());
            assertTrue(Files.list(stopped.resolve("checkpoints")).anyMatch(f -> f.getFileName().toString().contains("float64")),
                    "the stop wrote the float64 population's checkpoint");
            new Reproduction(be, stopped, new Reproduction.Progress() { }, 30).run(StudyFile.parse(study, "test"), "test");
        }
        assertEquals(snapshot(whole), snapshot(stopped));
    }

    @Test
    void stoppedByCtrlCAndResumedEqualsUninterrupted(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("stopped");
        // stop in phase 2, after some runs of phase 1 and 2 have finished
        List<String> finishedBefore = new ArrayList<>();
        Reproduction.Summary first = run(out, new Reproduction.Progress() {
            long steps;
            int phase2;

            @Override
            public void population(PopulationPlan pop, int toTrain, int kept) {
                if (pop.phase() == 2) phase2++;
            }

            @Override
            public void stepped(int active) {
                if (phase2 > 0) steps += active;
            }

            @Override
            public void finished(PopulationPlan.Slot slot, RunOutcome outcome) {
                if (outcome.status() != RunStatus.INTERRUPTED) finishedBefore.add(slot.runKey("resume"));
            }

            @Override
            public boolean stopRequested() {
                return steps > 900;
            }
        }, 30);
        assertTrue(first.interrupted());
        Map<String, String> stopped = snapshot(out);
        assertTrue(stopped.values().stream().anyMatch(s -> s.startsWith("INTERRUPTED")), "some runs were interrupted");
        assertTrue(Files.list(out.resolve("checkpoints")).anyMatch(f -> f.getFileName().toString().startsWith("phase2-parity-mlp")),
                "the stop wrote the parity population's checkpoint");
        Map<String, String> finishedRows = finishedRows(out);

        Reproduction.Summary second = run(out, new Reproduction.Progress() { }, 30);
        assertTrue(!second.interrupted());
        assertEquals(expected, snapshot(out), "resumed = uninterrupted, bit for bit");
        assertTrue(second.runsKept() >= finishedBefore.size() - 0, "finished runs kept: " + second);
        Map<String, String> after = finishedRows(out);
        for (var e : finishedRows.entrySet()) assertEquals(e.getValue(), after.get(e.getKey()), "run kept as it was: " + e.getKey());
        assertTrue(Files.list(out.resolve("checkpoints")).findAny().isEmpty(), "finished populations leave no checkpoint");
    }

    /** id and finished_at of every finished run: a run trained again would get new ones. */
    static Map<String, String> finishedRows(Path out) {
        Map<String, String> m = new TreeMap<>();
        try (ResultsStore store = ResultsStore.openExisting(out)) {
            for (RunRow r : store.allRuns())
                if (r.status() != RunStatus.RUNNING && r.status() != RunStatus.INTERRUPTED)
                    m.put(Reproduction.runKey(r), r.id() + " " + r.finishedAt());
        }
        return m;
    }

    /** A crash: the process dies between checkpoints, leaving runs 'running' and curves past the checkpoint. */
    static final class Crash extends RuntimeException {
    }

    @Test
    void killedBetweenCheckpointsAndResumedEqualsUninterrupted(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("killed");
        assertThrows(Crash.class, () -> run(out, new Reproduction.Progress() {
            long steps;

            @Override
            public void stepped(int active) {
                steps += active;
                if (steps > 2500) throw new Crash();
            }
        }, 0.05));
        Map<String, String> crashed = snapshot(out);
        assertTrue(crashed.values().stream().anyMatch(s -> s.startsWith("RUNNING")), "the crash left runs marked running");
        Reproduction.Summary second = run(out, new Reproduction.Progress() { }, 30);
        assertTrue(!second.interrupted());
        assertEquals(expected, snapshot(out), "resumed after a crash = uninterrupted, bit for bit");
    }

    @Test
    void aDamagedCheckpointIsRefusedWithWhatToDo(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("damaged");
        run(out, new Reproduction.Progress() {
            long steps;

            @Override
            public void stepped(int active) {
                steps += active;
            }

            @Override
            public boolean stopRequested() {
                return steps > 1000;
            }
        }, 30);
        Path ckpt = Files.list(out.resolve("checkpoints")).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length / 2] ^= 1;
        Files.write(ckpt, bytes);
        var e = assertThrows(PopulationCheckpoint.CorruptCheckpointException.class, () -> run(out, new Reproduction.Progress() { }, 30));
        assertTrue(e.getMessage().contains("fails its checksum") && e.getMessage().contains("delete it"), e.getMessage());
        Files.delete(ckpt); // as the message says: that population then trains again from the start
        run(out, new Reproduction.Progress() { }, 30);
        assertEquals(expected, snapshot(out));
    }

    @Test
    void aFolderOfAnotherStudyIsRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("other");
        Files.createDirectories(out);
        Files.writeString(out.resolve(Reproduction.STUDY_FILE), "study: something else\n");
        var e = assertThrows(Reproduction.StudyMismatchException.class, () -> run(out, new Reproduction.Progress() { }, 30));
        assertTrue(e.getMessage().contains("holds results of a different study"), e.getMessage());
    }
}
