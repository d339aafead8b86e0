package dev.normclock.analysis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The two papers' released per-seed results (arXiv 2606.13753 "Paper A", arXiv 2606.18465
 * "Paper B"; MIT licence, attribution in {@code dev/normclock/reference/README.md} on the
 * classpath), read once from the classpath and cached. A reproduction is compared with them cell by
 * cell: distribution of T_grok, grokked fraction, rank test.
 */
public final class ReferenceData {

    /** Which paper's file. */
    public enum Paper {
        A("paperA_per_seed.csv", List.of("experiment", "cell", "model", "p", "train_frac", "parity_n", "parity_k", "parity_m",
            "d", "H", "wd", "lr", "arm", "rho", "wc", "t_int", "max_steps", "seed", "T_mem", "T_grok", "norm_at_grok")),
        B("paperB_per_seed.csv", List.of("experiment", "cell", "arch", "loss", "p", "train_frac", "d", "H", "wd", "lr", "arm",
            "rho", "tau", "gamma", "wc", "t_int", "t_fork", "max_steps", "seed", "T_mem", "T_grok", "norm_at_grok"));

        private final String file;
        private final List<String> columns;

        Paper(String file, List<String> columns) {
            this.file = file;
            this.columns = columns;
        }

        /** The file name under {@code dev/normclock/reference/}. */
        public String file() {
            return file;
        }
    }

    private static final String RESOURCE_DIR = "/dev/normclock/reference/";
    /** Relative tolerance for matching configuration numbers in {@link #find}. */
    public static final double MATCH_TOLERANCE = 1e-9;

    private ReferenceData() {
    }

    private static final class HolderA {
        static final List<ReferenceRun> RUNS = load(Paper.A);
        static final List<ReferenceCell> CELLS = group(RUNS);
    }

    private static final class HolderB {
        static final List<ReferenceRun> RUNS = load(Paper.B);
        static final List<ReferenceCell> CELLS = group(RUNS);
    }

    /** All of Paper A's rows, in file order. */
    public static List<ReferenceRun> paperA() {
        return HolderA.RUNS;
    }

    /** All of Paper B's rows, in file order ({@code arch} is in {@link ReferenceRun#model()}). */
    public static List<ReferenceRun> paperB() {
        return HolderB.RUNS;
    }

    public static List<ReferenceRun> runs(Paper paper) {
        return paper == Paper.A ? paperA() : paperB();
    }

    /** Paper A's rows grouped by (experiment, cell), in order of first appearance. */
    public static List<ReferenceCell> cells() {
        return HolderA.CELLS;
    }

    /** The paper's rows grouped by (experiment, cell), in order of first appearance. */
    public static List<ReferenceCell> cells(Paper paper) {
        return paper == Paper.A ? HolderA.CELLS : HolderB.CELLS;
    }

    /** {@link #find(Paper, String, int, double, double, double, String, double)} in Paper A. */
    public static Optional<ReferenceCell> find(String experiment, int p, double trainFrac, double wd, double lr, String armKind, double rho) {
        return find(Paper.A, experiment, p, trainFrac, wd, lr, armKind, rho);
    }

    /**
     * The cell of {@code experiment} with this configuration. {@code armKind} is a
     * {@link ReferenceRun#armKind()}: "free" (arms ctrl, none, fss, free, ab), "clamp" (whole
     * model), "rescale", a one-group arm such as "clamp_unembed" or "layer_embed", or any other
     * released arm name. Numbers match within a relative tolerance of 1e-9 (NaN matches NaN, e.g.
     * the training fraction of sparse parity); ρ is ignored for the "free" kind, whose rows hold ρ
     * empty or 1.0.
     *
     * @throws IllegalStateException when several cells match (the arguments do not pin one down,
     *                               e.g. Paper A's sparse parity, Paper B's τ grids);
     *                               select from {@link #cells(Paper)} directly then
     */
    public static Optional<ReferenceCell> find(Paper paper, String experiment, int p, double trainFrac, double wd, double lr,
                                               String armKind, double rho) {
        List<ReferenceCell> hits = new ArrayList<>();
        for (ReferenceCell c : cells(paper)) {
            if (c.experiment().equals(experiment) && c.p() == p && close(c.trainFrac(), trainFrac) && close(c.wd(), wd)
                && close(c.lr(), lr) && c.armKind().equals(armKind) && (armKind.equals("free") || close(c.rho(), rho)))
                hits.add(c);
        }
        if (hits.size() > 1)
            throw new IllegalStateException(hits.size() + " cells match: " + hits.stream().map(ReferenceCell::cell).toList());
        return hits.stream().findFirst();
    }

    /**
     * Paper A's sparse-parity cell of {@code experiment} (parity, parity_lambda) with these bits n,
     * relevant bits k, training points m, hidden width H, λ, lr and arm (ρ ignored for "free", as in
     * {@link #find}). The test size is not released (PROTOCOL §1: 2000 fresh points).
     *
     * @throws IllegalStateException when several cells match
     */
    public static Optional<ReferenceCell> findParity(String experiment, int n, int k, int m, int hidden, double wd, double lr,
                                                     String armKind, double rho) {
        List<ReferenceCell> hits = new ArrayList<>();
        for (ReferenceCell c : cells(Paper.A)) {
            if (c.experiment().equals(experiment) && "parity_mlp".equals(c.model()) && c.parityN() == n && c.parityK() == k
                && c.parityM() == m && c.hidden() == hidden && close(c.wd(), wd) && close(c.lr(), lr) && c.armKind().equals(armKind)
                && (armKind.equals("free") || close(c.rho(), rho)))
                hits.add(c);
        }
        if (hits.size() > 1)
            throw new IllegalStateException(hits.size() + " cells match: " + hits.stream().map(ReferenceCell::cell).toList());
        return hits.stream().findFirst();
    }

