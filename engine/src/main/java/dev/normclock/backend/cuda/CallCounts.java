package dev.normclock.backend.cuda;

/**
 * The engine's own count of the calls {@link CudaContext} makes to the driver and cuBLAS, kept
 * because a GPU's driver reports no such counters. Each is counted after the call returned
 * successfully, as the simulator counts (a refused call did nothing). The counts follow the
 * simulator's rules so that the two can be compared: a host synchronisation is a stream or context
 * synchronisation, or a copy that makes the host wait — a device-to-host copy into pageable memory,
 * which CUDA completes before returning (an async host-to-device copy does not wait).
 * Synchronised: the context may be driven from another thread ({@link CudaContext#makeCurrent}),
 * and a count costs nothing beside a driver call.
 */
final class CallCounts {
    private long launches, graphLaunches, cublas, uploads, uploadBytes, downloads, downloadBytes, memsets, syncs, allocations, frees;

    synchronized void kernelLaunch() {
        launches++;
    }

    synchronized void graphLaunch() {
        graphLaunches++;
    }

    synchronized void cublasCall() {
        cublas++;
    }

    synchronized void hostToDevice(long bytes) {
        uploads++;
        uploadBytes += bytes;
    }

    /** {@code blocking}: into pageable memory, so the host waited for it (and for all work queued before it). */
    synchronized void deviceToHost(long bytes, boolean blocking) {
        downloads++;
        downloadBytes += bytes;
        if (blocking) syncs++;
    }

    synchronized void memset() {
        memsets++;
    }

    synchronized void hostSync() {
        syncs++;
    }

    synchronized void allocation() {
        allocations++;
    }

    synchronized void free() {
        frees++;
    }

    synchronized StepCounters snapshot() {
        return new StepCounters(launches, graphLaunches, cublas, uploads, uploadBytes, downloads, downloadBytes, memsets, syncs, allocations, frees);
    }
}
