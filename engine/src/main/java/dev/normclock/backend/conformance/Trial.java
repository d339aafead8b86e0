package dev.normclock.backend.conformance;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;

/**
 * One case's run: its inputs, made alike for the reference and the candidate, the calls on both,
 * the invariants every call must keep and the comparisons of the outputs, with the worst error.
 *
 * <p>Every tensor has {@link #MODELS} slots, of which the calls list {@link #LISTED}: two runs of
 * consecutive slots with a gap, so batching over runs of slots is exercised. The gap, slot
 * {@link #IDLE}, is a retired model: NaN in its inputs (a backend that read them would spread NaN)
 * and a sentinel in its outputs, all of which must stay as they were, bit for bit, padding
 * included. After each call the candidate's inputs must be unchanged bit for bit, and the padding
 * columns of what it wrote must still be zero.
 *
 * <p>The candidate is reached only through {@link Backend}: {@link Backend#hostChanged} before a
 * call (the suite wrote its tensors on the host) and {@link Backend#syncToHost} after it (the suite
 * reads them), so a backend that computes in copies elsewhere is checked as it is used.
 */
final class Trial implements AutoCloseable {
    static final int MODELS = 5, IDLE = 2;
    static final int[] LISTED = {0, 1, 3, 4};
    static final double SENTINEL = 1234.5;
    private static final float ROW_SENTINEL = -7f;

    private final Backend reference, candidate;
    final Random rnd;
    private final Arena arena = Arena.ofShared(); // a CPU backend's worker threads read the tensors
    private final List<Twin> twins = new ArrayList<>();
    private final List<Rows> rows = new ArrayList<>();
    private final List<Flags> flags = new ArrayList<>();
    private double worst;
    private String where;
    private int compared;

    Trial(Backend reference, Backend candidate, long seed) {
        this.reference = reference;
        this.candidate = candidate;
        this.rnd = new Random(seed);
    }

    /** A value of element (m, r, c) of a generated tensor. */
    @FunctionalInterface
    interface Values {
        double at(int m, int r, int c);
    }

    /** A tolerance of element (m, r, c) of an output. */
    @FunctionalInterface
    interface Tolerance {
        double at(int m, int r, int c);
    }

    /** A tolerance of row i of model m of a per-row output. */
    @FunctionalInterface
    interface RowTolerance {
        double at(int m, int i);
    }

    /** The call, on the reference's tensors ({@code ref} true) or on the candidate's. */
    @FunctionalInterface
    interface Call {
        void run(Backend be, boolean ref);
    }

    /** N(0, std²) rounded to float. */
    double gauss(double std) {
        return (float) (rnd.nextGaussian() * std);
    }

    // ------------------------------------------------------------------------------------------
    // Inputs and outputs
    // ------------------------------------------------------------------------------------------

    /** A tensor holding the floats {@code f} gives in the listed slots and NaN in the idle one, padding included. */
    Twin input(int rows, int cols, Values f) {
        Twin t = allocate(rows, cols);
        for (int m : LISTED) fill(t, m, f);
        fillRaw(t.ref(), IDLE, Double.NaN);
        fillRaw(t.cand(), IDLE, Double.NaN);
        return t;
    }

    /** An input of N(0, std²) floats. */
    Twin gaussian(int rows, int cols, double std) {
        return input(rows, cols, (m, r, c) -> gauss(std));
    }

    /** An output: garbage in the listed slots (a primitive that overwrites must not read it) and a sentinel in the idle one. */
    Twin output(int rows, int cols) {
        Twin t = allocate(rows, cols);
        for (int m : LISTED) fill(t, m, (mm, r, c) -> gauss(1));
        fillRaw(t.ref(), IDLE, SENTINEL);
        fillRaw(t.cand(), IDLE, SENTINEL);
        return t;
    }

