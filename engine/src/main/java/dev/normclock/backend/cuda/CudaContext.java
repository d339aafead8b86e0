package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;
import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * One GPU made ready for the backend: the driver (NVIDIA's, or the CUDA simulator's), the device's
 * primary context (shared with cuBLAS, which works in whatever context is current), one stream
 * that every copy, kernel and GEMM is queued on — so their order is the program's order and
 * nothing else needs synchronising until the host reads results —, the kernels' module loaded from
 * its image, and, when GEMMs go to cuBLAS, a handle on that stream in its default, exact-FP32 math
 * mode (no TF32) unless TF32 was asked for explicitly (--tf32: CUBLAS_TF32_TENSOR_OP_MATH, which
 * changes the GEMMs' numerics). Without cuBLAS the backend runs its GEMMs on nc_gemm.
 *
 * <p>Every launch is checked once per kernel against the parameter sizes the driver reports for it
 * (cuFuncGetParamInfo, where the driver has it), so an argument the engine packs differently from
 * the kernel's declaration fails at once, naming the kernel, instead of computing garbage.
 *
 * <p>The context is made current on the thread that creates it; the backend is driven by one
 * thread (the trainer's), and {@link #makeCurrent} serves a caller on another thread.
 *
 * <p>Every launch, GEMM, copy, synchronisation, allocation and free it makes is counted
 * ({@link CallCounts}): a GPU's driver keeps no counters, and these say what a step asks of the GPU
 * (launches, waits, bytes each way) on a GPU as on the simulator, which counts the same calls itself.
 */
final class CudaContext implements Gpu {
    private final CudaDriver driver;
    private final Cublas cublas; // null: GEMMs on nc_gemm
    private final int device;
    private final String deviceName;
    private final MemorySegment context, stream, blas, module;
    /** Host floats 1 and 0 for cuBLAS's alpha and beta (pointer mode host). */
    private final MemorySegment one, zero;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Map<String, long[]> parameterSizes = new HashMap<>();
    private final CallCounts calls = new CallCounts();

    /**
     * @param cublas null to run GEMMs on normclock's kernel
     * @param image  the kernels: the fatbin for a GPU driver, the host build for the simulator
     */
    @Override
    public long freeMemory() {
        return driver.memoryInfo()[0];
    }

    CudaContext(CudaDriver driver, Cublas cublas, byte[] image, int ordinal, boolean tf32) {
        this.driver = driver;
        this.cublas = cublas;
        driver.init();
        device = driver.deviceGet(ordinal);
        deviceName = driver.deviceName(device);
        context = driver.primaryContextRetain(device);
        MemorySegment s = null, m = null, h = null;
        try {
            driver.contextSetCurrent(context);
            s = driver.streamCreate();
            MemorySegment img = arena.allocate(image.length + 1L, 16); // the loader reads it in place; a trailing 0 does no harm
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            m = driver.moduleLoadData(img);
            if (cublas != null) {
                h = cublas.create();
                cublas.setStream(h, s);
                cublas.setMathMode(h, tf32 ? Cublas.TF32_TENSOR_OP_MATH : Cublas.DEFAULT_MATH);
            } else if (tf32) {
                throw new IllegalArgumentException("--tf32 applies to cuBLAS's GEMMs, and these GEMMs run on normclock's FP32 kernel (no cuBLAS)");
            }
        } catch (RuntimeException | LinkageError e) {
            driver.primaryContextRelease(device);
            arena.close();
            throw e;
        }
        stream = s;
        module = m;
        blas = h;
        one = Cublas.scalar(arena, 1f);
        zero = Cublas.scalar(arena, 0f);
    }

    /** Device memory and copies on this context's stream. */
    @Override
    public DeviceMemory memory() {
        return new DeviceMemory() {
            @Override
            public long allocate(long bytes) {
                long address = driver.memAlloc(bytes);
                calls.allocation();
                return address;
            }

            @Override
            public void free(long address) {
                driver.memFree(address);
                calls.free();
            }

            @Override
            public void upload(long address, MemorySegment source, long bytes) {
                driver.memcpyHtoDAsync(address, source, bytes, stream);
                calls.hostToDevice(bytes);
            }

            @Override
            public void download(MemorySegment destination, long address, long bytes) {
                driver.memcpyDtoHAsync(destination, address, bytes, stream);
                // the engine allocates no page-locked memory, so every destination is pageable and the
                // driver completes the copy before returning: the host waited (the simulator counts it so)
                calls.deviceToHost(bytes, true);
            }

            @Override
            public void synchronize() {
                CudaContext.this.synchronize();
            }
        };
    }

    @Override
    public void makeCurrent() {
        driver.contextSetCurrent(context);
    }

    @Override
    public String deviceName() {
        return deviceName;
    }

    @Override
    public boolean cublas() {
        return blas != null;
    }

    /**
     * The simulator's own counters on cuda-sim (the authority there); on a GPU, whose driver keeps
     * none, the engine's count of its calls. (The record keeps the simulator's name: it is the type
     * {@link CudaBackend#counters} returns.)
     */
    @Override
    public SimulatorCounters counters() {
        SimulatorCounters simulated = driver.counters();
        return simulated != null ? simulated : calls.snapshot().asSimulatorRecord();
    }

    /** The engine's count of its own calls, on the simulator too (where a test compares it with the simulator's). */
    StepCounters engineCounts() {
        return calls.snapshot();
    }

    @Override
    public String simulatorSettings() {
        return driver.simulatorSettings();
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes) {
        MemorySegment f = function(kernel);
        long[] declared = parameterSizes.computeIfAbsent(kernel, k -> {
            long[] p = driver.parameterSizes(f);
            return p == null ? new long[0] : p;
        });
        if (declared.length > 0 && !Arrays.equals(declared, Arrays.stream(sizes).asLongStream().toArray()))
            throw new IllegalStateException(kernel + " was given arguments of " + Arrays.toString(sizes) + " bytes, but the kernel declares "
                    + Arrays.toString(declared) + ": the engine's Launch and native/src disagree");
        driver.launchKernel(f, gridX, gridY, gridZ, blockX, 1, 1, 0, stream, params);
        calls.kernelLaunch();
    }

    @Override
    public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb,
                                    long strideB, boolean accumulate, long c, int ldc, long strideC, int batch) {
        if (blas == null) throw new IllegalStateException("no cuBLAS in this context: GEMMs run on nc_gemm");
        cublas.sgemmStridedBatched(blas, transA, transB, m, n, k, one, a, lda, strideA, b, ldb, strideB, accumulate ? one : zero,
                c, ldc, strideC, batch);
        calls.cublasCall();
    }

    @Override
    public boolean graphs() {
        return driver.graphsAvailable();
    }

    /** Captures in global mode: a forbidden call from any thread (a synchronisation, an allocation) fails and is caught. */
    @Override
    public long beginCapture() {
        driver.streamBeginCapture(stream, CudaDriver.CAPTURE_MODE_GLOBAL);
        return stream.address();
    }

    @Override
    public long endCapture() {
        MemorySegment graph = driver.streamEndCapture(stream);
        try {
            return driver.graphInstantiate(graph).address();
        } finally {
            driver.graphDestroy(graph); // the executable graph is independent of it
        }
    }

    @Override
    public void launchGraph(long exec) {
        driver.graphLaunch(MemorySegment.ofAddress(exec), stream);
        calls.graphLaunch();
    }

    @Override
    public void destroyGraph(long exec) {
        driver.graphExecDestroy(MemorySegment.ofAddress(exec));
    }

    /** A kernel of the module by its extern "C" name, looked up once. */
    private MemorySegment function(String name) {
        return functions.computeIfAbsent(name, n -> driver.moduleGetFunction(module, n));
    }

    private void synchronize() {
        driver.streamSynchronize(stream);
        calls.hostSync();
    }

    @Override
    public void close() {
        try {
            synchronize();
            if (blas != null) cublas.destroy(blas);
            driver.moduleUnload(module);
            driver.streamDestroy(stream);
        } finally {
            driver.primaryContextRelease(device);
            arena.close();
        }
    }
}
