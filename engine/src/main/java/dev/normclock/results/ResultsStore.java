package dev.normclock.results;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The results database {@value #FILE_NAME} in an output folder: experiments, their runs and the
 * runs' learning curves, in plain tables a user can query with the {@code sqlite3} shell.
 *
 * <p>Every write is one transaction in WAL mode with {@code synchronous=NORMAL}: a killed process
 * loses at most the write in flight, and every run finished before it stays. Opening an existing
 * database only ever adds to it. Failures the user can act on surface as one-line
 * {@link ResultsException}s. Methods are synchronized so that one store may be shared by threads.
 */
public final class ResultsStore implements AutoCloseable {

    public static final String FILE_NAME = "normclock.db";
    /** {@code PRAGMA application_id} of every normclock database: 'NCLK'. */
    public static final int APPLICATION_ID = 0x4E434C4B;
    /** {@code PRAGMA user_version}; a database with a higher one was written by a newer normclock. */
    public static final int SCHEMA_VERSION = 2;

    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    // Fixed width so that timestamps sort as text and SQLite's date functions read them.
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);
    // Long enough to ride out another normclock process committing to the same database.
    private static final int BUSY_TIMEOUT_MS = 30_000;

    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
            """
            CREATE TABLE IF NOT EXISTS experiments (
              id INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              command TEXT NOT NULL,
              base_key INTEGER NOT NULL,
              version TEXT,
              created_at TEXT NOT NULL)""",
            """
            CREATE TABLE IF NOT EXISTS runs (
              id INTEGER PRIMARY KEY,
              experiment_id INTEGER NOT NULL REFERENCES experiments(id),
              status TEXT NOT NULL
                CHECK (status IN ('running', 'grokked', 'censored', 'diverged', 'interrupted')),
              seed INTEGER NOT NULL,
              model TEXT,
              p INTEGER,
              train_frac REAL,
              d INTEGER,
              hidden INTEGER,
              lr REAL,
              weight_decay REAL,
              decay_order TEXT,
              rho REAL,
              wc REAL,
              clamp_target REAL,
              clamp_from INTEGER,
              temperature REAL,
              max_steps INTEGER,
              eval_grid TEXT,
              backend TEXT,
              version TEXT,
              config_json TEXT,
              t_mem INTEGER,
              t_grok INTEGER,
              norm_at_grok REAL,
              norm_e_at_grok REAL,
              norm_w1_at_grok REAL,
              norm_w2_at_grok REAL,
              final_step INTEGER,
              wall_seconds REAL,
              started_at TEXT NOT NULL,
              finished_at TEXT)""",
            "CREATE INDEX IF NOT EXISTS runs_experiment_id ON runs(experiment_id)",
            """
            CREATE TABLE IF NOT EXISTS curves (
              run_id INTEGER NOT NULL REFERENCES runs(id),
              step INTEGER NOT NULL,
              train_loss REAL,
              train_acc REAL,
              test_loss REAL,
              test_acc REAL,
              norm REAL,
              norm_e REAL,
              norm_w1 REAL,
              norm_w2 REAL,
              logit_scale REAL,
              collapse REAL,
              PRIMARY KEY (run_id, step)) WITHOUT ROWID""");

    private static final String SPEC_COLUMNS = "seed, model, p, train_frac, d, hidden, lr, weight_decay, decay_order, "
            + "rho, wc, clamp_target, clamp_from, temperature, max_steps, eval_grid, backend, version, config_json";
    private static final String RUN_COLUMNS = "id, experiment_id, status, " + SPEC_COLUMNS + ", t_mem, t_grok, "
            + "norm_at_grok, norm_e_at_grok, norm_w1_at_grok, norm_w2_at_grok, final_step, wall_seconds, "
            + "started_at, finished_at";
    private static final String CURVE_COLUMNS =
            "run_id, step, train_loss, train_acc, test_loss, test_acc, norm, norm_e, norm_w1, norm_w2, logit_scale, collapse";

    private final Path path;
    private final Connection conn;
    private boolean closed;

    private ResultsStore(Path path, Connection conn) {
        this.path = path;
        this.conn = conn;
    }

    /** Opens an existing {@code outDir/normclock.db} (for reading results); refuses a folder without one. */
    public static ResultsStore openExisting(Path outDir) throws ResultsException {
        if (!Files.exists(outDir.resolve(FILE_NAME)))
            throw new ResultsException("no results database in " + outDir + " (no " + FILE_NAME + "): give the --out folder of a normclock run");
        return open(outDir);
    }

    /**
     * Opens {@code outDir/normclock.db}, creating the folder and the database if missing. An existing
     * file must be a normclock database of this or an older schema; anything else is left untouched.
     */
    public static ResultsStore open(Path outDir) throws ResultsException {
        Path dir = outDir.toAbsolutePath().normalize();
        prepareFolder(dir);
        Path db = dir.resolve(FILE_NAME);
        if (Files.exists(db)) checkExisting(db);
        Connection conn = null;
        try {
            conn = connect(db, false, false);
            initialise(conn);
            return new ResultsStore(db, conn);
        } catch (SQLException e) {
            closeQuietly(conn, e);
            throw translate(e, db, "opening the database");
        }
    }

    public Path path() {
        return path;
    }

    /** Records an experiment; {@code command} is the full command line that started it. */
    public synchronized long createExperiment(String name, String command, long baseKey, String version) {
        return inTransaction("recording the experiment", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO experiments (name, command, base_key, version, created_at) VALUES (?, ?, ?, ?, ?)"
                            + " RETURNING id")) {
                ps.setString(1, name);
                ps.setString(2, command);
                ps.setLong(3, baseKey);
                ps.setString(4, version);
                ps.setString(5, now());
                return singleLong(ps);
            }
        });
    }

    /** Records a run as 'running'; returns its id. */
    public synchronized long startRun(long experimentId, RunSpec spec) {
        return inTransaction("recording the start of a run", () -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO runs (experiment_id, status, " + SPEC_COLUMNS
                    + ", started_at) VALUES (?, ?" + ", ?".repeat(19) + ", ?) RETURNING id")) {
                ps.setLong(1, experimentId);
                ps.setString(2, RunStatus.RUNNING.dbValue());
                int i = 3;
                ps.setInt(i++, spec.seed());
                ps.setString(i++, spec.model());
                ps.setInt(i++, spec.p());
                setReal(ps, i++, spec.trainFrac());
                ps.setInt(i++, spec.d());
                ps.setInt(i++, spec.hidden());
                setReal(ps, i++, spec.lr());
                setReal(ps, i++, spec.weightDecay());
                ps.setString(i++, spec.decayOrder());
                setReal(ps, i++, spec.rho());
                setReal(ps, i++, spec.wc());
                setReal(ps, i++, spec.clampTarget());
                ps.setInt(i++, spec.clampFrom());
                setReal(ps, i++, spec.temperature());
                ps.setInt(i++, spec.maxSteps());
                ps.setString(i++, spec.evalGrid());
                ps.setString(i++, spec.backend());
                ps.setString(i++, spec.version());
                ps.setString(i++, spec.configJson());
                ps.setString(i, now());
                return singleLong(ps);
            }
        });
    }

    /** Stores a batch of curve points (typically every run at one evaluation step): all or none. */
    public synchronized void logCurves(List<CurvePoint> points) {
        if (points.isEmpty()) return;
        inTransaction("writing learning curves", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO curves (" + CURVE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (CurvePoint c : points) {
                    ps.setLong(1, c.runId());
                    ps.setInt(2, c.step());
                    setReal(ps, 3, c.trainLoss());
                    setReal(ps, 4, c.trainAcc());
                    setReal(ps, 5, c.testLoss());
                    setReal(ps, 6, c.testAcc());
                    setReal(ps, 7, c.norm());
                    setReal(ps, 8, c.normE());
                    setReal(ps, 9, c.normW1());
                    setReal(ps, 10, c.normW2());
                    setReal(ps, 11, c.logitScale());
                    setReal(ps, 12, c.collapse());
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Records how a run ended; the status must not be {@link RunStatus#RUNNING}. */
    public synchronized void finishRun(long runId, RunOutcome outcome) {
        finishRuns(List.of(Map.entry(runId, outcome)));
    }

    /** Records how several runs ended (run id → outcome), all or none; accepts a list or a map's entry set. */
    public synchronized void finishRuns(Collection<? extends Map.Entry<Long, RunOutcome>> outcomes) {
        for (var e : outcomes)
            if (e.getValue().status() == RunStatus.RUNNING)
                throw new IllegalArgumentException("run " + e.getKey() + " cannot finish with status 'running'");
        if (outcomes.isEmpty()) return;
        inTransaction("recording the end of a run", () -> {
            String finishedAt = now();
            try (PreparedStatement ps = conn.prepareStatement("UPDATE runs SET status = ?, t_mem = ?, t_grok = ?, "
                    + "norm_at_grok = ?, norm_e_at_grok = ?, norm_w1_at_grok = ?, norm_w2_at_grok = ?, "
                    + "final_step = ?, wall_seconds = ?, finished_at = ? WHERE id = ?")) {
                for (var e : outcomes) {
                    RunOutcome o = e.getValue();
                    ps.setString(1, o.status().dbValue());
                    setStep(ps, 2, o.tMem());
                    setStep(ps, 3, o.tGrok());
                    setReal(ps, 4, o.normAtGrok());
                    setReal(ps, 5, o.normEAtGrok());
                    setReal(ps, 6, o.normW1AtGrok());
                    setReal(ps, 7, o.normW2AtGrok());
                    setStep(ps, 8, o.finalStep());
                    setReal(ps, 9, o.wallSeconds());
                    ps.setString(10, finishedAt);
                    ps.setLong(11, e.getKey());
                    if (ps.executeUpdate() != 1)
                        throw new ResultsException("no run " + e.getKey() + " in " + path
                                + " to finish: it was never started there");
                }
            }
            return null;
        });
    }

    /**
     * Makes an unfinished run (running or interrupted) resumable from {@code fromStep}: status back
     * to running, no outcome, and no curve points at or after that step (the resumed training logs
     * them again). Finished runs are refused: they are kept, never recomputed.
     */
    public synchronized void reopenRun(long runId, int fromStep) {
        inTransaction("reopening a run to resume it", () -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT status FROM runs WHERE id = ?")) {
                q.setLong(1, runId);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) throw new ResultsException("no run " + runId + " in " + path + " to resume");
                    RunStatus st = RunStatus.fromDb(rs.getString(1));
                    if (st != RunStatus.RUNNING && st != RunStatus.INTERRUPTED)
                        throw new ResultsException("run " + runId + " in " + path + " has finished (" + st.dbValue() + ") and is kept as it is");
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("UPDATE runs SET status = ?, t_mem = NULL, t_grok = NULL, "
                    + "norm_at_grok = NULL, norm_e_at_grok = NULL, norm_w1_at_grok = NULL, norm_w2_at_grok = NULL, "
                    + "final_step = NULL, wall_seconds = NULL, finished_at = NULL WHERE id = ?")) {
                ps.setString(1, RunStatus.RUNNING.dbValue());
                ps.setLong(2, runId);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM curves WHERE run_id = ? AND step >= ?")) {
                ps.setLong(1, runId);
                ps.setInt(2, fromStep);
                ps.executeUpdate();
            }
            return null;
        });
    }

    public synchronized List<ExperimentRow> experiments() {
        return inTransaction("reading experiments", () -> {
            List<ExperimentRow> rows = new ArrayList<>();
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery(
                         "SELECT id, name, command, base_key, version, created_at FROM experiments ORDER BY id")) {
                while (rs.next())
                    rows.add(new ExperimentRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getString(5), rs.getString(6)));
            }
            return rows;
        });
    }

    /** The runs of one experiment in the order they were started. */
    public synchronized List<RunRow> runs(long experimentId) {
        return queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE experiment_id = ? ORDER BY id", experimentId);
    }

    /** Every run of every experiment in the order they were started. */
    public synchronized List<RunRow> allRuns() {
        return queryRuns("SELECT " + RUN_COLUMNS + " FROM runs ORDER BY id", null);
    }

    /** The learning curve of one run, by step. */
    public synchronized List<CurvePoint> curve(long runId) {
        return inTransaction("reading a learning curve", () -> {
            List<CurvePoint> points = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT " + CURVE_COLUMNS + " FROM curves WHERE run_id = ? ORDER BY step")) {
                ps.setLong(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next())
                        points.add(new CurvePoint(rs.getLong(1), rs.getInt(2), real(rs, 3), real(rs, 4), real(rs, 5),
                                real(rs, 6), real(rs, 7), real(rs, 8), real(rs, 9), real(rs, 10), real(rs, 11), real(rs, 12)));
                }
            }
            return points;
        });
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            conn.close();
        } catch (SQLException e) {
            throw translate(e, path, "closing the database");
        }
    }

    // ---- opening ---------------------------------------------------------------------------------

    private static void prepareFolder(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw notAFolder(dir, dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            // Name the ancestor that is in the way rather than echo the OS's "Not a directory".
            for (Path p = dir.getParent(); p != null; p = p.getParent())
                if (Files.exists(p)) {
                    if (!Files.isDirectory(p)) throw notAFolder(dir, p);
                    break;
                }
            throw new ResultsException("cannot write results to " + dir + ": cannot create the folder ("
                    + reason(e) + "); pass a writable folder to --out", e);
        }
        if (!Files.isWritable(dir))
            throw new ResultsException("cannot write results to " + dir
                    + ": the folder is read-only; make it writable or pass another folder to --out");
    }

    private static ResultsException notAFolder(Path dir, Path file) {
        return new ResultsException("cannot write results to " + dir + ": "
                + (file.equals(dir) ? "it" : file.toString()) + " is a file, not a folder; pass a folder to --out");
    }

    /**
     * Refuses anything but a normclock database, without writing to it: the header is read before
     * SQLite sees the file, and a SQLite file is inspected over a read-only connection.
     */
    private static void checkExisting(Path db) {
        if (Files.isDirectory(db))
            throw new ResultsException(db + " is a folder, not a normclock results database; "
                    + "move it away or choose another --out");
        byte[] head = new byte[SQLITE_MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(db)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ResultsException("cannot read " + db + " (" + reason(e)
                    + "); check its permissions or choose another --out", e);
        }
        // An empty file is an empty database to SQLite: there is nothing in it to lose.
        if (n > 0 && (n < head.length || !Arrays.equals(head, SQLITE_MAGIC))) throw notOurs(db, "it is not SQLite");
        // Without a WAL the main file is the whole database, and immutable=1 reads it without leaving
        // -shm/-wal files beside someone else's file. With one, committed data may live only there.
        boolean immutable = !Files.exists(db.resolveSibling(db.getFileName() + "-wal"));
        try (Connection ro = connect(db, true, immutable); Statement st = ro.createStatement()) {
            int appId = pragmaInt(st, "application_id");
            int version = pragmaInt(st, "user_version");
            if (appId == APPLICATION_ID) {
                if (version > SCHEMA_VERSION)
                    throw new ResultsException(db + " was written by a newer normclock (schema version " + version
                            + ", this one reads up to " + SCHEMA_VERSION + "); upgrade normclock or choose another --out");
                return;
            }
            // A process killed while creating the database leaves it empty; taking it over loses nothing.
            if (appId == 0 && version == 0 && countObjects(st) == 0) return;
            throw notOurs(db, appId == 0 ? "it is the SQLite database of another program"
                    : String.format("it belongs to another program, application id 0x%08X", appId));
        } catch (SQLException e) {
            throw translate(e, db, "checking the database");
        }
    }

    private static ResultsException notOurs(Path db, String why) {
        return new ResultsException(db + " is not a normclock results database (" + why
                + "); move it away or choose another --out");
    }

    private static Connection connect(Path db, boolean readOnly, boolean immutable) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        if (readOnly) {
            config.setReadOnly(true);
        } else {
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
            config.enforceForeignKeys(true);
        }
        // A percent-encoded file: URI, so that '?' or '#' in a folder name is not read as parameters.
        return config.createConnection("jdbc:sqlite:" + db.toUri() + (immutable ? "?immutable=1" : ""));
    }

    private static void initialise(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            int version = pragmaInt(st, "user_version");
            if (version >= SCHEMA_VERSION) return;
            // Schema, identity and version commit together, so a half-made database is never taken for ours.
            conn.setAutoCommit(false);
            try {
                if (version == 1) { // schema 1 had no Paper B metrics in the curves
                    st.execute("ALTER TABLE curves ADD COLUMN logit_scale REAL");
                    st.execute("ALTER TABLE curves ADD COLUMN collapse REAL");
                }
                for (String ddl : SCHEMA) st.execute(ddl);
                st.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '" + SCHEMA_VERSION
                        + "'), ('application', 'normclock')");
                st.execute("PRAGMA application_id = " + APPLICATION_ID);
                st.execute("PRAGMA user_version = " + SCHEMA_VERSION);
                conn.commit();
            } catch (SQLException e) {
                rollbackQuietly(conn, e);
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        }
    }

    // ---- errors ----------------------------------------------------------------------------------

    private static final Pattern CODE_IN_MESSAGE = Pattern.compile("\\[(SQLITE_[A-Z_]+)]");

    /** Turns a SQLite failure into a one-line message that says what to do. */
    static ResultsException translate(SQLException e, Path db, String action) {
        String detail = firstLine(e.getMessage());
        return switch (primaryCode(e)) {
            case SQLITE_FULL -> new ResultsException("disk full while writing results to " + db
                    + ": free space and run again; finished runs are kept", e);
            case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM -> new ResultsException("cannot write results to " + db
                    + ": it or its folder is not writable (" + detail + "); fix the permissions or choose another --out", e);
            case SQLITE_CORRUPT, SQLITE_NOTADB -> new ResultsException(db + " is corrupt (" + detail
                    + "); move it away and choose another --out (the sqlite3 shell's .recover may save its rows)", e);
            case SQLITE_BUSY, SQLITE_LOCKED -> new ResultsException(db + " is locked by another process ("
                    + detail + "); wait for it to finish or choose another --out", e);
            case SQLITE_IOERR -> new ResultsException("I/O error on " + db + " while " + action + " (" + detail
                    + "); check the disk and run again; finished runs are kept", e);
            default -> new ResultsException("results database " + db + ": " + action + " failed: " + detail, e);
        };
    }

    private static SQLiteErrorCode primaryCode(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t instanceof SQLiteException s) return SQLiteErrorCode.getErrorCode(s.getResultCode().code & 0xFF);
        // Batch and wrapper exceptions only carry the code in their text.
        Matcher m = CODE_IN_MESSAGE.matcher(String.valueOf(e.getMessage()));
        if (m.find()) {
            try {
                return SQLiteErrorCode.getErrorCode(SQLiteErrorCode.valueOf(m.group(1)).code & 0xFF);
            } catch (IllegalArgumentException ignored) {
                // not a code this driver knows
            }
        }
        return e.getErrorCode() > 0 ? SQLiteErrorCode.getErrorCode(e.getErrorCode() & 0xFF) : SQLiteErrorCode.UNKNOWN_ERROR;
    }

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) return "no detail";
        return s.strip().lines().findFirst().orElse("").strip();
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return firstLine(e.getMessage());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    private <T> T inTransaction(String action, Work<T> work) {
        if (closed) throw new IllegalStateException("the results store " + path + " is closed");
        try {
            conn.setAutoCommit(false);
            try {
                T result = work.run();
                conn.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(conn, e);
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw translate(e, path, action);
        }
    }

    private List<RunRow> queryRuns(String sql, Long experimentId) {
        return inTransaction("reading runs", () -> {
            List<RunRow> rows = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                if (experimentId != null) ps.setLong(1, experimentId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) rows.add(runRow(rs));
                }
            }
            return rows;
        });
    }

    private static RunRow runRow(ResultSet rs) throws SQLException {
        RunSpec spec = new RunSpec(rs.getInt("seed"), rs.getString("model"), rs.getInt("p"), real(rs, "train_frac"),
                rs.getInt("d"), rs.getInt("hidden"), real(rs, "lr"), real(rs, "weight_decay"),
                rs.getString("decay_order"), real(rs, "rho"), real(rs, "wc"), real(rs, "clamp_target"),
                rs.getInt("clamp_from"), real(rs, "temperature"), rs.getInt("max_steps"), rs.getString("eval_grid"),
                rs.getString("backend"), rs.getString("version"), rs.getString("config_json"));
        RunOutcome outcome = new RunOutcome(RunStatus.fromDb(rs.getString("status")), step(rs, "t_mem"),
                step(rs, "t_grok"), real(rs, "norm_at_grok"), real(rs, "norm_e_at_grok"), real(rs, "norm_w1_at_grok"),
                real(rs, "norm_w2_at_grok"), step(rs, "final_step"), real(rs, "wall_seconds"));
        return new RunRow(rs.getLong("id"), rs.getLong("experiment_id"), spec, outcome, rs.getString("started_at"),
                rs.getString("finished_at"));
    }

    private static long singleLong(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) throw new SQLException("INSERT returned no id");
            return rs.getLong(1);
        }
    }

    /** NaN is stored as NULL: "not applicable" reads the same in SQL as in Java. */
    private static void setReal(PreparedStatement ps, int i, double v) throws SQLException {
        if (Double.isNaN(v)) ps.setNull(i, Types.REAL);
        else ps.setDouble(i, v);
    }

    /** A negative step (-1: not reached) is stored as NULL so aggregates skip it. */
    private static void setStep(PreparedStatement ps, int i, int step) throws SQLException {
        if (step < 0) ps.setNull(i, Types.INTEGER);
        else ps.setInt(i, step);
    }

    private static double real(ResultSet rs, int column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? Double.NaN : v;
    }

    private static double real(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? Double.NaN : v;
    }

    private static int step(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? -1 : v;
    }

    private static int pragmaInt(Statement st, String pragma) throws SQLException {
        try (ResultSet rs = st.executeQuery("PRAGMA " + pragma)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static int countObjects(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static String now() {
        return TIME.format(Instant.now());
    }

    private static void rollbackQuietly(Connection conn, Exception failure) {
        try {
            conn.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    private static void closeQuietly(Connection conn, Exception failure) {
        if (conn == null) return;
        try {
            conn.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
