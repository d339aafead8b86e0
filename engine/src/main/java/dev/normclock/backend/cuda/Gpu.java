package dev.normclock.backend.cuda;

import java.lang.foreign.MemorySegment;

import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * What {@link CudaBackend} needs of a GPU, in one place: memory and copies, kernel launches and
 * cuBLAS GEMMs, all ordered on one stream. {@link CudaContext} is the real one; tests give a
 * recording one, so that every primitive's host side — packing, mirrors, launch arguments against
 * the kernels' declared parameters, GEMM arguments — runs without a GPU.
 */
interface Gpu extends AutoCloseable {
    DeviceMemory memory();

    /**
     * Launches a kernel of the module on the stream: a grid of (gridX, gridY, gridZ) blocks of
     * blockX threads; {@code params} holds one pointer per argument (cuLaunchKernel's
     * kernelParams), and {@code sizes} each argument's size in bytes.
     */
    void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes);

    /** Whether GEMMs go to cuBLAS ({@link #sgemmStridedBatched}); else the backend runs nc_gemm. */
    boolean cublas();

    /** What the GPU did so far, where it counts (the CUDA simulator); null on a real GPU. */
    default SimulatorCounters counters() {
        return null;
    }

    /** The CUDA simulator's settings in one line (threads, seed, memory); null on a real GPU. */
    default String simulatorSettings() {
        return null;
    }

    /** cublasSgemmStridedBatched with alpha 1 and beta 0 (or 1 when accumulating); addresses are device addresses. */
    void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb, long strideB,
                             boolean accumulate, long c, int ldc, long strideC, int batch);

    /** Whether this GPU runs CUDA Graphs (a driver with the graph calls; the test doubles have none). */
    default boolean graphs() {
        return false;
    }

    /** Starts capturing the stream's work into a graph instead of running it. */
    default void beginCapture() {
        throw new UnsupportedOperationException("this GPU has no CUDA Graphs");
    }

    /** Ends the capture; returns the executable graph (instantiated), to {@link #launchGraph} and {@link #destroyGraph}. */
    default long endCapture() {
        throw new UnsupportedOperationException("this GPU has no CUDA Graphs");
    }

    /** Queues one run of a captured graph on the stream. */
    default void launchGraph(long graph) {
        throw new UnsupportedOperationException("this GPU has no CUDA Graphs");
    }

    default void destroyGraph(long graph) {
        throw new UnsupportedOperationException("this GPU has no CUDA Graphs");
    }

    /** Makes the GPU's context current on the calling thread. */
    void makeCurrent();

    String deviceName();

    @Override
    void close();
}
