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
}
