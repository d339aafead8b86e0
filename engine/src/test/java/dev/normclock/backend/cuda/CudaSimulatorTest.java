package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.CudaException;
import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * The CUDA simulator itself, through the same bindings the backend uses: kernels of
 * native/sim/checks that break one rule each, and what the simulator says about them — the
 * kernel, block and thread, the allocation missed — the launch limits a GPU enforces, the sticky
 * error a fault leaves, the warp collectives against their definitions, the permuted thread
 * order, the parameter sizes, the counters, and page-locked memory's async copies.
 */
class CudaSimulatorTest {
    static final int CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_ILLEGAL_STATE = 401, CUDA_ERROR_ILLEGAL_ADDRESS = 700,
            CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701, CUDA_ERROR_ILLEGAL_INSTRUCTION = 715, CUDA_ERROR_LAUNCH_FAILED = 719;

    CudaDriver driver;
    int device;
    MemorySegment stream, module;
    final Arena arena = Arena.ofShared();

    @BeforeEach
    void open() throws IOException {
        String checks = System.getProperty("normclock.sim.checks");
        assumeTrue(checks != null && Files.isRegularFile(Path.of(checks)) || "built".equals(System.getProperty("normclock.sim")),
                "the CUDA simulator was not built (no C++ compiler)");
        driver = CudaDriver.load(CudaSimulator.library(Map.of()));
        driver.init();
        device = driver.deviceGet(0);
        driver.contextSetCurrent(driver.primaryContextRetain(device));
        stream = driver.streamCreate();
        byte[] image = Files.readAllBytes(Path.of(checks));
        MemorySegment img = arena.allocate(image.length, 16);
        MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
        module = driver.moduleLoadData(img);
    }

    @AfterEach
    void close() {
        if (driver != null) driver.primaryContextRelease(device); // the last release resets the context: the next test starts clean
        arena.close();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** Launches a kernel of the checks module with (gx, 1, 1) blocks of bx threads; arguments: Long = device pointer, Integer = int. */
    void launch(String kernel, int gx, int bx, Object... args) {
        launchGrid(kernel, gx, 1, bx, 0, args);
    }

    void launchGrid(String kernel, int gx, int gy, int bx, int sharedBytes, Object... args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(8L * Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                MemorySegment slot = a.allocate(8);
                if (args[i] instanceof Long l) slot.set(ValueLayout.JAVA_LONG, 0, l);
                else slot.set(ValueLayout.JAVA_INT, 0, (Integer) args[i]);
                params.setAtIndex(ValueLayout.ADDRESS, i, slot);
            }
            driver.launchKernel(driver.moduleGetFunction(module, kernel), gx, gy, 1, bx, 1, 1, sharedBytes, stream, params);
        }
    }

    long upload(float[] v) {
        long d = driver.memAlloc(4L * v.length);
        MemorySegment h = arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
        driver.memcpyHtoD(d, h, 4L * v.length);
        return d;
    }

    long zeros(int count) {
        return upload(new float[count]);
    }

    float[] floats(long d, int count) {
        MemorySegment h = arena.allocate(4L * count);
        driver.memcpyDtoH(h, d, 4L * count);
        return h.toArray(ValueLayout.JAVA_FLOAT);
    }

    int[] ints(long d, int count) {
        MemorySegment h = arena.allocate(4L * count);
        driver.memcpyDtoH(h, d, 4L * count);
        return h.toArray(ValueLayout.JAVA_INT);
    }

    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    CudaException fails(int code, Runnable call, String... phrases) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        for (String p : phrases) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    // ---- device memory ---------------------------------------------------------------------------

    @Test
    void aReadPastTheEndNamesTheKernelTheBlockTheThreadAndTheAllocation() {
        long in = upload(ramp(100)), out = zeros(256);
        launch("copy_n", 1, 256, in, out, 100); // in bounds
        assertEquals(99f, floats(out, 100)[99]);
        fails(CUDA_ERROR_ILLEGAL_ADDRESS, () -> launch("copy_n", 1, 256, in, out, 101),
                "copy_n: block (0, 0, 0) thread (100, 0, 0) read 4 bytes at", "0 bytes past the end of device allocation #", "400 bytes");
    }

    @Test
    void aFaultIsStickyUntilTheContextIsReset() {
        long in = upload(ramp(10)), out = zeros(64);
        fails(CUDA_ERROR_ILLEGAL_ADDRESS, () -> launch("copy_n", 1, 64, in, out, 64), "copy_n");
        fails(CUDA_ERROR_ILLEGAL_ADDRESS, () -> driver.memAlloc(16), "an earlier kernel failed: the context must be reset");
        driver.primaryContextRelease(device);
        driver.contextSetCurrent(driver.primaryContextRetain(device)); // a fresh context: allocations and modules are gone
        assertTrue(driver.memAlloc(16) != 0);
    }

