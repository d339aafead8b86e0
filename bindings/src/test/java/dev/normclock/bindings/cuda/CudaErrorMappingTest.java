package dev.normclock.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.normclock.bindings.Downcall;

/**
 * CUDA and cuBLAS failures as Java exceptions, checked without a GPU: the message names the
 * function, the code and its enumerator name (and the driver's description when the driver can
 * give one). The C library stands in for a "driver" that lacks every CUDA symbol: its bindings
 * load, a call fails with one line naming the missing function, and error names come from the
 * table.
 */
class CudaErrorMappingTest {
    static final Map<String, String> LIBC_AS_DRIVER = Map.of(CudaLibraries.LIBCUDA_ENV, libc(), CudaLibraries.CUBLAS_ENV, libc());

    static String libc() {
        for (String p : new String[]{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"})
            if (java.nio.file.Files.exists(java.nio.file.Path.of(p))) return p;
        throw new IllegalStateException("no libc.so.6 found");
    }

    @Test
    void anExceptionNamesTheFunctionTheCodeAndItsName() {
        CudaException e = new CudaException("cuLaunchKernel", 700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered");
        assertEquals("cuLaunchKernel failed: 700 CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)", e.getMessage());
        assertEquals("cuLaunchKernel", e.function());
        assertEquals(700, e.code());
        assertEquals("cublasCreate_v2 failed: 3 CUBLAS_STATUS_ALLOC_FAILED",
                new CudaException("cublasCreate_v2", 3, "CUBLAS_STATUS_ALLOC_FAILED", null).getMessage());
    }

    @Test
    void theTablesNameTheCodesOfCudaHAndCublasApiH() {
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaErrors.driverName(100));
        assertEquals("CUDA_ERROR_NO_BINARY_FOR_GPU", CudaErrors.driverName(209));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaErrors.driverName(2));
        assertEquals("CUresult 12345", CudaErrors.driverName(12345));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CudaErrors.cublasName(13));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CudaErrors.cublasName(7));
        assertEquals("cublasStatus_t 99", CudaErrors.cublasName(99));
    }

    @Test
    void aDriverThatCannotNameItsErrorsFallsBackToTheTable() {
        CudaDriver driver = CudaDriver.load(LIBC_AS_DRIVER);
        CudaException e = driver.error("cuMemAlloc(1024 bytes)", 2);
        assertEquals("cuMemAlloc(1024 bytes) failed: 2 CUDA_ERROR_OUT_OF_MEMORY", e.getMessage());
        Cublas blas = Cublas.load(LIBC_AS_DRIVER, 0);
        assertEquals("cublasSgemmStridedBatched failed: 13 CUBLAS_STATUS_EXECUTION_FAILED",
                blas.error("cublasSgemmStridedBatched", 13).getMessage());
    }

    @Test
    void aMissingFunctionIsOneLineNamingItAndTheLibrary() {
        CudaDriver driver = CudaDriver.load(LIBC_AS_DRIVER);
        LinkageError e = assertThrows(UnsatisfiedLinkError.class, driver::init);
        assertTrue(e.getMessage().contains("cuInit") && e.getMessage().contains("CUDA driver"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        CudaDriver.Report report = CudaDriver.probe(LIBC_AS_DRIVER);
        assertFalse(report.available());
        assertTrue(report.problem().contains("cuInit"), report.problem());
        Cublas.Report blas = Cublas.probe(LIBC_AS_DRIVER, 0);
        assertFalse(blas.available());
        assertTrue(blas.problem().contains("cublasGetProperty"), blas.problem());
    }

    @Test
    void aDriverWithoutTheGraphApiSaysSoInOneLineWhenAGraphCallIsMade() {
        CudaDriver driver = CudaDriver.load(LIBC_AS_DRIVER);
        assertFalse(driver.graphsAvailable());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> driver.graphLaunch(java.lang.foreign.MemorySegment.NULL, java.lang.foreign.MemorySegment.NULL));
        assertTrue(e.getMessage().contains("no CUDA Graph API") && e.getMessage().contains("cuGraphInstantiateWithFlags")
                && e.getMessage().contains("cuStreamBeginCapture_v2") && e.getMessage().contains("CUDA 11.4"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", CudaErrors.driverName(900));
        assertEquals("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", CudaErrors.driverName(901));
    }

    @Test
    void aDowncallIsMadeOnFirstUseAndSaysWhetherItsSymbolIsThere() throws Throwable {
        var libc = java.lang.foreign.SymbolLookup.libraryLookup(libc(), java.lang.foreign.Arena.global());
        Downcall abs = new Downcall(libc, "libc", "abs", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        assertTrue(abs.available());
        assertEquals(7, (int) abs.handle().invokeExact(-7));
        assertTrue(abs.handle() == abs.handle(), "made once");
        Downcall none = new Downcall(libc, "libc", "cuNothing", FunctionDescriptor.ofVoid());
        assertFalse(none.available());
        assertTrue(assertThrows(UnsatisfiedLinkError.class, none::handle).getMessage().contains("libc has no cuNothing"));
        assertTrue(Linker.nativeLinker() != null);
    }

    @Test
    void withoutADriverTheLoadSaysWhereItLooked() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CudaDriver.load(Map.of(CudaLibraries.LIBCUDA_ENV, "/nonexistent/libcuda.so.1")));
        assertTrue(e.getMessage().startsWith("no CUDA driver: ") && e.getMessage().contains("NORMCLOCK_LIBCUDA"), e.getMessage());
    }
}
