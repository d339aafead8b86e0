package dev.normclock.backend.cuda;

import java.util.Map;

import dev.normclock.bindings.NativeLibrary;
import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;

/**
 * Whether the cuda backend can run here — a CUDA driver that sees a GPU and the kernels in this
 * build — and if not, one line saying which part is missing and what to do. cuBLAS is not
 * required: without it the GEMMs run on normclock's own kernel ({@code nc_gemm}). The same
 * question for the CUDA simulator ({@link #probeSimulator}) has the simulator's library as the
 * driver and cuBLAS, and the kernels' host build as the kernels.
 *
 * @param simulated      whether this is the CUDA simulator
 * @param driver         the driver's view of the machine
 * @param cublas         cuBLAS, or why it is not used
 * @param kernelsProblem null when the kernels are there, else why not (one line)
 */
public record CudaAvailability(boolean simulated, CudaDriver.Report driver, Cublas.Report cublas, String kernelsProblem) {

    /** NVIDIA's driver, the cuBLAS of a major version it runs, and the fatbin. */
    public static CudaAvailability probe(Map<String, String> env) {
        CudaDriver.Report driver = CudaDriver.probe(env);
        return new CudaAvailability(false, driver, Cublas.probe(env, driver.driverVersion()), KernelImage.built() ? null : KernelImage.NOT_BUILT);
    }

    /** The CUDA simulator: its library (driver and cuBLAS) and the kernels' host build. */
    public static CudaAvailability probeSimulator(Map<String, String> env) {
        String problem = CudaSimulator.problem(env);
        if (problem != null) return unavailableSimulator(problem);
        try {
            NativeLibrary lib = CudaSimulator.library(env);
            return new CudaAvailability(true, CudaDriver.probe(lib), Cublas.probe(lib), null);
        } catch (IllegalStateException e) {
            return unavailableSimulator(e.getMessage());
        }
    }

    /** The simulator missing, for one reason that every part reports. */
    private static CudaAvailability unavailableSimulator(String problem) {
        return new CudaAvailability(true, new CudaDriver.Report(null, 0, java.util.List.of(), problem), new Cublas.Report(null, null, problem),
                problem);
    }

    public boolean kernels() {
        return kernelsProblem == null;
    }

    public boolean usable() {
        return driver.available() && kernels();
    }

    /** Null when usable; else the first missing part, in the order a user fixes them. */
    public String problem() {
        if (!driver.available()) return driver.problem() == null ? "the CUDA driver sees no GPU" : driver.problem();
        return kernelsProblem;
    }

    /** The GPU the backend would use (the first), for messages. */
    public String gpuName() {
        return driver.available() ? driver.gpus().getFirst().name() : "no GPU";
    }

    /** What the GEMMs run on: cuBLAS, or normclock's kernel and why. */
    public String gemm() {
        return cublas.available() ? "cuBLAS " + cublas.version() : "normclock's nc_gemm kernel (" + cublas.problem() + ")";
    }
}