    @Test
    void aUseAfterFreeIsCaught() {
        long in = upload(ramp(64)), out = zeros(64);
        driver.memFree(in);
        fails(CUDA_ERROR_ILLEGAL_ADDRESS, () -> launch("copy_n", 1, 64, in, out, 64), "copy_n", "freed by cuMemFree", "a use after free");
    }

    @Test
    void copiesOutsideAnAllocationAreRefusedNamingIt() {
        long d = zeros(16);
        fails(CUDA_ERROR_INVALID_VALUE, () -> driver.memcpyDtoH(arena.allocate(128), d, 128), "cuMemcpyDtoH's source", "past the end of device allocation");
        fails(CUDA_ERROR_INVALID_VALUE, () -> driver.memFree(d + 4), "not the start of a device allocation");
        driver.memFree(d);
        fails(CUDA_ERROR_INVALID_VALUE, () -> driver.memFree(d), "a double free");
    }

    // ---- shared memory and barriers --------------------------------------------------------------

    @Test
    void withItsBarrierABlockSumIsRightAndWithoutItTheRaceIsNamed() {
        long in = upload(ramp(512)), out = zeros(2);
        launch("block_sum", 2, 256, in, out, 1);
        assertArrayEquals(new float[]{255 * 256 / 2f, (256 + 511) * 256 / 2f}, floats(out, 2));
        // thread 0 reads what the others wrote, or have yet to write: either way a barrier is missing
        fails(CUDA_ERROR_LAUNCH_FAILED, () -> launch("block_sum", 2, 256, in, out, 0), "block_sum: block (", "shared offset", "__syncthreads");
    }

    @Test
    void readingSharedMemoryNoThreadWroteIsAnError() {
        long out = zeros(32);
        fails(CUDA_ERROR_LAUNCH_FAILED, () -> launch("uninitialised_shared", 1, 32, out), "uninitialised_shared", "no thread of the block has written");
    }

    @Test
    void aBarrierThatExitedThreadsNeverReachIsAnError() {
        long out = zeros(64);
        fails(CUDA_ERROR_ILLEGAL_INSTRUCTION, () -> launch("barrier_after_exit", 1, 64, out), "barrier_after_exit", "never reaches: it has exited");
    }

    @Test
    void aDeadlockSaysWhoWaitsWhere() {
        long out = zeros(64);
        fails(CUDA_ERROR_ILLEGAL_INSTRUCTION, () -> launch("deadlock", 1, 64, out), "deadlock", "waits forever at __shfl_xor_sync");
    }

    // ---- warp collectives ------------------------------------------------------------------------

    @Test
    void warpSumsAreRightAndAShiftedShuffleOffsetGivesWrongOnes() {
        long in = upload(ramp(32)), out = zeros(32);
        launch("warp_sum", 1, 32, in, out, 0);
        float[] sums = floats(out, 32);
        for (float s : sums) assertEquals(496f, s);
        launch("warp_sum", 1, 32, in, out, -1); // not an error on a GPU either: the conformance suite catches it by the numbers
        assertNotEquals(496f, floats(out, 32)[0]);
    }

    @Test
    void everyShuffleAndVoteFollowsItsDefinition() {
        long out = upload(new float[64 * 8]);
        launch("collectives", 1, 64, out);
        int[] r = ints(out, 64 * 8);
        int ballot = 0;
        for (int l = 0; l < 32; l++) if (l % 3 == 0) ballot |= 1 << l;
        for (int t = 0; t < 64; t++) {
            int lane = t & 31;
            int[] o = Arrays.copyOfRange(r, 8 * t, 8 * t + 8);
            assertEquals(50, o[0], "shfl from lane 5");
            assertEquals(lane >= 3 ? (lane - 3) * 10 : lane * 10, o[1], "shfl_up by 3");
            assertEquals(lane < 29 ? (lane + 3) * 10 : lane * 10, o[2], "shfl_down by 3");
            assertEquals((lane ^ 6) * 10, o[3], "shfl_xor 6");
            assertEquals((lane ^ 1) * 10, o[4], "shfl_xor 1 in groups of 8");
            assertEquals(ballot, o[5], "ballot");
            assertEquals(1, o[6], "any");
            assertEquals(0, o[7], "all");
        }
    }

    @Test
    void collectivesMisusedAreNamed() {
        long out = zeros(64);
        fails(CUDA_ERROR_ILLEGAL_INSTRUCTION, () -> launch("shuffle_outside_mask", 1, 32, out), "shuffle_outside_mask",
                "does not include the calling lane");
    }

    @Test
    void aShuffleWaitingForAnExitedLaneIsAnError() {
        long out = zeros(32);
        fails(CUDA_ERROR_ILLEGAL_INSTRUCTION, () -> launch("shuffle_after_exit", 1, 32, out), "shuffle_after_exit", "which has exited");
    }