    /** Sets the listed slots of a tensor again (both sides alike), e.g. to reuse an output as the next call's input. */
    void fill(Twin t, int m, Values f) {
        for (int r = 0; r < t.rows(); r++)
            for (int c = 0; c < t.cols(); c++) {
                float v = (float) f.at(m, r, c);
                t.ref().set(m, r, c, v);
                t.cand().set(m, r, c, v);
            }
    }

    private Twin allocate(int rows, int cols) {
        Twin t = new Twin(Tensor.allocate(arena, MODELS, rows, cols, Precision.FLOAT64),
                Tensor.allocate(arena, MODELS, rows, cols, candidate.precision()));
        twins.add(t);
        return t;
    }

    /** Per-row float outputs (a loss's rows), the idle slot's a sentinel that must stay. */
    Rows rows(int n) {
        Rows r = new Rows(new float[MODELS][n], new float[MODELS][n]);
        Arrays.fill(r.cand[IDLE], ROW_SENTINEL);
        rows.add(r);
        return r;
    }

    /** Per-row flags (a loss's correctness), the idle slot's all true and to stay so. */
    Flags flags(int n) {
        Flags f = new Flags(new boolean[MODELS][n], new boolean[MODELS][n]);
        Arrays.fill(f.cand[IDLE], true);
        flags.add(f);
        return f;
    }

    record Rows(float[][] ref, float[][] cand) {
        float[][] of(boolean reference) {
            return reference ? ref : cand;
        }
    }