    /** Whether {@code experiment} names one of Paper B's experiments (the two papers share no name). */
    public static boolean isPaperB(String experiment) {
        return cells(Paper.B).stream().anyMatch(c -> c.experiment().equals(experiment));
    }

    /**
     * Paper B's cell of {@code experiment} with this configuration, loss and temperature. Where a
     * clamp arm matches both a control and a base cell (Paper B's MSE controls are clamps at
     * ρ = 1), the one that is not the control is taken.
     */
    public static Optional<ReferenceCell> findB(String experiment, int p, double trainFrac, double wd, double lr, String armKind,
                                                double rho, String loss, double tau) {
        List<ReferenceCell> hits = new ArrayList<>();
        for (ReferenceCell c : cells(Paper.B)) {
            if (c.experiment().equals(experiment) && c.p() == p && close(c.trainFrac(), trainFrac) && close(c.wd(), wd)
                && close(c.lr(), lr) && c.armKind().equals(armKind) && (armKind.equals("free") || close(c.rho(), rho))
                && c.loss().equals(loss) && (Double.isNaN(c.tau()) ? tau == 1 : close(c.tau(), tau)))
                hits.add(c);
        }
        if (hits.size() > 1) hits.removeIf(c -> c.cell().endsWith("_ctrl"));
        if (hits.size() > 1)
            throw new IllegalStateException(hits.size() + " cells match: " + hits.stream().map(ReferenceCell::cell).toList());
        return hits.stream().findFirst();
    }

    static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.isNaN(a) && Double.isNaN(b);
        return Math.abs(a - b) <= MATCH_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
    }

    private static List<ReferenceCell> group(List<ReferenceRun> runs) {
        Map<String, List<ReferenceRun>> byCell = new LinkedHashMap<>();
        for (ReferenceRun r : runs) byCell.computeIfAbsent(r.experiment() + "\u0000" + r.cell(), k -> new ArrayList<>()).add(r);
        return byCell.values().stream().map(rs -> new ReferenceCell(rs.getFirst().experiment(), rs.getFirst().cell(), rs)).toList();
    }

    private static List<ReferenceRun> load(Paper paper) {
        String path = RESOURCE_DIR + paper.file;
        try (InputStream in = ReferenceData.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("reference data " + path + " is not on the classpath");
            return parse(paper, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** Parses a paper's CSV (plain comma-separated, no quoting, header first). */
    static List<ReferenceRun> parse(Paper paper, BufferedReader reader, String name) throws IOException {
        String header = reader.readLine();
        if (header == null) throw new IllegalStateException(name + " is empty");
        String[] names = header.strip().split(",", -1);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.length; i++) index.put(names[i], i);
        for (String c : paper.columns)
            if (!index.containsKey(c)) throw new IllegalStateException(name + ": header lacks column '" + c + "': " + header);
        List<ReferenceRun> runs = new ArrayList<>();
        String line;
        int lineNo = 1;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] f = line.split(",", -1);
            if (f.length != names.length)
                throw new IllegalStateException(name + " line " + lineNo + ": " + f.length + " fields, header has " + names.length);
            Row row = new Row(f, index, name, lineNo);
            for (String required : List.of("experiment", "cell", "arm"))
                if (row.text(required) == null) throw new IllegalStateException(name + " line " + lineNo + ": empty " + required);
            runs.add(new ReferenceRun(row.text("experiment"), row.text("cell"), row.text(paper == Paper.A ? "model" : "arch"),
                row.integer("p"), row.real("train_frac"), row.integer("parity_n"), row.integer("parity_k"), row.integer("parity_m"),
                row.integer("d"), row.integer("H"), row.real("wd"), row.real("lr"), row.text("arm"), row.real("rho"), row.real("wc"),
                row.integer("t_int"), row.integer("max_steps"), row.integer("seed"), row.integer("T_mem"), row.integer("T_grok"),
                row.real("norm_at_grok"), row.text("loss"), row.real("tau"), row.real("gamma"), row.integer("t_fork")));
        }
        return List.copyOf(runs);
    }

    /** One CSV line; a column the file lacks or an empty field reads as −1 / NaN / null. */
    private record Row(String[] fields, Map<String, Integer> index, String name, int lineNo) {
        String raw(String column) {
            Integer i = index.get(column);
            if (i == null) return null;
            String s = fields[i].strip();
            return s.isEmpty() ? null : s;
        }

        String text(String column) {
            return raw(column);
        }

        int integer(String column) {
            String s = raw(column);
            if (s == null) return -1;
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalStateException(name + " line " + lineNo + ": column " + column + " is not a whole number: '" + s + "'");
            }
        }

        double real(String column) {
            String s = raw(column);
            if (s == null) return Double.NaN;
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalStateException(name + " line " + lineNo + ": column " + column + " is not a number: '" + s + "'");
            }
        }
    }
}
