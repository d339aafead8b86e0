package dev.normclock.backend.cuda;

import java.util.Map;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;

/**
 * Whether the cuda backend can run here — a CUDA driver that sees a GPU, cuBLAS, and the kernels
 * in this build — and if not, one line saying which part is missing and what to do.
 */
public record CudaAvailability(CudaDriver.Report driver, Cublas.Report cublas, boolean kernels) {

    public static CudaAvailability probe(Map<String, String> env) {
        return new CudaAvailability(CudaDriver.probe(env), Cublas.probe(env), KernelImage.built());
    }

    public boolean usable() {
        return driver.available() && cublas.available() && kernels;
    }

    /** Null when usable; else the first missing part, in the order a user fixes them. */
    public String problem() {
        if (!driver.available()) return driver.problem() == null ? "the CUDA driver sees no GPU" : driver.problem();
        if (!cublas.available()) return cublas.problem();
        if (!kernels) return KernelImage.NOT_BUILT;
        return null;
    }

    /** The GPU the backend would use (the first), for messages. */
    public String gpuName() {
        return driver.available() ? driver.gpus().getFirst().name() : "no GPU";
    }
}
