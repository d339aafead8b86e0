package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * A training step as one CUDA Graph launch. The step's host code runs every time — it is cheap:
 * packing arguments, finding constants — but while it runs its launches and GEMMs are recorded
 * here instead of issued. Then:
 * <ul>
 *   <li>the same operations, with the same argument bytes, as the captured graph: one graph launch;</li>
 *   <li>the same as the step before (a steady state reached): captured as a graph and launched;</li>
 *   <li>otherwise (a fork, a clamp starting, models retiring): issued one by one, as without graphs.</li>
 * </ul>
 * Equality of every argument byte is what makes the replay the step: what a step changes on the
 * host reaches the device through arguments (an address of new constants, say) or through the
 * 16 bytes of {@link StepState}, sent before the launch. A host read in the middle of a step (the
 * host path of a fork) issues what was recorded and runs the rest of the step as it comes; freeing
 * device memory drops the graphs, which may hold its address.
 */
final class StepGraphs implements Gpu {
    private final Gpu gpu;
    private boolean enabled;
    private String failure; // why graphs were given up, if they were
    private List<Op> recording; // non-null while a step records
    private boolean passing;    // the step had to issue its operations after all
    private List<Op> previous, captured;
    private long graph;
    private long replays, captures;

    /** @param enabled false: every step issued launch by launch (to compare) */
    StepGraphs(Gpu gpu, boolean enabled) {
        this.gpu = gpu;
        this.enabled = enabled;
    }

    /** What a step asked of the GPU: issued again, or compared. */
    private interface Op {
        void issue(Gpu gpu);
    }

