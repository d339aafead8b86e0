package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.CudaException;
import dev.normclock.bindings.cuda.Cublas;
import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * CUDA Graphs on the simulator, through the bindings and through {@link CudaContext}: a captured
 * step (kernels, a cuBLAS GEMM, a memset) replays bit for bit as its eager run, counted as one
 * graph launch and no kernel launch; calls a capture forbids fail in one line and invalidate it;
 * a graph whose memory was freed fails as any use after free; destroyed graphs are gone.
 */
class CudaGraphTest {
    static final int CUDA_ERROR_INVALID_HANDLE = 400, CUDA_ERROR_ILLEGAL_ADDRESS = 700, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
            CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901;
    static final int N = 256, SIDE = 16;

    CudaDriver driver;
    Cublas cublas;
    int device;
    MemorySegment stream, module, blas, one;
    byte[] checks;
    final Arena arena = Arena.ofShared();

    @BeforeEach
    void open() throws IOException {
        String path = System.getProperty("normclock.sim.checks");
        assumeTrue(path != null && Files.isRegularFile(Path.of(path)) || "built".equals(System.getProperty("normclock.sim")),
                "the CUDA simulator was not built (no C++ compiler)");
        driver = CudaDriver.load(CudaSimulator.library(Map.of()));
        cublas = Cublas.load(CudaSimulator.library(Map.of()));
        driver.init();
        device = driver.deviceGet(0);
        driver.contextSetCurrent(driver.primaryContextRetain(device));
        stream = driver.streamCreate();
        checks = Files.readAllBytes(Path.of(path));
        MemorySegment img = arena.allocate(checks.length, 16);
        MemorySegment.copy(checks, 0, img, ValueLayout.JAVA_BYTE, 0, checks.length);
        module = driver.moduleLoadData(img);
        blas = cublas.create();
        cublas.setStream(blas, stream);
        one = Cublas.scalar(arena, 1f);
    }

    @AfterEach
    void close() {
        if (driver != null) driver.primaryContextRelease(device); // the last release resets the context, graphs included
        arena.close();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** Arguments: Long = device pointer, Integer = int. */
    void launch(String kernel, int gx, int bx, Object... args) {
        try (Arena a = Arena.ofConfined()) {
            driver.launchKernel(driver.moduleGetFunction(module, kernel), gx, 1, 1, bx, 1, 1, 0, stream, params(a, args));
        }
    }

    static MemorySegment params(Arena a, Object... args) {
        MemorySegment params = a.allocate(8L * Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            MemorySegment slot = a.allocate(8);
            if (args[i] instanceof Long l) slot.set(ValueLayout.JAVA_LONG, 0, l);
            else slot.set(ValueLayout.JAVA_INT, 0, (Integer) args[i]);
            params.setAtIndex(ValueLayout.ADDRESS, i, slot);
        }
        return params;
    }

    long upload(float[] v) {
        long d = driver.memAlloc(4L * v.length);
        driver.memcpyHtoD(d, arena.allocateFrom(ValueLayout.JAVA_FLOAT, v), 4L * v.length);
        return d;
    }

    /** The raw bits of device floats: equal means bit for bit. */
    int[] bits(long d, int count) {
        MemorySegment h = arena.allocate(4L * count);
        driver.memcpyDtoH(h, d, 4L * count);
        return h.toArray(ValueLayout.JAVA_INT);
    }

    static float[] data(int n, int salt) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(0.37 * i + salt) / 3f;
        return v;
    }

    CudaException fails(int code, Runnable call, String... phrases) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        for (String p : phrases) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    /** A step's buffers: x, the GEMM's A and accumulated C, a block sum, a scratch area and warp sums. */
    record Buffers(long x, long y, long a, long c, long sums, long scratch, long warps) {
    }

    Buffers buffers() {
        return new Buffers(upload(data(N, 1)), driver.memAlloc(4L * N), upload(data(N, 2)), upload(data(N, 3)), driver.memAlloc(4),
                driver.memAlloc(4L * N), driver.memAlloc(4L * 32));
    }

