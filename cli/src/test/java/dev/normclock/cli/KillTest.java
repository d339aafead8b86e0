package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;
import dev.normclock.results.RunStatus;

/** kill -9 in the middle of a cell: every run that had finished is still in the database. */
class KillTest {

    private static int finishedRuns(Path db) throws Exception {
        if (!Files.exists(db)) return 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro", new java.util.Properties());
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM runs WHERE status != 'running'")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (java.sql.SQLException notYet) {
            return 0;
        }
    }

    @Test
    void finishedRunsSurviveKillNine(@TempDir Path dir) throws Exception {
        // Seeds of the papers' small cell grok at different steps; a window of 0 retires each at once.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-XX:-TieredCompilation", "-XX:CompileThresholdScaling=0.1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "train", "--p", "41", "--train-frac", "0.6", "--width", "32", "--hidden", "64", "--lr", "3e-3",
                "--clamp-from", "150", "--seeds", "0-5", "--steps", "100000", "--rho", "1.0", "--wc", "35.5",
                "--retire-window", "0", "--eval-grid", "every10", "--threads", "1", "--no-progress", "--out", dir.toString()));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        Path db = dir.resolve(ResultsStore.FILE_NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int finished = 0;
        while (System.nanoTime() < deadline && proc.isAlive() && (finished = finishedRuns(db)) == 0) Thread.sleep(50);
        assertTrue(proc.isAlive(), "the cell must still be running when killed: " + Files.readString(dir.resolve("log.txt")));
        assertTrue(finished >= 1, "a run finished before the kill");
        proc.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        proc.waitFor(30, TimeUnit.SECONDS);
        try (ResultsStore store = ResultsStore.open(dir)) {
            List<RunRow> runs = store.allRuns();
            assertEquals(6, runs.size());
            long grokked = runs.stream().filter(r -> r.outcome().status() == RunStatus.GROKKED).count();
            assertTrue(grokked >= finished, "finished runs kept: " + grokked + " >= " + finished);
            for (RunRow r : runs) {
                if (r.outcome().status() == RunStatus.GROKKED) {
                    assertTrue(r.outcome().tGrok() > 0);
                    assertTrue(!store.curve(r.id()).isEmpty());
                }
            }
            assertTrue(runs.stream().anyMatch(r -> r.outcome().status() == RunStatus.RUNNING), "the rest were cut off mid-way");
        }
    }

    /**
     * kill -9 in the middle of a study, after a checkpoint: the same command resumes it, and the
     * outcome of every run equals that of the same study run in-process without a stop.
     */
    @Test
    void aStudyKilledWithKillNineResumesToTheSameResults(@TempDir Path dir) throws Exception {
        Path study = dir.resolve("s.yaml"), out = dir.resolve("out"), whole = dir.resolve("whole");
        Files.writeString(study, ReproduceCliTest.STUDY);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-XX:-TieredCompilation", "-XX:CompileThresholdScaling=0.1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "reproduce", "--preset", study.toString(), "--out", out.toString(), "--checkpoint-every", "0.2", "--no-progress",
                "--no-report", "--threads", "1"));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        Path checkpoints = out.resolve("checkpoints");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && proc.isAlive() && (finishedRuns(out.resolve(ResultsStore.FILE_NAME)) == 0
                || !Files.isDirectory(checkpoints) || Files.list(checkpoints).noneMatch(p -> p.toString().endsWith(".ckpt"))))
            Thread.sleep(20);
        assertTrue(proc.isAlive(), "the study must still be running when killed: " + Files.readString(dir.resolve("log.txt")));
        proc.destroyForcibly();
        proc.waitFor(30, TimeUnit.SECONDS);

        CliTest.Run resumed = CliTest.run("reproduce", "--preset", study.toString(), "--out", out.toString(), "--no-progress", "--no-report");
        assertEquals(0, resumed.code(), resumed.err());
        CliTest.Run reference = CliTest.run("reproduce", "--preset", study.toString(), "--out", whole.toString(), "--no-progress", "--no-report");
        assertEquals(0, reference.code(), reference.err());
        assertEquals(outcomes(whole), outcomes(out), "resumed after kill -9 = uninterrupted");
    }

    /** Each run's status, T_mem, T_grok, final step and exact norm at grok, and its curve length, by seed and cell. */
    private static List<String> outcomes(Path out) {
        List<String> rows = new ArrayList<>();
        try (ResultsStore store = ResultsStore.open(out)) {
            for (RunRow r : store.allRuns()) {
                var o = r.outcome();
                rows.add(r.spec().configJson().replaceAll(".*\"run_key\":\"([^\"]*)\".*", "$1") + " " + o.status() + " " + o.tMem()
                        + " " + o.tGrok() + " " + o.finalStep() + " " + Double.doubleToRawLongBits(o.normAtGrok()) + " " + store.curve(r.id()).size());
            }
        }
        rows.sort(null);
        return rows;
    }
}