    private record LaunchOp(String kernel, int gridX, int gridY, int gridZ, int blockX, byte[] args, int[] sizes) implements Op {
        @Override
        public void issue(Gpu gpu) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment values = arena.allocate(Math.max(1, args.length), 16), pointers = arena.allocate(8L * Math.max(1, sizes.length), 8);
                MemorySegment.copy(args, 0, values, ValueLayout.JAVA_BYTE, 0, args.length);
                for (int i = 0, at = 0; i < sizes.length; at += (sizes[i] + 7) / 8 * 8, i++)
                    pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(at, sizes[i]));
                gpu.launch(kernel, gridX, gridY, gridZ, blockX, pointers.asSlice(0, 8L * sizes.length), sizes);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LaunchOp l && l.kernel.equals(kernel) && l.gridX == gridX && l.gridY == gridY && l.gridZ == gridZ
                    && l.blockX == blockX && Arrays.equals(l.args, args) && Arrays.equals(l.sizes, sizes);
        }

        @Override
        public int hashCode() {
            return kernel.hashCode() * 31 + Arrays.hashCode(args);
        }
    }

    private record GemmOp(long[] args, boolean accumulate) implements Op {
        @Override
        public void issue(Gpu gpu) {
            long[] a = args;
            gpu.sgemmStridedBatched((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], a[5], (int) a[6], a[7], a[8], (int) a[9], a[10],
                    accumulate, a[11], (int) a[12], a[13], (int) a[14]);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GemmOp g && g.accumulate == accumulate && Arrays.equals(g.args, args);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(args);
        }
    }

    /** Runs one training step's host code, the GPU's part as a graph where it can (see the class comment). */
    void step(Runnable body) {
        if (!enabled || !gpu.graphs() || recording != null) {
            body.run();
            return;
        }
        recording = new ArrayList<>();
        passing = false;
        List<Op> ops;
        try {
            body.run();
        } finally {
            ops = recording;
            recording = null;
        }
        if (passing) {
            previous = null;
            return;
        }
        if (ops.equals(captured)) {
            gpu.launchGraph(graph);
            replays++;
            return;
        }
        if (ops.equals(previous)) {
            drop();
            if (!capture(ops)) {
                for (Op op : ops) op.issue(gpu);
                return;
            }
            captured = ops;
            previous = null;
            captures++;
            gpu.launchGraph(graph);
            replays++;
            return;
        }
        for (Op op : ops) op.issue(gpu);
        previous = ops;
    }

    /**
     * Captures the operations as {@link #graph}. A driver or library that refuses (a cuBLAS that
     * allocates while capturing, say) ends graphs for this backend — every step is then issued launch
     * by launch, as {@link #failure} says — rather than the run: nothing ran during the capture.
     */
    private boolean capture(List<Op> ops) {
        boolean begun = false;
        try {
            gpu.beginCapture();
            begun = true;
            for (Op op : ops) op.issue(gpu);
            begun = false;
            graph = gpu.endCapture();
            return true;
        } catch (RuntimeException e) {
            if (begun)
                try {
                    gpu.endCapture();
                } catch (RuntimeException ignored) {
                    // the capture was invalidated; ending it is all that is left to do
                }
            graph = 0;
            enabled = false;
            failure = "CUDA Graphs given up, every step issued launch by launch: " + e.getMessage();
            return false;
        }
    }

    /** Why graphs were given up, or null. */
    String failure() {
        return failure;
    }

    /** Steps replayed as a graph, and graphs captured, so far. */
    long replays() {
        return replays;
    }

    long captures() {
        return captures;
    }

    /** A host read or a free in the middle of a recorded step: what was recorded is issued, the rest of the step as it comes. */
    private void pass() {
        if (recording == null || passing) return;
        passing = true;
        for (Op op : recording) op.issue(gpu);
        recording.clear();
    }

    private void drop() {
        if (graph != 0) gpu.destroyGraph(graph);
        graph = 0;
        captured = null;
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes) {
        if (recording == null || passing) {
            gpu.launch(kernel, gridX, gridY, gridZ, blockX, params, sizes);
            return;
        }
        int total = 0;
        for (int s : sizes) total += (s + 7) / 8 * 8;
        byte[] args = new byte[total];
        for (int i = 0, at = 0; i < sizes.length; at += (sizes[i] + 7) / 8 * 8, i++)
            MemorySegment.copy(params.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(sizes[i]), ValueLayout.JAVA_BYTE, 0, args, at, sizes[i]);
        recording.add(new LaunchOp(kernel, gridX, gridY, gridZ, blockX, args, sizes.clone()));
    }

    @Override
    public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb, long strideB,
                                    boolean accumulate, long c, int ldc, long strideC, int batch) {
        GemmOp op = new GemmOp(new long[]{transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch}, accumulate);
        if (recording == null || passing) op.issue(gpu);
        else recording.add(op);
    }

    /** The GPU's memory, where a copy back, a wait or a free first issues what a step recorded, and a free drops the graphs. */
    @Override
    public DeviceMemory memory() {
        DeviceMemory inner = gpu.memory();
        return new DeviceMemory() {
            @Override
            public long allocate(long bytes) {
                return inner.allocate(bytes);
            }

            @Override
            public void free(long address) {
                pass();
                drop();
                previous = null;
                inner.free(address);
            }

            @Override
            public void upload(long address, MemorySegment source, long bytes) {
                inner.upload(address, source, bytes); // into memory no recorded operation has used yet, or StepState, read after it
            }

            @Override
            public void download(MemorySegment destination, long address, long bytes) {
                pass();
                inner.download(destination, address, bytes);
            }

            @Override
            public void synchronize() {
                pass();
                inner.synchronize();
            }
        };
    }

    @Override
    public boolean cublas() {
        return gpu.cublas();
    }

    @Override
    public SimulatorCounters counters() {
        return gpu.counters();
    }

    @Override
    public String simulatorSettings() {
        return gpu.simulatorSettings();
    }

    @Override
    public void makeCurrent() {
        gpu.makeCurrent();
    }

    @Override
    public String deviceName() {
        return gpu.deviceName();
    }

    @Override
    public void close() {
        drop();
        gpu.close();
    }
}
