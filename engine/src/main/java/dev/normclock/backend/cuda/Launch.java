package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One kernel launch: its arguments written in order, each in its own 8-byte-aligned slot, and the
 * array of pointers to them that cuLaunchKernel reads. A tensor argument is the 24-byte
 * {@code View} of native/src/common.cuh: device address of element 0, model stride and row
 * length (all 64-bit, so the C struct has no padding).
 */
final class Launch {
    private static final int MAX_ARGS = 32, SLOT = 8;

    private final Gpu gpu;
    private final String kernel;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment values = arena.allocate(MAX_ARGS * 3L * SLOT, 16), pointers = arena.allocate(MAX_ARGS * 8L, 8);
    private long at;
    private int count;

    private final int[] sizes = new int[MAX_ARGS];

    Launch(Gpu gpu, String kernel) {
        this.gpu = gpu;
        this.kernel = kernel;
    }

    private MemorySegment slot(long bytes) {
        if (count == MAX_ARGS) throw new IllegalStateException(kernel + ": more than " + MAX_ARGS + " arguments");
        MemorySegment s = values.asSlice(at, bytes);
        sizes[count] = (int) bytes;
        pointers.setAtIndex(ValueLayout.ADDRESS, count++, s);
        at += (bytes + SLOT - 1) / SLOT * SLOT;
        return s;
    }

    Launch i(int v) {
        slot(4).set(ValueLayout.JAVA_INT, 0, v);
        return this;
    }

    Launch f(float v) {
        slot(4).set(ValueLayout.JAVA_FLOAT, 0, v);
        return this;
    }

    Launch d(double v) {
        slot(8).set(ValueLayout.JAVA_DOUBLE, 0, v);
        return this;
    }

    /** A device pointer (const int*, float*, double*). */
    Launch p(long address) {
        slot(8).set(ValueLayout.JAVA_LONG, 0, address);
        return this;
    }

    /** A tensor as a View, from its device address (see {@link DeviceMirrors#address}). */
    Launch view(long address, long modelStride, long ld) {
        MemorySegment s = slot(24);
        s.set(ValueLayout.JAVA_LONG, 0, address);
        s.set(ValueLayout.JAVA_LONG, 8, modelStride);
        s.set(ValueLayout.JAVA_LONG, 16, ld);
        return this;
    }

    /** Launches a grid of (gridX, gridY) blocks of blockX threads on the backend's stream. */
    void go(long gridX, int gridY, int blockX) {
        go(gridX, gridY, 1, blockX);
    }

    /** Launches a grid of (gridX, gridY, gridZ) blocks of blockX threads on the backend's stream. */
    void go(long gridX, int gridY, long gridZ, int blockX) {
        try {
            if (gridX < 1 || gridY < 1 || gridZ < 1) return; // nothing to do: an empty launch is an error in CUDA
            if (gridX > Integer.MAX_VALUE || gridY > 65_535 || gridZ > 65_535)
                throw new IllegalArgumentException(kernel + ": grid " + gridX + " × " + gridY + " × " + gridZ + " is too large");
            gpu.launch(kernel, (int) gridX, gridY, (int) gridZ, blockX, pointers.asSlice(0, 8L * count), java.util.Arrays.copyOf(sizes, count));
        } finally {
            arena.close();
        }
    }
}