    /** Kernels, a GEMM that accumulates (so every replay changes the state), a memset and more kernels. */
    void step(Buffers b) {
        launch("copy_n", 1, N, b.x, b.y, N);
        cublas.sgemmStridedBatched(blas, Cublas.OP_N, Cublas.OP_N, SIDE, SIDE, SIDE, one, b.a, SIDE, 0, b.y, SIDE, 0, one, b.c, SIDE, 0, 1);
        launch("block_sum", 1, N, b.c, b.sums, 1);
        driver.memsetD8Async(b.scratch, 0, 4L * N, stream); // without it the scratch's tail stays garbage (NaN)
        launch("copy_n", 1, N, b.c, b.scratch, 100);
        launch("warp_sum", 1, 32, b.c, b.warps, 0);
    }

    int[][] results(Buffers b) {
        return new int[][]{bits(b.c, N), bits(b.sums, 1), bits(b.scratch, N), bits(b.warps, 32)};
    }

    MemorySegment capture(Runnable work) {
        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
        work.run();
        MemorySegment graph = driver.streamEndCapture(stream);
        MemorySegment exec = driver.graphInstantiate(graph);
        driver.graphDestroy(graph);
        return exec;
    }

    // ---- replay ------------------------------------------------------------------------------------

    @Test
    void aCapturedStepReplaysBitForBitAsItsEagerRunsAndCountsOneGraphLaunchEach() {
        Buffers eager = buffers(), graphed = buffers();
        for (int i = 0; i < 3; i++) step(eager);
        driver.streamSynchronize(stream);

        SimulatorCounters beforeCapture = driver.counters();
        MemorySegment exec = capture(() -> step(graphed));
        SimulatorCounters captured = driver.counters().since(beforeCapture);
        assertEquals(4, captured.kernelLaunches(), "the capture counts the calls the host issued");
        assertEquals(0, captured.graphLaunches());
        assertEquals(CudaDriver.CAPTURE_STATUS_NONE, driver.streamCaptureStatus(stream));
        assertTrue(Float.isNaN(Float.intBitsToFloat(bits(graphed.scratch, N)[N - 1])), "nothing ran during the capture");

        SimulatorCounters before = driver.counters();
        for (int i = 0; i < 3; i++) driver.graphLaunch(exec, stream);
        SimulatorCounters replays = driver.counters().since(before);
        driver.streamSynchronize(stream);
        assertEquals(3, replays.graphLaunches());
        assertEquals(0, replays.kernelLaunches());
        assertEquals(0, replays.cublasCalls());
        assertEquals(0, replays.memsets());
        assertEquals(0, replays.hostSynchronizations());

        int[][] want = results(eager), got = results(graphed);
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], got[i], "output " + i);
        driver.graphExecDestroy(exec);
    }

    /** A captured upload reads its page-locked source when the graph runs: the host refills it between replays. */
    @Test
    void aCapturedUploadReadsItsPageLockedSourceAtEachReplay() {
        MemorySegment pinned = driver.memAllocHost(4L * N);
        try {
            long d = driver.memAlloc(4L * N), out = driver.memAlloc(4L * N);
            MemorySegment exec = capture(() -> {
                driver.memcpyHtoDAsync(d, pinned, 4L * N, stream);
                launch("copy_n", 1, N, d, out, N);
            });
            for (int r = 1; r <= 2; r++) {
                for (int i = 0; i < N; i++) pinned.setAtIndex(ValueLayout.JAVA_FLOAT, i, r * i);
                driver.graphLaunch(exec, stream);
                driver.streamSynchronize(stream);
                assertEquals(r * 255f, Float.intBitsToFloat(bits(out, N)[255]));
            }
        } finally {
            driver.memFreeHost(pinned);
        }
    }

    // ---- what a capture forbids --------------------------------------------------------------------

    @Test
    void synchronisingTheCapturingStreamFailsInOneLineAndInvalidatesTheCapture() {
        long in = upload(data(N, 1)), out = driver.memAlloc(4L * N);
        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
        launch("copy_n", 1, N, in, out, N);
        fails(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, () -> driver.streamSynchronize(stream), "cuStreamSynchronize of stream",
                "which is capturing", "the capture is invalidated");
        assertEquals(CudaDriver.CAPTURE_STATUS_INVALIDATED, driver.streamCaptureStatus(stream));
        fails(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, () -> launch("copy_n", 1, N, in, out, N), "whose capture was invalidated");
        fails(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, () -> driver.streamEndCapture(stream), "invalidated by cuStreamSynchronize");
        assertEquals(CudaDriver.CAPTURE_STATUS_NONE, driver.streamCaptureStatus(stream));
        launch("copy_n", 1, N, in, out, N); // the stream works again
        driver.streamSynchronize(stream);
    }

    @Test
    void hostWaitsAllocationsAndPageableCopiesAreForbiddenDuringAGlobalCapture() {
        long d = driver.memAlloc(4L * N);
        MemorySegment pageable = arena.allocate(4L * N);
        Runnable[] forbidden = {
                () -> driver.memcpyDtoH(pageable, d, 4L * N),
                () -> driver.memcpyHtoD(d, pageable, 4L * N),
                () -> driver.memcpyHtoDAsync(d, pageable, 4L * N, stream),
                () -> driver.memAlloc(64),
                () -> driver.memFree(d),
                driver::contextSynchronize};
        String[] named = {"cuMemcpyDtoH", "cuMemcpyHtoD", "cuMemcpyHtoDAsync with pageable host memory", "cuMemAlloc", "cuMemFree",
                "cuCtxSynchronize"};
        for (int i = 0; i < forbidden.length; i++) {
            driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
            fails(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, forbidden[i], named[i], "capturing");
            fails(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, () -> driver.streamEndCapture(stream), named[i]);
        }
        driver.memFree(d); // not freed while capturing
    }

    @Test
    void relaxedModeAllowsAllocationsTheLegacyStreamWaitsForABlockingCaptureAndOnlyItsThreadEndsIt() throws InterruptedException {
        long in = upload(data(N, 1)), out = driver.memAlloc(4L * N);
        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_RELAXED);
        driver.memFree(driver.memAlloc(64)); // not part of the graph, and allowed in relaxed mode
        driver.graphDestroy(driver.streamEndCapture(stream));

        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
        fails(906, () -> driver.launchKernel(driver.moduleGetFunction(module, "copy_n"), 1, 1, 1, N, 1, 1, 0, MemorySegment.NULL,
                params(arena, in, out, N)), "on the legacy stream while blocking stream", "the capture is invalidated");
        fails(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, () -> driver.streamEndCapture(stream), "legacy stream");

        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_THREAD_LOCAL);
        CudaException[] other = new CudaException[1];
        Thread t = Thread.ofPlatform().start(() -> {
            driver.contextSetCurrent(driver.primaryContextRetain(device));
            other[0] = assertThrows(CudaException.class, () -> driver.streamEndCapture(stream));
            driver.primaryContextRelease(device);
        });
        t.join();
        assertEquals(908, other[0].code(), other[0].getMessage());
        assertEquals(CudaDriver.CAPTURE_STATUS_ACTIVE, driver.streamCaptureStatus(stream));
        driver.graphDestroy(driver.streamEndCapture(stream));
    }

    // ---- memory and handles ------------------------------------------------------------------------

    @Test
    void aGraphWhoseMemoryWasFreedFailsAsAnyUseAfterFree() {
        long in = upload(data(N, 1)), out = driver.memAlloc(4L * N);
        MemorySegment exec = capture(() -> launch("copy_n", 1, N, in, out, N));
        driver.graphLaunch(exec, stream);
        driver.memFree(in);
        fails(CUDA_ERROR_ILLEGAL_ADDRESS, () -> driver.graphLaunch(exec, stream), "cuGraphLaunch: node 1 of 1 (cuLaunchKernel copy_n)",
                "freed by cuMemFree", "a use after free");
    }

    @Test
    void destroyedGraphsAreGoneAndAnInstantiationOutlivesItsGraph() {
        long in = upload(data(N, 1)), out = driver.memAlloc(4L * N);
        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
        launch("copy_n", 1, N, in, out, N);
        MemorySegment graph = driver.streamEndCapture(stream);
        MemorySegment exec = driver.graphInstantiate(graph);
        driver.graphDestroy(graph);
        fails(CUDA_ERROR_INVALID_HANDLE, () -> driver.graphDestroy(graph), "not a live graph");
        fails(CUDA_ERROR_INVALID_HANDLE, () -> driver.graphInstantiate(graph), "not a live graph");
        driver.graphLaunch(exec, stream);
        driver.graphExecDestroy(exec);
        fails(CUDA_ERROR_INVALID_HANDLE, () -> driver.graphLaunch(exec, stream), "not a live executable graph");
        fails(CUDA_ERROR_INVALID_HANDLE, () -> driver.graphExecDestroy(exec), "not a live executable graph");
    }

    // ---- the engine's interface --------------------------------------------------------------------

    @Test
    void theContextCapturesLaunchesAndGemmsAndReplaysThem() {
        driver.primaryContextRelease(device); // the context below retains its own
        driver = null;
        CudaDriver d = CudaDriver.load(CudaSimulator.library(Map.of()));
        try (CudaContext gpu = new CudaContext(d, Cublas.load(CudaSimulator.library(Map.of())), checks, 0, false);
             Arena a = Arena.ofConfined()) {
            DeviceMemory memory = gpu.memory();
            long x = memory.allocate(4L * N), c = memory.allocate(4L * N), cEager = memory.allocate(4L * N);
            memory.upload(x, a.allocateFrom(ValueLayout.JAVA_FLOAT, data(N, 1)), 4L * N);
            for (long target : new long[]{c, cEager}) memory.upload(target, a.allocateFrom(ValueLayout.JAVA_FLOAT, data(N, 2)), 4L * N);
            Runnable step = () -> gpu.sgemmStridedBatched(Cublas.OP_N, Cublas.OP_T, SIDE, SIDE, SIDE, x, SIDE, 0, x, SIDE, 0, true, c, SIDE, 0, 1);
            int[] sizes = {8, 8, 4};
            gpu.launch("copy_n", 1, 1, 1, N, params(a, x, cEager, 0), sizes); // warms the parameter-size check outside the capture

            gpu.beginCapture();
            step.run();
            gpu.launch("copy_n", 1, 1, 1, N, params(a, c, x, 16), sizes); // x's first 16 change each step: replays depend on each other
            long exec = gpu.endCapture();
            SimulatorCounters before = gpu.counters();
            for (int i = 0; i < 3; i++) gpu.launchGraph(exec);
            SimulatorCounters replays = gpu.counters().since(before);
            assertEquals(3, replays.graphLaunches());
            assertEquals(0, replays.kernelLaunches() + replays.cublasCalls());
            gpu.destroyGraph(exec);

            long xEager = memory.allocate(4L * N); // the same three steps, eagerly, on a fresh x
            memory.upload(xEager, a.allocateFrom(ValueLayout.JAVA_FLOAT, data(N, 1)), 4L * N);
            for (int i = 0; i < 3; i++) {
                gpu.sgemmStridedBatched(Cublas.OP_N, Cublas.OP_T, SIDE, SIDE, SIDE, xEager, SIDE, 0, xEager, SIDE, 0, true, cEager, SIDE, 0, 1);
                gpu.launch("copy_n", 1, 1, 1, N, params(a, cEager, xEager, 16), sizes);
            }
            MemorySegment got = a.allocate(4L * N), want = a.allocate(4L * N);
            memory.download(got, c, 4L * N);
            memory.download(want, cEager, 4L * N);
            memory.synchronize();
            assertArrayEquals(want.toArray(ValueLayout.JAVA_INT), got.toArray(ValueLayout.JAVA_INT));
            assertThrows(CudaException.class, () -> gpu.launchGraph(exec), "destroyed");
        }
    }

    @Test
    void aTestDoubleDoesNotCapture() {
        Gpu recording = new RecordingGpu();
        assertThrows(UnsupportedOperationException.class, recording::beginCapture);
        assertThrows(UnsupportedOperationException.class, recording::endCapture);
        assertThrows(UnsupportedOperationException.class, () -> recording.launchGraph(1));
        assertThrows(UnsupportedOperationException.class, () -> recording.destroyGraph(1));
    }
}