    record Flags(boolean[][] ref, boolean[][] cand) {
        boolean[][] of(boolean reference) {
            return reference ? ref : cand;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Calls
    // ------------------------------------------------------------------------------------------

    /**
     * Runs the call on the reference and then on the candidate, each on its own tensors, and checks
     * the invariants on the candidate's: every tensor's idle slot and every tensor not in
     * {@code written} unchanged bit for bit, the padding of those written still zero.
     */
    void run(Call call, Twin... written) {
        List<long[][]> before = new ArrayList<>();
        for (Twin t : twins) before.add(snapshot(t.cand()));
        candidate.hostChanged();
        call.run(reference, true);
        call.run(candidate, false);
        candidate.syncToHost();
        for (int i = 0; i < twins.size(); i++) {
            Twin t = twins.get(i);
            boolean out = Arrays.asList(written).contains(t);
            long[][] now = snapshot(t.cand());
            for (int m = 0; m < MODELS; m++) {
                if (m != IDLE && out) continue;
                int at = firstDifference(before.get(i)[m], now[m]);
                if (at >= 0)
                    violation((m == IDLE ? "the idle slot " + m : "an input, slot " + m) + " of a " + t.rows() + "×" + t.cols()
                            + " tensor changed at element " + at / t.cand().ld + ", " + at % t.cand().ld);
            }
            if (out)
                for (int m : LISTED)
                    for (int r = 0; r < t.rows(); r++)
                        for (int c = t.cols(); c < t.cand().ld; c++)
                            if (t.cand().getDouble(m, r, c) != 0)
                                violation("padding of slot " + m + " row " + r + " column " + c + " of a " + t.rows() + "×" + t.cols()
                                        + " output is " + t.cand().getDouble(m, r, c) + ", not 0");
        }
        for (Rows r : rows)
            for (float v : r.cand[IDLE]) if (v != ROW_SENTINEL) violation("the idle slot's row outputs were written");
        for (Flags f : flags)
            for (boolean v : f.cand[IDLE]) if (!v) violation("the idle slot's row flags were written");
    }

    private static int firstDifference(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return i;
        return -1;
    }

    /** Every element's bits of every slot, padding included. */
    private static long[][] snapshot(Tensor t) {
        long[][] out = new long[t.models][t.rows * t.ld];
        for (int m = 0; m < t.models; m++) {
            long base = t.offset + m * t.modelStride;
            for (int i = 0; i < out[m].length; i++)
                out[m][i] = t.precision == Precision.FLOAT64 ? Double.doubleToRawLongBits(t.seg.getAtIndex(ValueLayout.JAVA_DOUBLE, base + i))
                        : Float.floatToRawIntBits(t.seg.getAtIndex(ValueLayout.JAVA_FLOAT, base + i));
        }
        return out;
    }

    private static void fillRaw(Tensor t, int m, double v) {
        long base = t.offset + m * t.modelStride;
        for (int i = 0; i < t.rows * t.ld; i++)
            if (t.precision == Precision.FLOAT64) t.seg.setAtIndex(ValueLayout.JAVA_DOUBLE, base + i, v);
            else t.seg.setAtIndex(ValueLayout.JAVA_FLOAT, base + i, (float) v);
    }

    // ------------------------------------------------------------------------------------------
    // Comparisons
    // ------------------------------------------------------------------------------------------

    /** Every element of the listed slots of an output against the reference's. */
    void compare(String what, Twin out, Tolerance tol) {
        for (int m : LISTED)
            for (int r = 0; r < out.rows(); r++)
                for (int c = 0; c < out.cols(); c++) {
                    int mm = m, rr = r, cc = c;
                    note(out.ref().getDouble(m, r, c), out.cand().getDouble(m, r, c), tol.at(m, r, c),
                            () -> what + " slot " + mm + " [" + rr + "][" + cc + "]");
                }
    }

    /** Every row of the listed slots of a per-row output against the reference's. */
    void compare(String what, Rows out, RowTolerance tol) {
        for (int m : LISTED)
            for (int i = 0; i < out.ref[m].length; i++) {
                int mm = m, ii = i;
                note(out.ref[m][i], out.cand[m][i], tol.at(m, i), () -> what + " slot " + mm + " row " + ii);
            }
    }

    /** Per-row flags must agree, except where {@code tie} says the reference's decision is within rounding of the other. */
    void compare(String what, Flags out, RowTie tie) {
        for (int m : LISTED)
            for (int i = 0; i < out.ref[m].length; i++) {
                compared++;
                if (out.ref[m][i] != out.cand[m][i] && !tie.at(m, i))
                    violation(what + " slot " + m + " row " + i + ": " + out.cand[m][i] + ", the reference " + out.ref[m][i]);
            }
    }

    @FunctionalInterface
    interface RowTie {
        boolean at(int m, int i);
    }

    /** One value against the reference's. */
    void compare(String what, double ref, double cand, double tol) {
        note(ref, cand, tol, () -> what);
    }

    /**
     * Error in units of the tolerance: |cand − ref| / tol; a tolerance of 0 demands equality. A NaN
     * (in either value or in the tolerance) stays the worst for good.
     */
    private void note(double ref, double cand, double tol, Supplier<String> at) {
        compared++;
        double diff = Math.abs(cand - ref);
        double units = Double.isNaN(diff) || Double.isNaN(tol) ? Double.NaN : tol > 0 ? diff / tol : diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        if (Double.isNaN(worst) || units <= worst && where != null) return;
        worst = units;
        where = String.format(Locale.ROOT, "%s: %.9g, the reference %.9g (tolerance %.3g)", at.get(), cand, ref, tol);
    }

    /** A broken invariant: fails the case; the first one is reported. */
    void violation(String what) {
        compared++;
        if (Double.isNaN(worst) || worst == Double.POSITIVE_INFINITY && where != null) return;
        worst = Double.POSITIVE_INFINITY;
        where = what;
    }

    /** The case's result; one that compared nothing fails. */
    Result result(String name, String rule) {
        return new Result(name, rule, compared == 0 ? Double.NaN : worst, compared == 0 ? "nothing was compared" : where == null ? "every comparison agreed" : where);
    }

    /** Drops the candidate's copies of the tensors before their memory is freed. */
    @Override
    public void close() {
        try {
            candidate.syncToHost();
        } finally {
            arena.close();
            candidate.hostChanged();
        }
    }
}
