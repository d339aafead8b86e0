package dev.normclock.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A float tensor of a population, laid out [model][rows][cols] in one off-heap segment. Rows are
 * padded to {@link #ld} floats (a multiple of 16, one AVX-512 vector) and each model's block to a
 * multiple of 16 floats, so every row starts 64-byte aligned and vector loops need no tails.
 * Padding columns hold zeros and stay zero through training. A view of a row range shares memory.
 */
public final class Tensor {
    public static final int ALIGN_FLOATS = 16;

    public final MemorySegment seg;
    public final long offset;      // in floats, of model 0, row 0
    public final int models, rows, cols, ld;
    public final long modelStride; // in floats

    private Tensor(MemorySegment seg, long offset, int models, int rows, int cols, int ld, long modelStride) {
        this.seg = seg;
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
        int ld = padded(cols);
        long stride = padded(rows * ld);
        MemorySegment seg = arena.allocate(Math.max(1, stride * models) * Float.BYTES, 64);
        return new Tensor(seg, 0, models, rows, cols, ld, stride);
    }

    /** Rows [from, to) of every model, sharing memory. */
    public Tensor rowRange(int from, int to) {
        return new Tensor(seg, offset + (long) from * ld, models, to - from, cols, ld, modelStride);
    }

    /**
     * A view in which model slots [first, first + count) of the caller map onto this tensor's models
     * 0 … count−1. A population keeps its per-step workspace for a few models only and reuses it
     * for each group of slots, so memory does not grow with the number of models.
     */
    public Tensor window(int first) {
        return new Tensor(seg, offset - first * modelStride, first + models, rows, cols, ld, modelStride);
    }

    /** Index in floats of element (m, r, c). */
    public long at(int m, int r, int c) {
        return offset + m * modelStride + (long) r * ld + c;
    }

    public long rowAt(int m, int r) {
        return offset + m * modelStride + (long) r * ld;
    }

    public float get(int m, int r, int c) {
        return seg.getAtIndex(ValueLayout.JAVA_FLOAT, at(m, r, c));
    }

    public void set(int m, int r, int c, float v) {
        seg.setAtIndex(ValueLayout.JAVA_FLOAT, at(m, r, c), v);
    }

    public int size() {
        return rows * cols;
    }

    /** Model m's values, row-major without padding. */
    public float[] toArray(int m) {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, rowAt(m, r) * Float.BYTES, out, r * cols, cols);
        return out;
    }

    /** Sets model m's values from a row-major array without padding. */
    public void fromArray(int m, float[] values) {
        if (values.length != rows * cols) throw new IllegalArgumentException("expected " + rows * cols + " values, got " + values.length);
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(values, r * cols, seg, ValueLayout.JAVA_FLOAT, rowAt(m, r) * Float.BYTES, cols);
    }

    public void zero(int m) {
        seg.asSlice((offset + m * modelStride) * Float.BYTES, (long) rows * ld * Float.BYTES).fill((byte) 0);
    }

    /** Copies model `from`'s block to model `to` (used to compact a population). */
    public void copyModel(int from, int to) {
        MemorySegment.copy(seg, (offset + from * modelStride) * Float.BYTES, seg, (offset + to * modelStride) * Float.BYTES,
                (long) rows * ld * Float.BYTES);
    }
}
