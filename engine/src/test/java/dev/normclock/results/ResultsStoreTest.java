package dev.normclock.results;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

class ResultsStoreTest {

    @TempDir
    Path tmp;

    private static RunSpec spec(int seed, double clampTarget) {
        return new RunSpec(seed, "mlp", 97, 0.3, 128, 512, 1e-3, 1.0, "l2", Double.NaN, Double.NaN, clampTarget,
                clampTarget > 0 ? 100 : 0, 1.0, 100_000, "log:50", "cpu", "0.1.0",
                "{\"seed\":" + seed + "}");
    }

    private static CurvePoint point(long runId, int step) {
        return new CurvePoint(runId, step, 4.5 / (step + 1), step / 1000.0, 5.0, 0.01, 30.0 + step, 10.0, 12.0,
                Double.NaN, 20.0 + step, 0.0);
    }

    private static Connection raw(Path db) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    private static Object scalar(Path db, String sql) throws SQLException {
        try (Connection c = raw(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getObject(1);
        }
    }

    private static ResultsException openFails(Path out) {
        ResultsException e = assertThrows(ResultsException.class, () -> ResultsStore.open(out).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void roundTripKeepsEveryFieldAndMapsNaNToNull() throws Exception {
        Path out = tmp.resolve("a/b/out");
        long exp, grokked, censored;
        RunOutcome grok = new RunOutcome(RunStatus.GROKKED, 800, 5400, 41.5, 20.25, 15.0, 6.25, 5400, 12.5);
        RunOutcome cens = new RunOutcome(RunStatus.CENSORED, 900, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                100_000, 99.0);
        try (ResultsStore store = ResultsStore.open(out)) {
            assertEquals(out.toAbsolutePath().resolve(ResultsStore.FILE_NAME), store.path());
            exp = store.createExperiment("sweep", "normclock run --seeds 2 --out out", 0xDEADBEEFL, "0.1.0");
            grokked = store.startRun(exp, spec(0, Double.NaN));
            censored = store.startRun(exp, spec(1, 25.0));
            store.logCurves(List.of(point(grokked, 0), point(censored, 0)));
            store.logCurves(List.of(point(grokked, 50), point(censored, 50)));
            store.finishRun(grokked, grok);
            store.finishRun(censored, cens);

            List<ExperimentRow> experiments = store.experiments();
            assertEquals(1, experiments.size());
            ExperimentRow e = experiments.getFirst();
            assertEquals(exp, e.id());
            assertEquals("sweep", e.name());
            assertEquals("normclock run --seeds 2 --out out", e.command());
            assertEquals(0xDEADBEEFL, e.baseKey());
            assertEquals("0.1.0", e.version());
            assertTrue(e.createdAt().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), e.createdAt());

            List<RunRow> runs = store.runs(exp);
            assertEquals(2, runs.size());
            assertEquals(spec(0, Double.NaN), runs.get(0).spec()); // record equality treats NaN as equal
            assertEquals(spec(1, 25.0), runs.get(1).spec());
            assertEquals(grok, runs.get(0).outcome());
            assertEquals(cens, runs.get(1).outcome());
            assertEquals(exp, runs.get(0).experimentId());
            assertEquals(RunStatus.GROKKED, runs.get(0).status());
            assertTrue(runs.get(0).finishedAt().compareTo(runs.get(0).startedAt()) >= 0);
            assertEquals(runs, store.allRuns());

            assertEquals(List.of(point(grokked, 0), point(grokked, 50)), store.curve(grokked));
            assertEquals(List.of(point(censored, 0), point(censored, 50)), store.curve(censored));
            assertEquals(List.of(), store.curve(12345));
        }

        Path db = out.resolve(ResultsStore.FILE_NAME);
        // What a user sees in the sqlite3 shell: lowercase statuses, NULL for "none" and "not reached".
        assertEquals("grokked", scalar(db, "SELECT status FROM runs WHERE id = " + grokked));
        assertEquals("censored", scalar(db, "SELECT status FROM runs WHERE id = " + censored));
        assertEquals(1, scalar(db, "SELECT count(*) FROM runs WHERE rho IS NULL AND wc IS NULL AND clamp_target IS NULL"
                + " AND id = " + grokked));
        assertEquals(25.0, scalar(db, "SELECT clamp_target FROM runs WHERE id = " + censored));
        assertEquals(1, scalar(db, "SELECT count(*) FROM runs WHERE t_grok IS NULL AND norm_at_grok IS NULL"));
        assertEquals(5400, scalar(db, "SELECT t_grok FROM runs WHERE seed = 0 AND experiment_id = " + exp));
        assertEquals(4, scalar(db, "SELECT count(*) FROM curves WHERE norm_w2 IS NULL"));
        assertEquals("{\"seed\":1}", scalar(db, "SELECT config_json FROM runs WHERE id = " + censored));
        assertEquals(ResultsStore.APPLICATION_ID, scalar(db, "PRAGMA application_id"));
        assertEquals(ResultsStore.SCHEMA_VERSION, scalar(db, "PRAGMA user_version"));
        assertEquals("wal", scalar(db, "PRAGMA journal_mode"));
        assertEquals(String.valueOf(ResultsStore.SCHEMA_VERSION), scalar(db, "SELECT value FROM meta WHERE key = 'schema_version'"));
        assertEquals("normclock", scalar(db, "SELECT value FROM meta WHERE key = 'application'"));
        assertEquals(1, scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs'"
                + " AND sql LIKE '%experiment_id%'"));
    }

    @Test
    void reopeningAddsAnExperimentAndKeepsTheFirst() {
        long first, second, firstRun;
        try (ResultsStore store = ResultsStore.open(tmp)) {
            first = store.createExperiment("one", "normclock run", 1, "0.1.0");
            firstRun = store.startRun(first, spec(0, Double.NaN));
            store.logCurves(List.of(point(firstRun, 0)));
            store.finishRun(firstRun, new RunOutcome(RunStatus.DIVERGED, -1, -1, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, 37, 0.5));
        }
        try (ResultsStore store = ResultsStore.open(tmp)) {
            second = store.createExperiment("two", "normclock run --again", 2, "0.1.0");
            store.startRun(second, spec(0, Double.NaN));
            assertNotEquals(first, second);
            assertEquals(List.of("one", "two"), store.experiments().stream().map(ExperimentRow::name).toList());
            assertEquals(1, store.runs(first).size());
            assertEquals(RunStatus.DIVERGED, store.runs(first).getFirst().status());
            assertEquals(1, store.runs(second).size());
            assertEquals(2, store.allRuns().size());
            assertEquals(1, store.curve(firstRun).size());
        }
    }

    @Test
    void aRunLeftRunningStaysReadable() {
        long exp, run;
        try (ResultsStore store = ResultsStore.open(tmp)) {
            exp = store.createExperiment("killed", "normclock run", 7, "0.1.0");
            run = store.startRun(exp, spec(3, Double.NaN));
            store.logCurves(List.of(point(run, 0)));
        }
        try (ResultsStore store = ResultsStore.open(tmp)) {
            RunRow row = store.runs(exp).getFirst();
            assertEquals(run, row.id());
            assertEquals(RunStatus.RUNNING, row.status());
            assertEquals(RunOutcome.running(), row.outcome());
            assertNull(row.finishedAt());
            assertEquals(spec(3, Double.NaN), row.spec());
            assertEquals(List.of(point(run, 0)), store.curve(run));
        }
    }

    @Test
    void committedWritesSurviveAProcessThatNeverClosed() throws Exception {
        // Copy the files of a store that is still open: the database as a killed process leaves it.
        Path crashed = tmp.resolve("crashed");
        Files.createDirectories(crashed);
        long exp, run;
        try (ResultsStore store = ResultsStore.open(tmp.resolve("live"))) {
            exp = store.createExperiment("x", "normclock run", 1, "0.1.0");
            run = store.startRun(exp, spec(0, Double.NaN));
            store.finishRun(run, new RunOutcome(RunStatus.GROKKED, 1, 2, 3, 4, 5, 6, 7, 8));
            for (String suffix : List.of("", "-wal")) {
                Path f = store.path().resolveSibling(ResultsStore.FILE_NAME + suffix);
                if (Files.exists(f)) Files.copy(f, crashed.resolve(f.getFileName()));
            }
        }
        try (ResultsStore store = ResultsStore.open(crashed)) {
            assertEquals(RunStatus.GROKKED, store.runs(exp).getFirst().status());
        }
    }

    @Test
    void aDatabaseKilledBeforeItsFirstCommitIsTakenOver() throws Exception {
        // Without its WAL the main file is an empty SQLite database with no application id yet.
        Path killed = Files.createDirectories(tmp.resolve("killed"));
        try (ResultsStore store = ResultsStore.open(tmp.resolve("live"))) {
            store.createExperiment("lost", "normclock run", 1, "0.1.0");
            Files.copy(store.path(), killed.resolve(ResultsStore.FILE_NAME));
        }
        assertEquals(0, scalar(killed.resolve(ResultsStore.FILE_NAME), "SELECT count(*) FROM sqlite_master"));
        try (ResultsStore store = ResultsStore.open(killed)) {
            assertEquals(List.of(), store.experiments());
            store.createExperiment("new", "normclock run", 1, "0.1.0");
            assertEquals(1, store.experiments().size());
        }
    }

    @Test
    void oddCharactersInTheFolderNameAreKeptLiterally() {
        Path out = tmp.resolve("a b%20c#d?e=1");
        try (ResultsStore store = ResultsStore.open(out)) {
            store.createExperiment("x", "normclock run", 1, "0.1.0");
        }
        assertTrue(Files.isRegularFile(out.resolve(ResultsStore.FILE_NAME)));
        try (ResultsStore store = ResultsStore.open(out)) {
            assertEquals(1, store.experiments().size());
        }
    }

    @Test
    void anEmptyFileIsTakenOverAsANewDatabase() throws Exception {
        Files.createFile(tmp.resolve(ResultsStore.FILE_NAME));
        try (ResultsStore store = ResultsStore.open(tmp)) {
            store.createExperiment("x", "normclock run", 1, "0.1.0");
            assertEquals(1, store.experiments().size());
        }
    }

    @Test
    void outPathThatIsAFileIsRefused() throws Exception {
        Path file = Files.writeString(tmp.resolve("out.txt"), "hello");
        ResultsException e = openFails(file);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("is a file, not a folder"), e.getMessage());
        assertEquals("hello", Files.readString(file));
    }

