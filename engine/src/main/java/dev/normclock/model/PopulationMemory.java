package dev.normclock.model;

import java.lang.foreign.Arena;

import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;

/**
 * The off-heap tensors of one population: allocated in one arena, counted, and freed together
 * when the population closes.
 */
final class PopulationMemory implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    final Precision precision;
    private long bytes;

    PopulationMemory(Precision precision) {
        this.precision = precision;
    }

    /** A tensor of {@code count} models × rows × cols. */
    Tensor alloc(int count, int rows, int cols) {
        Tensor t = Tensor.allocate(arena, count, rows, cols, precision);
        bytes += t.bytes(t.modelStride * count);
        return t;
    }

    /** Workspace of {@code count} models × rows × cols: nothing in it outlives a step (see {@link Tensor#scratch}). */
    Tensor scratch(int count, int rows, int cols) {
        Tensor t = Tensor.allocate(arena, count, rows, cols, precision, true);
        bytes += t.bytes(t.modelStride * count);
        return t;
    }

    /** One tensor of {@code count} models for each given tensor, of the same shape (gradients, Adam moments). */
    Tensor[] like(Tensor[] ts, int count) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = alloc(count, ts[i].rows, ts[i].cols);
        return out;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        arena.close();
    }

    /**
     * The bytes a population will take, added up in 64 bits before anything is allocated, tensor
     * by tensor as its constructor and workspace allocate them (each population's
     * {@code plannedBytes}; a test holds each equal to what the population then allocates).
     */
    static final class Plan {
        private final Precision precision;
        private long bytes;

        Plan(Precision precision) {
            this.precision = precision;
        }

        /** A tensor of {@code count} models × rows × cols (state or scratch alike). */
        Plan add(long count, long rows, long cols) {
            bytes = Math.addExact(bytes, Tensor.plannedBytes(count, rows, cols, precision));
            return this;
        }

        /** As {@link #add} unless {@code skip} (a tensor only some configurations have: it shares another's memory otherwise). */
        Plan addUnless(boolean skip, long count, long rows, long cols) {
            return skip ? this : add(count, rows, cols);
        }

        /** {@code times} tensors of {@code count} models for each [rows, cols] shape. */
        Plan like(long[][] shapes, long count, int times) {
            for (int t = 0; t < times; t++)
                for (long[] s : shapes) add(count, s[0], s[1]);
            return this;
        }

        long bytes() {
            return bytes;
        }
    }
}