    @Test
    void divergentCollectivesAreAnError() {
        long out = zeros(32);
        fails(CUDA_ERROR_ILLEGAL_INSTRUCTION, () -> launch("divergent_collectives", 1, 32, out), "divergent warp collectives");
    }

    /** Threads start in an order permuted per launch and block; every thread runs exactly once. */
    @Test
    void threadsRunInAPermutedOrder() {
        long out = zeros(256), counter = zeros(1);
        launch("arrival_order", 1, 256, out, counter);
        int[] first = ints(out, 256);
        driver.memcpyHtoD(counter, arena.allocate(4), 4);
        launch("arrival_order", 1, 256, out, counter);
        int[] second = ints(out, 256);
        int[] sorted = first.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 256; i++) assertEquals(i, sorted[i]);
        int inOrder = 0;
        for (int i = 0; i < 256; i++) if (first[i] == i) inOrder++;
        assertTrue(inOrder < 32, "not in thread order: " + inOrder + " threads in place");
        assertTrue(!Arrays.equals(first, second), "another launch, another order");
    }

    // ---- launches ----------------------------------------------------------------------------------

    @Test
    void launchLimitsAreAGpusLimits() {
        long in = upload(ramp(2048)), out = zeros(2048);
        fails(CUDA_ERROR_INVALID_VALUE, () -> launch("copy_n", 1, 1025, in, out, 1), "copy_n", "at most 1024 threads");
        fails(CUDA_ERROR_INVALID_VALUE, () -> launchGrid("copy_n", 1, 65_536, 32, 0, in, out, 1), "grid.y and grid.z ≤ 65535");
        fails(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, () -> launch("block_sum", 1, 512, in, out, 1), "more than its __launch_bounds__(256)");
        fails(CUDA_ERROR_INVALID_VALUE, () -> launchGrid("copy_n", 1, 1, 32, 48 * 1024 + 1, in, out, 1), "shared memory", "48 KiB");
    }

    @Test
    void theDriverKnowsEveryKernelsParameterSizes() {
        assertArrayEquals(new long[]{8, 8, 4}, driver.parameterSizes(driver.moduleGetFunction(module, "copy_n")));
        assertArrayEquals(new long[]{8}, driver.parameterSizes(driver.moduleGetFunction(module, "collectives")));
        fails(500, () -> driver.moduleGetFunction(module, "no_such_kernel"), "no_such_kernel");
    }

    @Test
    void aGpuFatbinIsRefusedWithWhatToLoadInstead() {
        MemorySegment fatbin = arena.allocate(64);
        fatbin.set(ValueLayout.JAVA_INT, 0, 0xBA55ED50);
        fails(200, () -> driver.moduleLoadData(fatbin), "GPU fatbin", "host build");
    }

    @Test
    void theCountersCountLaunchesCopiesBytesAndSynchronisations() {
        SimulatorCounters before = driver.counters();
        long in = upload(ramp(64)), out = zeros(64);
        launch("copy_n", 1, 64, in, out, 64);
        floats(out, 64);
        driver.streamSynchronize(stream);
        SimulatorCounters c = driver.counters().since(before);
        assertEquals(1, c.kernelLaunches());
        assertEquals(2, c.hostToDeviceCopies());
        assertEquals(512, c.hostToDeviceBytes());
        assertEquals(1, c.deviceToHostCopies());
        assertEquals(256, c.deviceToHostBytes());
        assertEquals(4, c.hostSynchronizations(), "three synchronous copies and one stream synchronisation");
        assertEquals(2, c.allocations());
        assertTrue(driver.simulated());
    }

    // ---- page-locked memory ------------------------------------------------------------------------

    /**
     * An async copy into page-locked memory completes at the stream's synchronisation; the host
     * reading its destination before that is reported at the next call, and then reads the data.
     */
    @Test
    void readingAnAsyncCopysPageLockedDestinationBeforeSynchronisingIsReported() {
        long d = upload(ramp(1024));
        MemorySegment pinned = driver.memAllocHost(4096);
        try {
            driver.memcpyDtoHAsync(pinned, d, 4096, stream);
            driver.streamSynchronize(stream);
            assertEquals(1023f, pinned.getAtIndex(ValueLayout.JAVA_FLOAT, 1023)); // synchronised: the data is there

            driver.memcpyDtoHAsync(pinned, d, 4096, stream);
            float early = pinned.getAtIndex(ValueLayout.JAVA_FLOAT, 7); // too early: the simulator sees it
            assertEquals(7f, early, "the read goes on with the data, so the program can report");
            fails(CUDA_ERROR_ILLEGAL_STATE, () -> driver.streamSynchronize(stream), "destination of an async copy", "before that stream was synchronised");
        } finally {
            driver.memFreeHost(pinned);
        }
    }
}
