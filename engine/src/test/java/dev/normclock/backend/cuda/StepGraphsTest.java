package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@link StepGraphs}' decisions, on a GPU made of a list: what runs eagerly, when a graph is
 * captured, when it is replayed, what a read in the middle of a step does, and that a capture the
 * driver refuses falls back to issuing every launch.
 */
class StepGraphsTest {

    /** A GPU that logs what it is asked, in order; a capture collects the launches into a "graph" that a launch replays into the log. */
    private static final class ListGpu implements Gpu {
        final List<String> log = new ArrayList<>();
        final List<List<String>> graphs = new ArrayList<>();
        List<String> capturing;
        boolean refuseCapture;

        @Override
        public DeviceMemory memory() {
            return new DeviceMemory() {
                @Override
                public long allocate(long bytes) {
                    return 1;
                }

                @Override
                public void free(long address) {
                    log.add("free");
                }

                @Override
                public void upload(long address, MemorySegment source, long bytes) {
                    log.add("upload");
                }

                @Override
                public void download(MemorySegment destination, long address, long bytes) {
                    log.add("download");
                }

                @Override
                public void synchronize() {
                    log.add("sync");
                }
            };
        }

        @Override
        public void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes) {
            String what = kernel + "(" + params.getAtIndex(ValueLayout.ADDRESS, 0).reinterpret(4).get(ValueLayout.JAVA_INT, 0) + ")";
            (capturing != null ? capturing : log).add(what);
        }

        @Override
        public boolean cublas() {
            return true;
        }

        @Override
        public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb, long strideB,
                                        boolean accumulate, long c, int ldc, long strideC, int batch) {
            (capturing != null ? capturing : log).add("gemm(" + m + ")");
        }

        @Override
        public boolean graphs() {
            return true;
        }

        @Override
        public long beginCapture() {
            if (refuseCapture) throw new IllegalStateException("cuStreamBeginCapture: not supported here");
            capturing = new ArrayList<>();
            return 0;
        }

        @Override
        public long endCapture() {
            graphs.add(capturing);
            capturing = null;
            return graphs.size();
        }

        @Override
        public void launchGraph(long exec) {
            log.add("graph" + exec);
        }

        @Override
        public void destroyGraph(long exec) {
            log.add("destroy" + exec);
        }

        @Override
        public void makeCurrent() {
        }

        @Override
        public String deviceName() {
            return "a list";
        }

        @Override
        public void close() {
        }
    }

    /** A step: two kernels with argument {@code arg} and a GEMM, and a host read in the middle when {@code read}. */
    private static void step(StepGraphs g, int arg, boolean read) {
        g.step(() -> {
            launch(g, "a", arg);
            if (read) {
                g.memory().download(MemorySegment.NULL, 0, 0);
                g.memory().synchronize();
            }
            g.sgemmStridedBatched(0, 0, 7, 1, 1, 0, 1, 0, 0, 1, 0, false, 0, 1, 0, 1);
            launch(g, "b", arg);
        });
    }

    private static void launch(Gpu gpu, String kernel, int arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(8, 8), pointers = arena.allocate(8, 8);
            value.set(ValueLayout.JAVA_INT, 0, arg);
            pointers.setAtIndex(ValueLayout.ADDRESS, 0, value);
            gpu.launch(kernel, 1, 1, 1, 32, pointers, new int[]{4});
        }
    }

    @Test
    void aStepSeenTwiceIsCapturedAndThenReplayedUntilItsLaunchesChange() {
        ListGpu gpu = new ListGpu();
        StepGraphs g = new StepGraphs(gpu, true);
        step(g, 1, false);
        assertEquals(List.of("a(1)", "gemm(7)", "b(1)"), gpu.log, "the first time: issued");
        gpu.log.clear();
        step(g, 1, false);
        assertEquals(List.of(List.of("a(1)", "gemm(7)", "b(1)")), gpu.graphs, "the second time: captured");
        assertEquals(List.of("graph1"), gpu.log, "… and launched");
        gpu.log.clear();
        step(g, 1, false);
        assertEquals(List.of("graph1"), gpu.log, "then replayed");
        gpu.log.clear();
        step(g, 2, false);
        assertEquals(List.of("a(2)", "gemm(7)", "b(2)"), gpu.log, "another argument: issued, not the old graph");
        gpu.log.clear();
        step(g, 2, false);
        assertEquals(List.of("destroy1", "graph2"), gpu.log, "captured afresh");
        assertEquals(2, g.captures());
        assertEquals(3, g.replays());
        assertNull(g.failure());
    }

    @Test
    void aReadInTheMiddleIssuesWhatWasRecordedFirstAndTheStepIsNotCaptured() {
        ListGpu gpu = new ListGpu();
        StepGraphs g = new StepGraphs(gpu, true);
        for (int i = 0; i < 3; i++) {
            gpu.log.clear();
            step(g, 5, true);
            assertEquals(List.of("a(5)", "download", "sync", "gemm(7)", "b(5)"), gpu.log, "in program order, every time");
        }
        assertTrue(gpu.graphs.isEmpty());
    }

    @Test
    void aFreeDropsTheGraphWhichMayHoldItsAddress() {
        ListGpu gpu = new ListGpu();
        StepGraphs g = new StepGraphs(gpu, true);
        step(g, 1, false);
        step(g, 1, false);
        gpu.log.clear();
        g.memory().free(42);
        assertEquals(List.of("destroy1", "free"), gpu.log);
        gpu.log.clear();
        step(g, 1, false);
        assertEquals(List.of("a(1)", "gemm(7)", "b(1)"), gpu.log, "issued again: the graph is gone");
    }

    @Test
    void aCaptureTheDriverRefusesEndsGraphsButNotTheRun() {
        ListGpu gpu = new ListGpu();
        gpu.refuseCapture = true;
        StepGraphs g = new StepGraphs(gpu, true);
        for (int i = 0; i < 4; i++) {
            gpu.log.clear();
            step(g, 3, false);
            assertEquals(List.of("a(3)", "gemm(7)", "b(3)"), gpu.log, "step " + i + " issued");
        }
        assertNotNull(g.failure());
        assertTrue(g.failure().contains("not supported here"), g.failure());
        assertEquals(0, g.replays());
    }

    @Test
    void withGraphsOffEveryStepIsIssued() {
        ListGpu gpu = new ListGpu();
        StepGraphs g = new StepGraphs(gpu, false);
        for (int i = 0; i < 3; i++) step(g, 1, false);
        assertEquals(9, gpu.log.size());
        assertTrue(gpu.graphs.isEmpty());
    }
}
