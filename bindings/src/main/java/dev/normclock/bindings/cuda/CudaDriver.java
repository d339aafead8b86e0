package dev.normclock.bindings.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.normclock.bindings.NativeLibrary;

/**
 * The part of the CUDA driver API (cuda.h) that normclock calls to find and describe GPUs, in
 * jextract's layout: one method handle per function, resolved from the library found at run time,
 * every call returning the CUresult (0 = CUDA_SUCCESS) that {@link #check} turns into a one-line
 * error.
 */
public final class CudaDriver {
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR. */
    public static final int ATTRIBUTE_CC_MAJOR = 75, ATTRIBUTE_CC_MINOR = 76;

    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem,
            cuDeviceGetAttribute;

    private CudaDriver(NativeLibrary lib) {
        Linker linker = Linker.nativeLinker();
        var lookup = lib.lookup();
        cuInit = handle(linker, lookup, "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        cuDriverGetVersion = handle(linker, lookup, "cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuDeviceGetCount = handle(linker, lookup, "cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuDeviceGet = handle(linker, lookup, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetName = handle(linker, lookup, "cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = handle(linker, lookup, "cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetAttribute = handle(linker, lookup, "cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }

    private static MethodHandle handle(Linker linker, java.lang.foreign.SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lookup.find(name).orElseThrow(
                () -> new IllegalStateException("the CUDA driver library has no " + name + ": it is too old or not the driver")), fd);
    }

    /** One GPU as the driver describes it. */
    public record Gpu(int ordinal, String name, long memoryBytes, int ccMajor, int ccMinor) {
    }

    /** The driver's view of the machine, or why there is none. */
    public record Report(String driverLocation, int driverVersion, List<Gpu> gpus, String problem) {
        public boolean available() {
            return problem == null && !gpus.isEmpty();
        }
    }

    /** Loads the driver and lists the GPUs; never throws for a missing or failing driver. */
    public static Report probe(Map<String, String> env) {
        NativeLibrary lib = CudaLibraries.driver(env);
        if (!lib.found()) return new Report(null, 0, List.of(), "no CUDA driver: " + lib.problem());
        try {
            return new CudaDriver(lib).describe(lib.location());
        } catch (RuntimeException e) {
            return new Report(lib.location(), 0, List.of(), "the CUDA driver at " + lib.location() + " failed: " + e.getMessage());
        }
    }

    private Report describe(String location) {
        try (Arena arena = Arena.ofConfined()) {
            check(call(cuInit, 0), "cuInit");
            MemorySegment i = arena.allocate(JAVA_INT), mem = arena.allocate(JAVA_LONG), name = arena.allocate(256);
            check(call(cuDriverGetVersion, i), "cuDriverGetVersion");
            int version = i.get(JAVA_INT, 0);
            check(call(cuDeviceGetCount, i), "cuDeviceGetCount");
            int count = i.get(JAVA_INT, 0);
            List<Gpu> gpus = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                check(call(cuDeviceGet, i, k), "cuDeviceGet");
                int dev = i.get(JAVA_INT, 0);
                check(call(cuDeviceGetName, name, 256, dev), "cuDeviceGetName");
                check(call(cuDeviceTotalMem, mem, dev), "cuDeviceTotalMem");
                check(call(cuDeviceGetAttribute, i, ATTRIBUTE_CC_MAJOR, dev), "cuDeviceGetAttribute");
                int major = i.get(JAVA_INT, 0);
                check(call(cuDeviceGetAttribute, i, ATTRIBUTE_CC_MINOR, dev), "cuDeviceGetAttribute");
                gpus.add(new Gpu(k, name.getString(0), mem.get(JAVA_LONG, 0), major, i.get(JAVA_INT, 0)));
            }
            return new Report(location, version, gpus, count == 0 ? "the CUDA driver sees no GPU" : null);
        }
    }

    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("calling the CUDA driver failed: " + t, t);
        }
    }

    /** CUresult 0 is success; anything else is one line naming the call and the code. */
    static void check(int result, String call) {
        if (result != 0) throw new IllegalStateException(call + " returned CUresult " + result
                + (result == 100 ? " (CUDA_ERROR_NO_DEVICE)" : result == 35 ? " (CUDA_ERROR_INSUFFICIENT_DRIVER)" : ""));
    }
}
