package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.results.ResultsStore;

class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** A tiny cell that runs in well under a second. */
    static List<String> tiny(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--p", "11", "--train-frac", "0.5", "--width", "8", "--hidden", "16",
                "--seeds", "2", "--steps", "40", "--eval-grid", "every10", "--no-progress", "--out", out.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void trainPrintsTableAndRecordsRuns(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("T_grok"), r.out());
        assertTrue(r.out().contains("median T_grok"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            assertEquals(2, store.allRuns().size());
            assertEquals(4, store.curve(store.allRuns().get(0).id()).size()); // steps 10, 20, 30, 40
        }
        Run again = run(tiny(dir, "--seeds", "5-6").toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        try (ResultsStore store = ResultsStore.open(dir)) {
            assertEquals(4, store.allRuns().size(), "a second run adds to the database");
            assertEquals(2, store.experiments().size());
        }
    }

    @Test
    void jsonSummaryIsOneObject(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir, "--json", "--norm", "5", "--clamp-from", "10").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode j = new ObjectMapper().readTree(lines[0]);
        assertEquals(2, j.get("seeds").size());
        assertEquals(2, j.get("total").asInt());
        assertEquals(5.0, j.get("config").get("clamp_target").asDouble());
        for (JsonNode s : j.get("seeds")) {
            assertTrue(s.has("t_mem") && s.has("t_grok") && s.has("norm_at_grok") && s.has("status"));
            assertEquals("censored", s.get("status").asText()); // 40 steps are far too few to grok
        }
        assertTrue(j.has("median_t_grok"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "p below 2            | --p 1               | p must be at least 2",
            "f above 1            | --train-frac 1.5    | training fraction",
            "f zero               | --train-frac 0      | training fraction",
            "negative lr          | --lr -0.001         | --lr must be a positive number",
            "unknown flag         | --frobnicate 3      | Unknown option",
            "rho without wc       | --rho 1.0           | --rho needs --wc",
            "bad seeds            | --seeds x           | not a seed list",
            "bad decay order      | --decay-order sometimes | --decay-order",
            "zero threads         | --threads 0         | --threads must be at least 1",
            "bad grid             | --eval-grid weekly  | unknown evaluation grid"})
    void badInputIsOneLineAndExitTwoAndTouchesNothing(String what, String flags, String expected, @TempDir Path dir) throws Exception {
        assertEquals(0, run(tiny(dir).toArray(String[]::new)).code());
        Path db = dir.resolve(ResultsStore.FILE_NAME);
        byte[] before = Files.readAllBytes(db);
        Run r = run(tiny(dir, flags.trim().split(" +")).toArray(String[]::new));
        assertEquals(2, r.code(), what + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals("", r.out());
        assertArrayEquals(before, Files.readAllBytes(db), "existing results untouched");
    }

    @Test
    void outThatIsAFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "my notes");
        Run r = run(tiny(file).toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(file.toString()), r.err());
        assertEquals("my notes", Files.readString(file));
    }

    @Test
    void foreignDatabaseIsRefusedAndKept(@TempDir Path dir) throws Exception {
        Path db = Files.writeString(dir.resolve(ResultsStore.FILE_NAME), "this is somebody's spreadsheet, not a database");
        byte[] before = Files.readAllBytes(db);
        Run r = run(tiny(dir).toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("not a normclock"), r.err());
        assertArrayEquals(before, Files.readAllBytes(db));
    }

    @Test
    void helpListsEveryOption() {
        Run r = run("train", "--help");
        assertEquals(0, r.code());
        for (String o : List.of("--p", "--train-frac", "--width", "--hidden", "--lr", "--wd", "--seeds", "--steps", "--rho", "--wc",
                "--norm", "--clamp-from", "--temperature", "--out", "--threads", "--json"))
            assertTrue(r.out().contains(o), o);
        Run top = run("--help");
        assertTrue(top.out().contains("train") && top.out().contains("bench"));
        assertFalse(run("bench", "--help").out().isBlank());
    }

    @Test
    void benchJson() throws Exception {
        Run r = run("bench", "--p", "11", "--width", "8", "--hidden", "16", "--models", "2", "--seconds", "0.05", "--repeats", "1",
                "--warmup", "1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("model_steps_per_second").asDouble() > 0);
        assertTrue(j.get("executed_gflops").asDouble() > 0);
    }
}
