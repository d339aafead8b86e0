package dev.normclock.bindings.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.normclock.bindings.Downcall;
import dev.normclock.bindings.NativeLibrary;

/**
 * The part of the CUDA driver API (cuda.h) normclock calls, in jextract's layout: one lazily made
 * handle per function, bound to the symbol cuda.h's macros name (cuMemAlloc is cuMemAlloc_v2, and
 * the copies are the legacy-stream _v2 symbols, not the per-thread _ptds ones). Every call checks
 * its CUresult: anything but CUDA_SUCCESS becomes a {@link CudaException} naming the function,
 * the code, its name and the driver's description. CUdevice is an int, CUdeviceptr an unsigned
 * 64-bit integer (a Java long), and contexts, modules, functions and streams are opaque pointers.
 */
public final class CudaDriver {
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR, _MULTIPROCESSOR_COUNT. */
    public static final int ATTRIBUTE_CC_MAJOR = 75, ATTRIBUTE_CC_MINOR = 76, ATTRIBUTE_MULTIPROCESSORS = 16;
    /**
     * CU_DEVICE_ATTRIBUTE_CLOCK_RATE (peak SM clock, kHz), _MEMORY_CLOCK_RATE (peak memory clock, kHz),
     * _GLOBAL_MEMORY_BUS_WIDTH (bits). CUDA 13 dropped the clock fields from the runtime's
     * cudaDeviceProp, pointing to these attributes instead; a driver that no longer reports them
     * fails the call, and callers fall back to a table.
     */
    public static final int ATTRIBUTE_CLOCK_RATE = 13, ATTRIBUTE_MEMORY_CLOCK_RATE = 36, ATTRIBUTE_MEMORY_BUS_WIDTH = 37;
    /**
     * CUstreamCaptureMode: which threads' potentially unsafe calls (allocations, synchronous copies,
     * synchronisations) a capture forbids — GLOBAL: every thread's; THREAD_LOCAL: the capturing
     * thread's; RELAXED: none (calls that conflict with the capture itself stay forbidden).
     */
    public static final int CAPTURE_MODE_GLOBAL = 0, CAPTURE_MODE_THREAD_LOCAL = 1, CAPTURE_MODE_RELAXED = 2;
    /** CUstreamCaptureStatus: not capturing, capturing, or capturing but invalidated by a forbidden call. */
    public static final int CAPTURE_STATUS_NONE = 0, CAPTURE_STATUS_ACTIVE = 1, CAPTURE_STATUS_INVALIDATED = 2;

