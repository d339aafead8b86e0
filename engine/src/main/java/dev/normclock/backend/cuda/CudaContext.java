package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;

/**
 * One GPU made ready for the backend: the driver, the device's primary context (shared with
 * cuBLAS, which works in whatever context is current), one stream that every copy, kernel and
 * GEMM is queued on — so their order is the program's order and nothing else needs
 * synchronising until the host reads results —, the kernels' module loaded from the fatbin, and a
 * cuBLAS handle on that stream in its default, exact-FP32 math mode (no TF32), unless TF32 was
 * asked for explicitly (--tf32: CUBLAS_TF32_TENSOR_OP_MATH, which changes the GEMMs' numerics).
 *
 * <p>The context is made current on the thread that creates it; the backend is driven by one
 * thread (the trainer's), and {@link #makeCurrent} serves a caller on another thread.
 */
final class CudaContext implements Gpu {
    private final CudaDriver driver;
    private final Cublas cublas;
    private final int device;
    private final String deviceName;
    private final MemorySegment context, stream, blas, module;
    /** Host floats 1 and 0 for cuBLAS's alpha and beta (pointer mode host). */
    private final MemorySegment one, zero;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> functions = new HashMap<>();

    CudaContext(Map<String, String> env, int ordinal, boolean tf32) {
        byte[] image = KernelImage.load();
        driver = CudaDriver.load(env);
        cublas = Cublas.load(env);
        driver.init();
        device = driver.deviceGet(ordinal);
        deviceName = CudaDriver.probe(env).gpus().get(ordinal).name();
        context = driver.primaryContextRetain(device);
        driver.contextSetCurrent(context);
        stream = driver.streamCreate();
        MemorySegment img = arena.allocate(image.length + 1L, 16); // the loader reads it in place; a trailing 0 does no harm
        MemorySegment.copy(image, 0, img, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, image.length);
        module = driver.moduleLoadData(img);
        blas = cublas.create();
        cublas.setStream(blas, stream);
        cublas.setMathMode(blas, tf32 ? Cublas.TF32_TENSOR_OP_MATH : Cublas.DEFAULT_MATH);
        one = Cublas.scalar(arena, 1f);
        zero = Cublas.scalar(arena, 0f);
    }

    /** Device memory and copies on this context's stream. */
    @Override
    public DeviceMemory memory() {
        return new DeviceMemory() {
            @Override
            public long allocate(long bytes) {
                return driver.memAlloc(bytes);
            }

            @Override
            public void free(long address) {
                driver.memFree(address);
            }

            @Override
            public void upload(long address, MemorySegment source, long bytes) {
                driver.memcpyHtoDAsync(address, source, bytes, stream);
            }

            @Override
            public void download(MemorySegment destination, long address, long bytes) {
                driver.memcpyDtoHAsync(destination, address, bytes, stream);
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
    public void launch(String kernel, int gridX, int gridY, int blockX, MemorySegment params, int[] sizes) {
        driver.launchKernel(function(kernel), gridX, gridY, 1, blockX, 1, 1, 0, stream, params);
    }

    @Override
    public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb,
                                    long strideB, boolean accumulate, long c, int ldc, long strideC, int batch) {
        cublas.sgemmStridedBatched(blas, transA, transB, m, n, k, one, a, lda, strideA, b, ldb, strideB, accumulate ? one : zero,
                c, ldc, strideC, batch);
    }

    /** A kernel of the module by its extern "C" name, looked up once. */
    private MemorySegment function(String name) {
        return functions.computeIfAbsent(name, n -> driver.moduleGetFunction(module, n));
    }

    private void synchronize() {
        driver.streamSynchronize(stream);
    }

    @Override
    public void close() {
        try {
            synchronize();
            cublas.destroy(blas);
            driver.moduleUnload(module);
            driver.streamDestroy(stream);
        } finally {
            driver.primaryContextRelease(device);
            arena.close();
        }
    }
}