    @Test
    void outPathUnderAFileIsRefused() throws Exception {
        // Tests run as root, which ignores permission bits: a folder under a file is never writable.
        Path file = Files.writeString(tmp.resolve("file.txt"), "hello");
        Path out = file.resolve("sub");
        ResultsException e = openFails(out);
        assertTrue(e.getMessage().startsWith("cannot write results to " + out), e.getMessage());
        assertTrue(e.getMessage().contains(file + " is a file"), e.getMessage());
        assertEquals("hello", Files.readString(file));
    }

    @Test
    void aGarbageFileIsRefusedAndLeftUntouched() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        byte[] bytes = "my thesis, chapter 3\n".repeat(500).getBytes(StandardCharsets.UTF_8);
        Files.write(db, bytes);
        ResultsException e = openFails(tmp);
        assertEquals(db + " is not a normclock results database (it is not SQLite); move it away or choose another"
                + " --out", e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(db));
        assertFalse(Files.exists(tmp.resolve(ResultsStore.FILE_NAME + "-wal")));
    }

    @Test
    void aShortFileIsRefusedAndLeftUntouched() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        Files.write(db, new byte[] {'S', 'Q', 'L'});
        assertTrue(openFails(tmp).getMessage().contains("it is not SQLite"));
        assertArrayEquals(new byte[] {'S', 'Q', 'L'}, Files.readAllBytes(db));
    }

    @Test
    void aForeignSqliteDatabaseIsRefusedAndLeftUntouched() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        try (Connection c = raw(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
            st.execute("INSERT INTO invoices (amount) VALUES (12.5), (99.0)");
        }
        byte[] before = Files.readAllBytes(db);
        List<Path> filesBefore = listing(tmp);
        ResultsException e = openFails(tmp);
        assertTrue(e.getMessage().startsWith(db + " is not a normclock results database"), e.getMessage());
        assertEquals(filesBefore, listing(tmp));
        assertTrue(e.getMessage().endsWith("move it away or choose another --out"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(db));
        assertEquals(2, scalar(db, "SELECT count(*) FROM invoices"));
    }

    @Test
    void aForeignWalDatabaseGetsNoFilesBesideIt() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        try (Connection c = raw(db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = WAL");
            st.execute("CREATE TABLE notes (body TEXT)");
        }
        byte[] before = Files.readAllBytes(db);
        List<Path> filesBefore = listing(tmp);
        assertTrue(openFails(tmp).getMessage().contains("another program"));
        assertArrayEquals(before, Files.readAllBytes(db));
        assertEquals(filesBefore, listing(tmp));
    }

    private static List<Path> listing(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    @Test
    void aSqliteDatabaseOfAnotherApplicationIsRefused() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        try (Connection c = raw(db); Statement st = c.createStatement()) {
            st.execute("PRAGMA application_id = 1234");
        }
        byte[] before = Files.readAllBytes(db);
        assertTrue(openFails(tmp).getMessage().contains("application id 0x000004D2"));
        assertArrayEquals(before, Files.readAllBytes(db));
    }

    @Test
    void aNewerSchemaIsRefusedAndLeftUntouched() throws Exception {
        try (ResultsStore store = ResultsStore.open(tmp)) {
            store.createExperiment("x", "normclock run", 1, "0.1.0");
        }
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        try (Connection c = raw(db); Statement st = c.createStatement()) {
            st.execute("PRAGMA user_version = " + (ResultsStore.SCHEMA_VERSION + 1));
        }
        byte[] before = Files.readAllBytes(db);
        ResultsException e = openFails(tmp);
        assertTrue(e.getMessage().startsWith(db + " was written by a newer normclock (schema version " + (ResultsStore.SCHEMA_VERSION + 1)),
                e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(db));
    }

    /** A database of schema 1 (no Paper B columns in the curves) is upgraded in place, its rows kept. */
    @Test
    void aSchemaOneDatabaseIsUpgradedKeepingItsRows() throws Exception {
        long run;
        try (ResultsStore store = ResultsStore.open(tmp)) {
            long exp = store.createExperiment("x", "normclock run", 1, "0.1.0");
            run = store.startRun(exp, spec(0, Double.NaN));
            store.logCurves(List.of(point(run, 10)));
        }
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        try (Connection c = raw(db); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE curves DROP COLUMN logit_scale");
            st.execute("ALTER TABLE curves DROP COLUMN collapse");
            st.execute("PRAGMA user_version = 1");
        }
        try (ResultsStore store = ResultsStore.open(tmp)) {
            store.logCurves(List.of(point(run, 20)));
            List<CurvePoint> curve = store.curve(run);
            assertEquals(2, curve.size());
            assertTrue(Double.isNaN(curve.get(0).logitScale()), "the old point has no logit scale");
            assertEquals(40.0, curve.get(1).logitScale());
        }
        assertEquals(ResultsStore.SCHEMA_VERSION, scalar(db, "PRAGMA user_version"));
    }

    @Test
    void aCorruptDatabaseIsReportedAsCorrupt() throws Exception {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        byte[] bytes = new byte[8192];
        System.arraycopy("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 16);
        for (int i = 16; i < bytes.length; i++) bytes[i] = (byte) (i * 31 + 7);
        Files.write(db, bytes);
        ResultsException e = openFails(tmp);
        assertTrue(e.getMessage().startsWith(db + " is corrupt"), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(db));
    }

    @Test
    void aFolderNamedLikeTheDatabaseIsRefused() throws Exception {
        Files.createDirectories(tmp.resolve(ResultsStore.FILE_NAME));
        assertTrue(openFails(tmp).getMessage().contains("is a folder"));
    }

    @Test
    void aCurveBatchIsAllOrNothing() {
        try (ResultsStore store = ResultsStore.open(tmp)) {
            long exp = store.createExperiment("x", "normclock run", 1, "0.1.0");
            long a = store.startRun(exp, spec(0, Double.NaN));
            long b = store.startRun(exp, spec(1, Double.NaN));
            store.logCurves(List.of(point(a, 0), point(b, 0)));

            List<CurvePoint> bad = new ArrayList<>(List.of(point(a, 50), point(b, 50), point(a, 50)));
            ResultsException e = assertThrows(ResultsException.class, () -> store.logCurves(bad));
            assertTrue(e.getMessage().contains(store.path().toString()), e.getMessage());
            assertEquals(List.of(point(a, 0)), store.curve(a));
            assertEquals(List.of(point(b, 0)), store.curve(b));

            // A point of a run that does not exist fails the same way.
            assertThrows(ResultsException.class, () -> store.logCurves(List.of(point(a, 100), point(999, 100))));
            assertEquals(1, store.curve(a).size());

            // The store is still usable after a failed batch.
            store.logCurves(List.of(point(a, 50), point(b, 50)));
            assertEquals(2, store.curve(a).size());
        }
    }

    @Test
    void aFinishBatchIsAllOrNothing() {
        try (ResultsStore store = ResultsStore.open(tmp)) {
            long exp = store.createExperiment("x", "normclock run", 1, "0.1.0");
            long a = store.startRun(exp, spec(0, Double.NaN));
            long b = store.startRun(exp, spec(1, Double.NaN));
            RunOutcome done = new RunOutcome(RunStatus.INTERRUPTED, 10, -1, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, 20, 1.0);

            Map<Long, RunOutcome> withUnknown = new LinkedHashMap<>();
            withUnknown.put(a, done);
            withUnknown.put(4242L, done);
            ResultsException e = assertThrows(ResultsException.class, () -> store.finishRuns(withUnknown.entrySet()));
            assertTrue(e.getMessage().contains("no run 4242"), e.getMessage());
            assertEquals(RunStatus.RUNNING, store.runs(exp).getFirst().status());

            store.finishRuns(List.of(Map.entry(a, done), Map.entry(b, done)));
            assertTrue(store.runs(exp).stream().allMatch(r -> r.outcome().equals(done) && r.finishedAt() != null));

            assertThrows(IllegalArgumentException.class, () -> store.finishRun(a, RunOutcome.running()));
        }
    }

    @Test
    void aRunOfAnUnknownExperimentIsRefused() {
        try (ResultsStore store = ResultsStore.open(tmp)) {
            assertThrows(ResultsException.class, () -> store.startRun(77, spec(0, Double.NaN)));
            assertEquals(List.of(), store.allRuns());
        }
    }

    @Test
    void sqliteErrorsBecomeOneLineMessages() {
        Path db = tmp.resolve(ResultsStore.FILE_NAME);
        assertEquals("disk full while writing results to " + db + ": free space and run again; finished runs are kept",
                ResultsStore.translate(new SQLiteException("[SQLITE_FULL] disk full", SQLiteErrorCode.SQLITE_FULL), db,
                        "writing").getMessage());
        assertTrue(ResultsStore.translate(new SQLiteException("x", SQLiteErrorCode.SQLITE_READONLY_DBMOVED), db, "w")
                .getMessage().startsWith("cannot write results to " + db));
        assertTrue(ResultsStore.translate(new SQLiteException("x", SQLiteErrorCode.SQLITE_CANTOPEN), db, "w")
                .getMessage().startsWith("cannot write results to " + db));
        assertTrue(ResultsStore.translate(new SQLiteException("x", SQLiteErrorCode.SQLITE_NOTADB), db, "w")
                .getMessage().startsWith(db + " is corrupt"));
        // Wrappers that carry the code only in their text.
        ResultsException wrapped = ResultsStore.translate(
                new SQLException("batch entry 3: [SQLITE_CORRUPT] The database disk image is malformed\nmore"), db, "w");
        assertTrue(wrapped.getMessage().startsWith(db + " is corrupt"), wrapped.getMessage());
        assertFalse(wrapped.getMessage().contains("\n"));
    }

    @Test
    void aClosedStoreRefusesWork() {
        ResultsStore store = ResultsStore.open(tmp);
        store.close();
        store.close();
        assertThrows(IllegalStateException.class, store::experiments);
    }
}
