package dev.normclock.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A tensor of a population, laid out [model][rows][cols] in one off-heap segment, of floats or
 * (for the float64 precision audit) doubles. Rows are padded to {@link #ld} elements (a multiple
 * of 16, one AVX-512 vector of floats) and each model's block to a multiple of 16 elements, so
 * every row starts 64-byte aligned and vector loops need no tails. Padding columns hold zeros
 * and stay zero through training. A view of a row range shares memory. Offsets and strides
 * count elements; {@link #bytes} converts them to byte offsets.
 */
public final class Tensor {
    public static final int ALIGN_FLOATS = 16;

    public final MemorySegment seg;
    public final long offset;      // in floats, of model 0, row 0
    public final int models, rows, cols, ld;
    public final long modelStride; // in elements
    public final Precision precision;
    /**
     * Workspace: what it holds does not outlive the step that writes it, so a backend that keeps
     * copies of tensors elsewhere (cuda) never copies it back and forth, beyond its zeros once.
     */
    public final boolean scratch;

    private Tensor(MemorySegment seg, long offset, int models, int rows, int cols, int ld, long modelStride, Precision precision, boolean scratch) {
        this.seg = seg;
        this.scratch = scratch;
        this.precision = precision;
        this.offset = offset;
        this.models = models;
        this.rows = rows;
        this.cols = cols;
        this.ld = ld;
        this.modelStride = modelStride;
    }

    public static int padded(int cols) {
        return (cols + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    }

    public static Tensor allocate(Arena arena, int models, int rows, int cols) {
        return allocate(arena, models, rows, cols, Precision.FLOAT32);
    }

    public static Tensor allocate(Arena arena, int models, int rows, int cols, Precision precision) {
        return allocate(arena, models, rows, cols, precision, false);
    }

    /** As {@link #allocate(Arena, int, int, int, Precision)}; {@code scratch}: workspace (see {@link #scratch}). */
    public static Tensor allocate(Arena arena, int models, int rows, int cols, Precision precision, boolean scratch) {
        MemorySegment seg = arena.allocate(plannedBytes(models, rows, cols, precision), 64);
        return new Tensor(seg, 0, models, rows, cols, padded(cols), modelStride(rows, cols), precision, scratch);
    }

    /**
     * The bytes {@link #allocate} takes for this shape, counted in 64 bits before anything is
     * allocated (a memory plan adds these up). One model's block must stay indexable by an int, as
     * the kernels index it: an IllegalArgumentException says so where it would not.
     */
    public static long plannedBytes(long models, long rows, long cols, Precision precision) {
        return Math.multiplyExact(Math.max(1, Math.multiplyExact(modelStride(rows, cols), models)), (long) precision.bytes);
    }

    /** One model's elements, rows padded to whole vectors and the block to a whole vector. */
    private static long modelStride(long rows, long cols) {
        long ld = (cols + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        long stride = (Math.multiplyExact(rows, ld) + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        if (stride > Integer.MAX_VALUE)
            throw new IllegalArgumentException("one model's tensor of " + rows + " × " + cols + " would hold " + stride
                    + " elements, more than normclock indexes in one block (2³¹ − 1): use a smaller p, width or training set");
        return stride;
    }

    /** The byte offset of element index {@code index} (as {@link #at} and {@link #rowAt} give). */
    public long bytes(long index) {
        return index * precision.bytes;
    }

    private boolean doubles() {
        return precision == Precision.FLOAT64;
    }

    /** Rows [from, to) of every model, sharing memory. */
    public Tensor rowRange(int from, int to) {
        return new Tensor(seg, offset + (long) from * ld, models, to - from, cols, ld, modelStride, precision, scratch);
    }

    /**
     * A view in which model slots [first, first + count) of the caller map onto this tensor's models
     * 0 … count−1. A population keeps its per-step workspace for a few models only and reuses it
     * for each group of slots, so memory does not grow with the number of models.
     */
    public Tensor window(int first) {
        return new Tensor(seg, offset - first * modelStride, first + models, rows, cols, ld, modelStride, precision, scratch);
    }

    /** Index in elements of element (m, r, c). */
    public long at(int m, int r, int c) {
        return offset + m * modelStride + (long) r * ld + c;
    }

    public long rowAt(int m, int r) {
        return offset + m * modelStride + (long) r * ld;
    }

    /** Element (m, r, c), rounded to float in a float64 tensor. */
    public float get(int m, int r, int c) {
        return (float) getDouble(m, r, c);
    }

    public double getDouble(int m, int r, int c) {
        return doubles() ? seg.getAtIndex(ValueLayout.JAVA_DOUBLE, at(m, r, c)) : seg.getAtIndex(ValueLayout.JAVA_FLOAT, at(m, r, c));
    }

    public void set(int m, int r, int c, double v) {
        if (doubles()) seg.setAtIndex(ValueLayout.JAVA_DOUBLE, at(m, r, c), v);
        else seg.setAtIndex(ValueLayout.JAVA_FLOAT, at(m, r, c), (float) v);
    }

    public int size() {
        return rows * cols;
    }

    /** Model m's values, row-major without padding (rounded to float in a float64 tensor). */
    public float[] toArray(int m) {
        float[] out = new float[rows * cols];
        if (doubles()) {
            double[] d = toDoubleArray(m);
            for (int i = 0; i < out.length; i++) out[i] = (float) d[i];
            return out;
        }
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, bytes(rowAt(m, r)), out, r * cols, cols);
        return out;
    }

    /** Model m's values, row-major without padding, exactly. */
    public double[] toDoubleArray(int m) {
        double[] out = new double[rows * cols];
        if (!doubles()) {
            float[] f = toArray(m);
            for (int i = 0; i < out.length; i++) out[i] = f[i];
            return out;
        }
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(seg, ValueLayout.JAVA_DOUBLE, bytes(rowAt(m, r)), out, r * cols, cols);
        return out;
    }

    /** Sets model m's values from a row-major array without padding. */
    public void fromArray(int m, float[] values) {
        if (values.length != rows * cols) throw new IllegalArgumentException("expected " + rows * cols + " values, got " + values.length);
        if (doubles()) {
            double[] d = new double[values.length];
            for (int i = 0; i < d.length; i++) d[i] = values[i];
            fromDoubleArray(m, d);
            return;
        }
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(values, r * cols, seg, ValueLayout.JAVA_FLOAT, bytes(rowAt(m, r)), cols);
    }

    /** Sets model m's values from a row-major array without padding (rounded to float in a float32 tensor). */
    public void fromDoubleArray(int m, double[] values) {
        if (values.length != rows * cols) throw new IllegalArgumentException("expected " + rows * cols + " values, got " + values.length);
        if (!doubles()) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
            fromArray(m, f);
            return;
        }
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(values, r * cols, seg, ValueLayout.JAVA_DOUBLE, bytes(rowAt(m, r)), cols);
    }

    public void zero(int m) {
        seg.asSlice(bytes(offset + m * modelStride), bytes((long) rows * ld)).fill((byte) 0);
    }

    /** Copies model `from`'s block to model `to` (used to compact a population). */
    public void copyModel(int from, int to) {
        MemorySegment.copy(seg, bytes(offset + from * modelStride), seg, bytes(offset + to * modelStride), bytes((long) rows * ld));
    }
}
