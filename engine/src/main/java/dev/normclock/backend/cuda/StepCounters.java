package dev.normclock.backend.cuda;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.normclock.bindings.cuda.SimulatorCounters;

/**
 * What the host asked of the GPU, counted per kind of call: kernel launches, graph launches,
 * cuBLAS calls, copies and bytes each way, memsets, host synchronisations (stream and context
 * synchronisations, and copies that make the host wait), allocations and frees. On cuda-sim these
 * are the simulator's own counters, the authority there; on a GPU, whose driver keeps none, the
 * engine's count of the calls {@link CudaContext} makes ({@link CallCounts}). A test on the simulator
 * checks that both agree, so the GPU's figures rest on a checked count.
 */
public record StepCounters(long kernelLaunches, long graphLaunches, long cublasCalls, long hostToDeviceCopies, long hostToDeviceBytes,
                           long deviceToHostCopies, long deviceToHostBytes, long memsets, long hostSynchronizations, long allocations,
                           long frees) {
    /** The counters' names as JSON spells them, in the record's order. */
    public static final String[] NAMES = {"kernel_launches", "graph_launches", "cublas_calls", "host_to_device_copies", "host_to_device_bytes",
            "device_to_host_copies", "device_to_host_bytes", "memsets", "host_synchronizations", "allocations", "frees"};

    /** The same figures from the simulator's record; null stays null. */
    public static StepCounters of(SimulatorCounters c) {
        return c == null ? null : new StepCounters(c.kernelLaunches(), c.graphLaunches(), c.cublasCalls(), c.hostToDeviceCopies(),
                c.hostToDeviceBytes(), c.deviceToHostCopies(), c.deviceToHostBytes(), c.memsets(), c.hostSynchronizations(), c.allocations(),
                c.frees());
    }

    /** The backend's counters so far (the simulator's on cuda-sim, the engine's count on a GPU). */
    public static StepCounters of(CudaBackend backend) {
        return of(backend.counters());
    }

    /** As the simulator's record, for {@link Gpu#counters}, whose type the backend's API keeps. */
    SimulatorCounters asSimulatorRecord() {
        return new SimulatorCounters(kernelLaunches, graphLaunches, cublasCalls, hostToDeviceCopies, hostToDeviceBytes, deviceToHostCopies,
                deviceToHostBytes, memsets, hostSynchronizations, allocations, frees);
    }

    /** The values in {@link #NAMES}' order. */
    public long[] values() {
        return new long[]{kernelLaunches, graphLaunches, cublasCalls, hostToDeviceCopies, hostToDeviceBytes, deviceToHostCopies,
                deviceToHostBytes, memsets, hostSynchronizations, allocations, frees};
    }

    /** What happened between {@code before} and this reading. */
    public StepCounters since(StepCounters before) {
        long[] a = values(), b = before.values();
        for (int i = 0; i < a.length; i++) a[i] -= b[i];
        return new StepCounters(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
    }

    /** Each counter divided by {@code n} (per step, per evaluation), keyed by {@link #NAMES}. */
    public Map<String, Double> per(int n) {
        long[] v = values();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) out.put(NAMES[i], v[i] / (double) n);
        return out;
    }
}
