package dev.normclock.bindings.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.Map;

import dev.normclock.bindings.Downcall;
import dev.normclock.bindings.NativeLibrary;

/**
 * The part of cuBLAS (cublas_api.h, the v2 API) normclock calls, in jextract's layout: lazily made
 * handles bound to the exported symbols (cublasCreate is cublasCreate_v2, and so on). Every call
 * checks its cublasStatus_t and turns a failure into a {@link CudaException} with the function, the
 * code and its name. The handle uses pointer mode HOST (the default): alpha and beta are host
 * floats. Matrices are column-major; see the engine's GemmMapping for how the row-major tensors
 * map onto them.
 */
public final class Cublas {
    /** libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL. */
    private static final int MAJOR = 0, MINOR = 1, PATCH = 2;
    /** cublasOperation_t. */
    public static final int OP_N = 0, OP_T = 1;
    /**
     * cublasMath_t: DEFAULT is plain FP32 arithmetic for SGEMM (TF32 only with TF32_TENSOR_OP_MATH
     * or NVIDIA_TF32_OVERRIDE); PEDANTIC also forbids reduced-precision internal paths.
     */
    public static final int DEFAULT_MATH = 0, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3;

    private static final String LIB = "cuBLAS";

    private final String location;
    private final Downcall cublasGetProperty, cublasCreate, cublasDestroy, cublasSetStream, cublasSetMathMode, cublasGetStatusName,
            cublasSgemmStridedBatched;
    /** The CUDA simulator's detail of a failure (native/sim); absent from NVIDIA's cuBLAS. */
    private final Downcall ncsimLastErrorDetail;

    private Cublas(NativeLibrary lib) {
        this.location = lib.location();
        var l = lib.lookup();
        cublasGetProperty = new Downcall(l, LIB, "cublasGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cublasCreate = new Downcall(l, LIB, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasDestroy = new Downcall(l, LIB, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasSetStream = new Downcall(l, LIB, "cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cublasSetMathMode = new Downcall(l, LIB, "cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cublasGetStatusName = new Downcall(l, LIB, "cublasGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        // (handle, transa, transb, m, n, k, *alpha, A, lda, strideA, B, ldb, strideB, *beta, C, ldc, strideC, batchCount)
        cublasSgemmStridedBatched = new Downcall(l, LIB, "cublasSgemmStridedBatched", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG,
                JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        ncsimLastErrorDetail = new Downcall(l, LIB, "ncsimLastErrorDetail", FunctionDescriptor.of(ADDRESS));
    }

    /** cuBLAS found for this environment and driver version, or an IllegalStateException saying why there is none. */
    public static Cublas load(Map<String, String> env, int driverVersion) {
        return load(CudaLibraries.cublas(env, driverVersion));
    }

    /** cuBLAS from a library found by other means (the CUDA simulator, which exports it too). */
    public static Cublas load(NativeLibrary lib) {
        if (!lib.found()) throw new IllegalStateException("no cuBLAS: " + lib.problem());
        return new Cublas(lib);
    }

    public String location() {
        return location;
    }

    /** Where cuBLAS is and its version, or why it is not usable. */
    public record Report(String location, String version, String problem) {
        public boolean available() {
            return problem == null;
        }
    }

    /**
     * Finds cuBLAS of a major version the driver supports (driverVersion as cuDriverGetVersion gives
     * it, 0 when unknown: any) and reads its version (cublasGetProperty needs no handle or GPU);
     * never throws.
     */
    public static Report probe(Map<String, String> env, int driverVersion) {
        return probe(CudaLibraries.cublas(env, driverVersion));
    }

    /** As {@link #probe(Map, int)}, for a library found by other means (the CUDA simulator). */
    public static Report probe(NativeLibrary lib) {
        if (!lib.found()) return new Report(null, null, "no cuBLAS: " + lib.problem());
        try {
            return new Report(lib.location(), new Cublas(lib).version(), null);
        } catch (RuntimeException | LinkageError t) {
            return new Report(lib.location(), null, "cuBLAS at " + lib.location() + " failed: " + t.getMessage());
        }
    }

    public String version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            int[] parts = new int[3];
            for (int k : new int[]{MAJOR, MINOR, PATCH}) {
                check(cublasGetProperty, call(cublasGetProperty, k, v));
                parts[k] = v.get(JAVA_INT, 0);
            }
            return parts[0] + "." + parts[1] + "." + parts[2];
        }
    }

    /** A new handle on the current context's device. */
    public MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cublasCreate, call(cublasCreate, out));
            return out.get(ADDRESS, 0);
        }
    }

    public void destroy(MemorySegment handle) {
        check(cublasDestroy, call(cublasDestroy, handle));
    }

    public void setStream(MemorySegment handle, MemorySegment stream) {
        check(cublasSetStream, call(cublasSetStream, handle, stream));
    }

    public void setMathMode(MemorySegment handle, int mode) {
        check(cublasSetMathMode, call(cublasSetMathMode, handle, mode));
    }

    /**
     * C_i = alpha·op(A_i)·op(B_i) + beta·C_i for i < batch, column-major, X_i = X + i·strideX
     * (device addresses and strides in elements). alpha and beta are host floats in {@code scalars}
     * (pointer mode HOST), which must stay valid through the call.
     */
    public void sgemmStridedBatched(MemorySegment handle, int transA, int transB, int m, int n, int k, MemorySegment alpha,
                                    long a, int lda, long strideA, long b, int ldb, long strideB, MemorySegment beta,
                                    long c, int ldc, long strideC, int batch) {
        int r;
        try {
            r = (int) cublasSgemmStridedBatched.handle().invokeExact(handle, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb,
                    strideB, beta, c, ldc, strideC, batch);
        } catch (Throwable t) {
            throw cublasSgemmStridedBatched.unchecked(t);
        }
        check(cublasSgemmStridedBatched, r);
    }

    /** A host float for alpha or beta, in the given arena. */
    public static MemorySegment scalar(Arena arena, float v) {
        MemorySegment s = arena.allocate(JAVA_FLOAT);
        s.set(JAVA_FLOAT, 0, v);
        return s;
    }

    private void check(Downcall function, int status) {
        if (status != 0) throw error(function.name(), status);
    }

    /** The exception for a failed call, naming the status through cuBLAS when it can (11.4+), else from the table. */
    public CudaException error(String function, int status) {
        String name = CudaErrors.cublasName(status);
        try {
            MemorySegment p = (MemorySegment) cublasGetStatusName.handle().invokeExact(status);
            if (!p.equals(MemorySegment.NULL)) name = p.reinterpret(256).getString(0);
        } catch (Throwable ignored) {
            // an older cuBLAS: the table's name stands
        }
        String detail = null;
        if (ncsimLastErrorDetail.available()) {
            try {
                MemorySegment p = (MemorySegment) ncsimLastErrorDetail.handle().invokeExact();
                if (!p.equals(MemorySegment.NULL)) detail = p.reinterpret(4096).getString(0);
            } catch (Throwable ignored) {
                // no detail
            }
        }
        return new CudaException(function, status, name, detail);
    }

    private static int call(Downcall f, Object... args) {
        return f.callInt(args);
    }
}
