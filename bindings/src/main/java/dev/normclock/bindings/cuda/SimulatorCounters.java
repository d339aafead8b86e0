package dev.normclock.bindings.cuda;

/**
 * What the CUDA simulator counted (ncsimGetCounters, in native/sim/simulator.h's order): the
 * structure of the work the host asked of the GPU, which a real driver does not report. Host
 * synchronisations are the calls that make the host wait for the GPU: stream, context and event
 * synchronisations, synchronous copies, and async device-to-host copies into pageable memory
 * (which CUDA completes before returning).
 */
public record SimulatorCounters(long kernelLaunches, long graphLaunches, long cublasCalls, long hostToDeviceCopies, long hostToDeviceBytes,
                                long deviceToHostCopies, long deviceToHostBytes, long memsets, long hostSynchronizations, long allocations,
                                long frees) {
    /** How many counters the simulator keeps. */
    public static final int COUNT = 11;

    static SimulatorCounters of(long[] v) {
        return new SimulatorCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
    }

    /** What happened between {@code before} and this reading. */
    public SimulatorCounters since(SimulatorCounters before) {
        return new SimulatorCounters(kernelLaunches - before.kernelLaunches, graphLaunches - before.graphLaunches, cublasCalls - before.cublasCalls,
                hostToDeviceCopies - before.hostToDeviceCopies, hostToDeviceBytes - before.hostToDeviceBytes,
                deviceToHostCopies - before.deviceToHostCopies, deviceToHostBytes - before.deviceToHostBytes, memsets - before.memsets,
                hostSynchronizations - before.hostSynchronizations, allocations - before.allocations, frees - before.frees);
    }
}
