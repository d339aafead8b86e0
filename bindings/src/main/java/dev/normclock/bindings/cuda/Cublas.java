package dev.normclock.bindings.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import dev.normclock.bindings.NativeLibrary;

/**
 * The part of cuBLAS (cublas_api.h) normclock needs before a GPU step: finding the library and
 * its version (cublasGetProperty needs no handle or GPU). The GEMM entry points come with the CUDA
 * backend.
 */
public final class Cublas {
    /** libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL. */
    private static final int MAJOR = 0, MINOR = 1, PATCH = 2;

    private Cublas() {
    }

    /** Where cuBLAS is and its version, or why it is not usable. */
    public record Report(String location, String version, String problem) {
        public boolean available() {
            return problem == null;
        }
    }

    public static Report probe(Map<String, String> env) {
        NativeLibrary lib = CudaLibraries.cublas(env);
        if (!lib.found()) return new Report(null, null, "no cuBLAS: " + lib.problem());
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle getProperty = Linker.nativeLinker().downcallHandle(lib.lookup().find("cublasGetProperty").orElseThrow(
                    () -> new IllegalStateException(lib.location() + " has no cublasGetProperty: it is not cuBLAS")),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
            MemorySegment v = arena.allocate(JAVA_INT);
            int[] parts = new int[3];
            for (int k : new int[]{MAJOR, MINOR, PATCH}) {
                int status = (int) getProperty.invokeExact(k, v);
                if (status != 0) throw new IllegalStateException("cublasGetProperty returned status " + status);
                parts[k] = v.get(JAVA_INT, 0);
            }
            return new Report(lib.location(), parts[0] + "." + parts[1] + "." + parts[2], null);
        } catch (Throwable t) {
            return new Report(lib.location(), null, "cuBLAS at " + lib.location() + " failed: " + t.getMessage());
        }
    }
}