    private static final String LIB = "the CUDA driver library";
    private static final FunctionDescriptor RESULT_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT),
            RESULT_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS);

    private final String location;
    private final Downcall cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem,
            cuDeviceGetAttribute, cuGetErrorName, cuGetErrorString, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuCtxSynchronize, cuModuleLoadData, cuModuleUnload, cuModuleGetFunction, cuFuncGetParamInfo, cuLaunchKernel,
            cuMemAlloc, cuMemFree, cuMemAllocHost, cuMemFreeHost, cuMemcpyHtoD, cuMemcpyDtoH, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync,
            cuMemsetD8Async, cuStreamCreate, cuStreamSynchronize, cuStreamDestroy, cuMemGetInfo, cuEventCreate, cuEventRecord,
            cuEventSynchronize, cuEventElapsedTime, cuEventDestroy;
    /** CUDA Graphs: stream capture and executable graphs (cuGraphInstantiateWithFlags needs CUDA 11.4); optional. */
    private final Downcall cuStreamBeginCapture, cuStreamEndCapture, cuStreamIsCapturing, cuGraphInstantiate, cuGraphLaunch,
            cuGraphExecDestroy, cuGraphDestroy;
    /** The graph calls this driver lacks (looked up once), empty when it has them all. */
    private final List<String> missingGraphCalls;
    /** The CUDA simulator's own calls (native/sim); absent from a real driver. */
    private final Downcall ncsimLastErrorDetail, ncsimGetCounters, ncsimResetCounters, ncsimDescribe;

    private CudaDriver(NativeLibrary lib) {
        this.location = lib.location();
        var l = lib.lookup();
        cuInit = new Downcall(l, LIB, "cuInit", RESULT_INT);
        cuDriverGetVersion = new Downcall(l, LIB, "cuDriverGetVersion", RESULT_PTR);
        cuDeviceGetCount = new Downcall(l, LIB, "cuDeviceGetCount", RESULT_PTR);
        cuDeviceGet = new Downcall(l, LIB, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetName = new Downcall(l, LIB, "cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = new Downcall(l, LIB, "cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetAttribute = new Downcall(l, LIB, "cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuGetErrorName = new Downcall(l, LIB, "cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cuGetErrorString = new Downcall(l, LIB, "cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cuDevicePrimaryCtxRetain = new Downcall(l, LIB, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDevicePrimaryCtxRelease = new Downcall(l, LIB, "cuDevicePrimaryCtxRelease_v2", RESULT_INT);
        cuCtxSetCurrent = new Downcall(l, LIB, "cuCtxSetCurrent", RESULT_PTR);
        cuCtxSynchronize = new Downcall(l, LIB, "cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
        cuModuleLoadData = new Downcall(l, LIB, "cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuModuleUnload = new Downcall(l, LIB, "cuModuleUnload", RESULT_PTR);
        cuModuleGetFunction = new Downcall(l, LIB, "cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuFuncGetParamInfo = new Downcall(l, LIB, "cuFuncGetParamInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        cuLaunchKernel = new Downcall(l, LIB, "cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuMemAlloc = new Downcall(l, LIB, "cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        cuMemFree = new Downcall(l, LIB, "cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        cuMemAllocHost = new Downcall(l, LIB, "cuMemAllocHost_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        cuMemFreeHost = new Downcall(l, LIB, "cuMemFreeHost", RESULT_PTR);
        cuMemcpyHtoD = new Downcall(l, LIB, "cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        cuMemcpyDtoH = new Downcall(l, LIB, "cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        cuMemcpyHtoDAsync = new Downcall(l, LIB, "cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        cuMemcpyDtoHAsync = new Downcall(l, LIB, "cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        cuMemsetD8Async = new Downcall(l, LIB, "cuMemsetD8Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS));
        cuStreamCreate = new Downcall(l, LIB, "cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuStreamSynchronize = new Downcall(l, LIB, "cuStreamSynchronize", RESULT_PTR);
        cuStreamDestroy = new Downcall(l, LIB, "cuStreamDestroy_v2", RESULT_PTR);
        cuMemGetInfo = new Downcall(l, LIB, "cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuEventCreate = new Downcall(l, LIB, "cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuEventRecord = new Downcall(l, LIB, "cuEventRecord", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuEventSynchronize = new Downcall(l, LIB, "cuEventSynchronize", RESULT_PTR);
        // CUDA 13's cuda.h maps cuEventElapsedTime to the _v2 symbol; CUDA 12 drivers have only the plain one
        cuEventElapsedTime = new Downcall(l, LIB, l.find("cuEventElapsedTime_v2").isPresent() ? "cuEventElapsedTime_v2" : "cuEventElapsedTime",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuEventDestroy = new Downcall(l, LIB, "cuEventDestroy_v2", RESULT_PTR);
        // cuda.h maps cuStreamBeginCapture to _v2 (the one with a mode), and, since CUDA 12, cuGraphInstantiate to
        // cuGraphInstantiateWithFlags; the legacy-stream symbols, not the per-thread _ptsz ones
        cuStreamBeginCapture = new Downcall(l, LIB, "cuStreamBeginCapture_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuStreamEndCapture = new Downcall(l, LIB, "cuStreamEndCapture", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuStreamIsCapturing = new Downcall(l, LIB, "cuStreamIsCapturing", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuGraphInstantiate = new Downcall(l, LIB, "cuGraphInstantiateWithFlags", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        cuGraphLaunch = new Downcall(l, LIB, "cuGraphLaunch", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuGraphExecDestroy = new Downcall(l, LIB, "cuGraphExecDestroy", RESULT_PTR);
        cuGraphDestroy = new Downcall(l, LIB, "cuGraphDestroy", RESULT_PTR);
        missingGraphCalls = List.of(cuStreamBeginCapture, cuStreamEndCapture, cuStreamIsCapturing, cuGraphInstantiate, cuGraphLaunch,
                cuGraphExecDestroy, cuGraphDestroy).stream().filter(d -> !d.available()).map(Downcall::name).toList();
        ncsimLastErrorDetail = new Downcall(l, LIB, "ncsimLastErrorDetail", FunctionDescriptor.of(ADDRESS));
        ncsimGetCounters = new Downcall(l, LIB, "ncsimGetCounters", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        ncsimResetCounters = new Downcall(l, LIB, "ncsimResetCounters", FunctionDescriptor.ofVoid());
        ncsimDescribe = new Downcall(l, LIB, "ncsimDescribe", FunctionDescriptor.of(ADDRESS));
    }

    /** The driver found for this environment, or an IllegalStateException saying why there is none. */
    public static CudaDriver load(Map<String, String> env) {
        NativeLibrary lib = CudaLibraries.driver(env);
        if (!lib.found()) throw new IllegalStateException("no CUDA driver: " + lib.problem());
        return new CudaDriver(lib);
    }

    /** The driver API of a library found by other means (the CUDA simulator). */
    public static CudaDriver load(NativeLibrary lib) {
        if (!lib.found()) throw new IllegalStateException(lib.problem());
        return new CudaDriver(lib);
    }

    /** Whether this is normclock's CUDA simulator (native/sim) rather than NVIDIA's driver. */
    public boolean simulated() {
        return ncsimGetCounters.available();
    }

    public String location() {
        return location;
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
        return probe(CudaLibraries.driver(env));
    }

    /** As {@link #probe(Map)}, for a library found by other means. */
    public static Report probe(NativeLibrary lib) {
        if (!lib.found()) return new Report(null, 0, List.of(), "no CUDA driver: " + lib.problem());
        try {
            return new CudaDriver(lib).describe(lib.location());
        } catch (RuntimeException | LinkageError e) {
            return new Report(lib.location(), 0, List.of(), "the CUDA driver at " + lib.location() + " failed: " + e.getMessage());
        }
    }

    private Report describe(String location) {
        try (Arena arena = Arena.ofConfined()) {
            init();
            MemorySegment i = arena.allocate(JAVA_INT);
            check(cuDriverGetVersion, call(cuDriverGetVersion, i));
            int version = i.get(JAVA_INT, 0);
            check(cuDeviceGetCount, call(cuDeviceGetCount, i));
            int count = i.get(JAVA_INT, 0);
            List<Gpu> gpus = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                int dev = deviceGet(k);
                gpus.add(new Gpu(k, deviceName(dev), totalMemory(dev), attribute(ATTRIBUTE_CC_MAJOR, dev), attribute(ATTRIBUTE_CC_MINOR, dev)));
            }
            return new Report(location, version, gpus, count == 0 ? "the CUDA driver sees no GPU" : null);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Calls. Each returns what the C function writes through its first pointer, or nothing.
    // ------------------------------------------------------------------------------------------

    public void init() {
        check(cuInit, call(cuInit, 0));
    }

    /** The CUDA version the driver supports, e.g. 13000 for 13.0 (needs no cuInit). */
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(cuDriverGetVersion, call(cuDriverGetVersion, v));
            return v.get(JAVA_INT, 0);
        }
    }

    public int deviceGet(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(cuDeviceGet, call(cuDeviceGet, out, ordinal));
            return out.get(JAVA_INT, 0);
        }
    }

    public int attribute(int attribute, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(cuDeviceGetAttribute, call(cuDeviceGetAttribute, out, attribute, device));
            return out.get(JAVA_INT, 0);
        }
    }

    /** The device's name, e.g. "NVIDIA H200". */
    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            check(cuDeviceGetName, call(cuDeviceGetName, name, 256, device));
            return name.getString(0);
        }
    }

    public long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check(cuDeviceTotalMem, call(cuDeviceTotalMem, out, device));
            return out.get(JAVA_LONG, 0);
        }
    }

    /** {free, total} bytes of the current context's device. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            check(cuMemGetInfo, call(cuMemGetInfo, free, total));
            return new long[]{free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** The device's primary context (the one the runtime API and cuBLAS share), retained. */
    public MemorySegment primaryContextRetain(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuDevicePrimaryCtxRetain, call(cuDevicePrimaryCtxRetain, out, device));
            return out.get(ADDRESS, 0);
        }
    }

    public void primaryContextRelease(int device) {
        check(cuDevicePrimaryCtxRelease, call(cuDevicePrimaryCtxRelease, device));
    }

    public void contextSetCurrent(MemorySegment context) {
        check(cuCtxSetCurrent, call(cuCtxSetCurrent, context));
    }

    public void contextSynchronize() {
        check(cuCtxSynchronize, call(cuCtxSynchronize));
    }

    /** Loads a module from a fatbin, cubin or PTX image (the image must stay readable during the call). */
    public MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuModuleLoadData, call(cuModuleLoadData, out, image));
            return out.get(ADDRESS, 0);
        }
    }

    public void moduleUnload(MemorySegment module) {
        check(cuModuleUnload, call(cuModuleUnload, module));
    }

    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = call(cuModuleGetFunction, out, module, a.allocateFrom(name));
            if (r != 0) throw error("cuModuleGetFunction(" + name + ")", r);
            return out.get(ADDRESS, 0);
        }
    }

    /**
     * The byte size of each parameter of a kernel, from the driver (cuFuncGetParamInfo, CUDA 12.4
     * and later), or null where the driver cannot say: a launch can then be checked against what
     * the kernel really declares.
     */
    public long[] parameterSizes(MemorySegment function) {
        if (!cuFuncGetParamInfo.available()) return null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment offset = a.allocate(JAVA_LONG), size = a.allocate(JAVA_LONG);
            List<Long> sizes = new ArrayList<>();
            for (long i = 0; i < 256; i++) {
                int r = call(cuFuncGetParamInfo, function, i, offset, size);
                if (r == 1) break; // CUDA_ERROR_INVALID_VALUE: past the last parameter
                check(cuFuncGetParamInfo, r);
                sizes.add(size.get(JAVA_LONG, 0));
            }
            return sizes.stream().mapToLong(Long::longValue).toArray();
        }
    }

    /** cuLaunchKernel: kernelParams is an array of pointers, one to each argument's value. */
    public void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                             int sharedBytes, MemorySegment stream, MemorySegment kernelParams) {
        int r;
        try {
            r = (int) cuLaunchKernel.handle().invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream,
                    kernelParams, MemorySegment.NULL);
        } catch (Throwable t) {
            throw cuLaunchKernel.unchecked(t);
        }
        check(cuLaunchKernel, r);
    }

    public long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int r = call(cuMemAlloc, out, bytes);
            if (r != 0) throw error("cuMemAlloc(" + bytes + " bytes)", r);
            return out.get(JAVA_LONG, 0);
        }
    }

    public void memFree(long pointer) {
        check(cuMemFree, call(cuMemFree, pointer));
    }

    /** Page-locked host memory: async copies to and from it run without the host waiting. */
    public MemorySegment memAllocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = call(cuMemAllocHost, out, bytes);
            if (r != 0) throw error("cuMemAllocHost(" + bytes + " bytes)", r);
            return out.get(ADDRESS, 0).reinterpret(bytes);
        }
    }

    public void memFreeHost(MemorySegment pointer) {
        check(cuMemFreeHost, call(cuMemFreeHost, pointer));
    }

    public void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        check(cuMemcpyHtoD, call(cuMemcpyHtoD, dst, src, bytes));
    }

    public void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        check(cuMemcpyDtoH, call(cuMemcpyDtoH, dst, src, bytes));
    }

    /**
     * Queued on the stream. From pageable host memory the driver returns once it has taken its own
     * copy of the source, so the caller may reuse it at once.
     */
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        check(cuMemcpyHtoDAsync, call(cuMemcpyHtoDAsync, dst, src, bytes, stream));
    }

    /** Queued on the stream; the host memory holds the data only after the stream is synchronised. */
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        check(cuMemcpyDtoHAsync, call(cuMemcpyDtoHAsync, dst, src, bytes, stream));
    }

    public void memsetD8Async(long dst, int value, long bytes, MemorySegment stream) {
        check(cuMemsetD8Async, call(cuMemsetD8Async, dst, value, bytes, stream));
    }

    public MemorySegment streamCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuStreamCreate, call(cuStreamCreate, out, 0)); // CU_STREAM_DEFAULT: ordered with the legacy stream too
            return out.get(ADDRESS, 0);
        }
    }

    public void streamSynchronize(MemorySegment stream) {
        check(cuStreamSynchronize, call(cuStreamSynchronize, stream));
    }

    public void streamDestroy(MemorySegment stream) {
        check(cuStreamDestroy, call(cuStreamDestroy, stream));
    }

    public MemorySegment eventCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuEventCreate, call(cuEventCreate, out, 0));
            return out.get(ADDRESS, 0);
        }
    }

    public void eventRecord(MemorySegment event, MemorySegment stream) {
        check(cuEventRecord, call(cuEventRecord, event, stream));
    }

    public void eventSynchronize(MemorySegment event) {
        check(cuEventSynchronize, call(cuEventSynchronize, event));
    }

    /** Milliseconds between two recorded events. */
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            check(cuEventElapsedTime, call(cuEventElapsedTime, ms, start, end));
            return ms.get(JAVA_FLOAT, 0);
        }
    }

    public void eventDestroy(MemorySegment event) {
        check(cuEventDestroy, call(cuEventDestroy, event));
    }

    // ------------------------------------------------------------------------------------------
    // CUDA Graphs: capture a stream's work once, replay it with one launch
    // ------------------------------------------------------------------------------------------

    /** Whether the driver has every CUDA Graph call below (CUDA 11.4 and later; the simulator too). */
    public boolean graphsAvailable() {
        return missingGraphCalls.isEmpty();
    }

    /** An IllegalStateException in one line naming the missing calls, where the driver lacks the graph API. */
    private void requireGraphs() {
        if (!missingGraphCalls.isEmpty())
            throw new IllegalStateException("the CUDA driver at " + location + " has no CUDA Graph API (no " + String.join(", ", missingGraphCalls)
                    + "): CUDA Graphs need a driver of CUDA 11.4 or later");
    }

    /**
     * cuStreamBeginCapture: from now until {@link #streamEndCapture}, the work queued on the stream
     * (kernel launches, async copies, memsets, cuBLAS calls on it) is recorded into a graph instead
     * of run. Calls the capture forbids ({@code mode}: a CAPTURE_MODE_ constant) — synchronising the
     * stream, synchronous copies, allocations, async copies from pageable memory — fail with
     * CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900) and invalidate the capture. The legacy (null)
     * stream cannot be captured.
     */
    public void streamBeginCapture(MemorySegment stream, int mode) {
        requireGraphs();
        check(cuStreamBeginCapture, call(cuStreamBeginCapture, stream, mode));
    }

    /**
     * cuStreamEndCapture: ends the stream's capture and returns the graph (a CUgraph, to instantiate
     * and then destroy with {@link #graphDestroy}). A capture a forbidden call invalidated ends
     * here too, with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED (901) and no graph. Outside relaxed mode,
     * only the thread that began the capture may end it.
     */
    public MemorySegment streamEndCapture(MemorySegment stream) {
        requireGraphs();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuStreamEndCapture, call(cuStreamEndCapture, stream, out));
            return out.get(ADDRESS, 0);
        }
    }

    /** cuStreamIsCapturing: a CAPTURE_STATUS_ constant. */
    public int streamCaptureStatus(MemorySegment stream) {
        requireGraphs();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(cuStreamIsCapturing, call(cuStreamIsCapturing, stream, out));
            return out.get(JAVA_INT, 0);
        }
    }

    /**
     * cuGraphInstantiate (cuGraphInstantiateWithFlags, flags 0): an executable graph (CUgraphExec)
     * of the graph, independent of it afterwards: the graph may be destroyed at once. Free it with
     * {@link #graphExecDestroy}.
     */
    public MemorySegment graphInstantiate(MemorySegment graph) {
        requireGraphs();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cuGraphInstantiate, call(cuGraphInstantiate, out, graph, 0L));
            return out.get(ADDRESS, 0);
        }
    }

    /**
     * cuGraphLaunch: queues the whole executable graph on the stream, in one call. The captured
     * kernels use the argument values and device addresses they had when captured: memory they
     * name must still be allocated (and hold the data wanted) when the graph runs.
     */
    public void graphLaunch(MemorySegment exec, MemorySegment stream) {
        requireGraphs();
        check(cuGraphLaunch, call(cuGraphLaunch, exec, stream));
    }

    /** cuGraphExecDestroy: frees an executable graph (one already queued still runs on a GPU). */
    public void graphExecDestroy(MemorySegment exec) {
        requireGraphs();
        check(cuGraphExecDestroy, call(cuGraphExecDestroy, exec));
    }

    /** cuGraphDestroy: frees a graph from {@link #streamEndCapture}; its instantiations stay. */
    public void graphDestroy(MemorySegment graph) {
        requireGraphs();
        check(cuGraphDestroy, call(cuGraphDestroy, graph));
    }

    // ------------------------------------------------------------------------------------------
    // The simulator's own calls
    // ------------------------------------------------------------------------------------------

    /** The simulator's counters (see {@link SimulatorCounters}); null from a real driver, which keeps none. */
    public SimulatorCounters counters() {
        if (!ncsimGetCounters.available()) return null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG, SimulatorCounters.COUNT);
            call(ncsimGetCounters, out, SimulatorCounters.COUNT);
            return SimulatorCounters.of(out.toArray(JAVA_LONG));
        }
    }

    public void resetCounters() {
        if (!ncsimResetCounters.available()) return;
        try {
            ncsimResetCounters.handle().invoke();
        } catch (Throwable t) {
            throw ncsimResetCounters.unchecked(t);
        }
    }

    /** One line on how the simulator is set (workers, seed, memory); null from a real driver. */
    public String simulatorSettings() {
        return ncsimDescribe.available() ? string(ncsimDescribe) : null;
    }

    private static String string(Downcall f) {
        try {
            MemorySegment p = (MemorySegment) f.handle().invoke();
            return p.equals(MemorySegment.NULL) ? null : p.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw f.unchecked(t);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    private void check(Downcall function, int result) {
        if (result != 0) throw error(function.name(), result);
    }

    /**
     * The exception for a failed call, with the driver's own name and description of the code when
     * it gives them; from the simulator, with what it saw (the kernel, block and thread of a bad
     * access, the allocation it missed, ...).
     */
    public CudaException error(String function, int result) {
        String description = describe(cuGetErrorString, result, null);
        String detail = ncsimLastErrorDetail.available() ? string(ncsimLastErrorDetail) : null;
        if (detail != null && !detail.isBlank()) description = description == null ? detail : description + ": " + detail;
        return new CudaException(function, result, describe(cuGetErrorName, result, CudaErrors.driverName(result)), description);
    }

    private static String describe(Downcall getter, int result, String fallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if ((int) getter.handle().invokeExact(result, out) != 0) return fallback;
            MemorySegment p = out.get(ADDRESS, 0);
            return p.equals(MemorySegment.NULL) ? fallback : p.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    private static int call(Downcall f, Object... args) {
        return f.callInt(args);
    }
}
