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

    /** The device's free bytes now (cuMemGetInfo), or -1 where nothing says (test GPUs). */
    default long freeMemory() {
        return -1;
    }

    /**
     * Launches a kernel of the module on the stream: a grid of (gridX, gridY, gridZ) blocks of
     * blockX threads; {@code params} holds one pointer per argument (cuLaunchKernel's
     * kernelParams), and {@code sizes} each argument's size in bytes.
     */
    void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes);

    /** Whether GEMMs go to cuBLAS ({@link #sgemmStridedBatched}); else the backend runs nc_gemm. */
    boolean cublas();

    /**
     * What the host asked of the GPU so far: the simulator's own counters on cuda-sim, the engine's
     * count of its calls on a GPU ({@link CudaContext}); null where nothing counts (test GPUs).
     */
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

    /**
     * Starts capturing a CUDA Graph on the stream every call is queued on: until {@link #endCapture},
     * launches, GEMMs and copies to and from page-locked memory are recorded, not run. The
     * capture forbids (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, after which it is invalidated and
     * {@link #endCapture} fails) anything that makes the host wait or is not stream-ordered: a
     * synchronisation (so downloads are read after the graph has run), a synchronous copy, an
     * allocation or free, a copy to or from pageable memory. Returns the captured stream's handle
     * (CUstream), for messages.
     */
    default long beginCapture() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not capture CUDA Graphs");
    }

    /**
     * Ends the capture and returns the executable graph (a CUgraphExec handle) of what was recorded.
     * Its kernels keep the argument values and device addresses they were captured with, and its
     * uploads read their page-locked sources when the graph runs: refill those, keep the memory
     * allocated, and replay with {@link #launchGraph}; free it with {@link #destroyGraph}.
     */
    default long endCapture() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not capture CUDA Graphs");
    }

    /** Queues the whole executable graph on the stream, as one launch. */
    default void launchGraph(long exec) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not launch CUDA Graphs");
    }

    /** Frees an executable graph from {@link #endCapture}. */
    default void destroyGraph(long exec) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not launch CUDA Graphs");
    }

    /** Makes the GPU's context current on the calling thread. */
    void makeCurrent();

    String deviceName();

    @Override
    void close();
}
