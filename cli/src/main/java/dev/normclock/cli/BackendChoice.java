package dev.normclock.cli;

import java.io.PrintWriter;
import java.util.Map;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cpu.CpuFloat64Backend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;

/**
 * What --backend selects. cpu: the CPU backend of the precision. cuda: the GPU, when the driver
 * sees one and cuBLAS and the kernels are found; otherwise refused (exit 2) with one line saying
 * which is missing. auto: cuda when all are present, else the CPU — with a one-line note when a
 * GPU is there but cannot be used, and silently on a machine without one. The float64 audit
 * runs on the CPU only.
 */
final class BackendChoice {
    enum Kind { CPU, CUDA }

    private BackendChoice() {
    }

    /** Checks the name and decides, before any work starts; notes go to err. */
    static Kind resolve(String backend, Precision precision, PrintWriter err, Map<String, String> env) {
        switch (backend) {
            case "cpu" -> {
                return Kind.CPU;
            }
            case "cuda" -> {
                if (precision != Precision.FLOAT32)
                    throw new IllegalArgumentException("--backend cuda computes in float32; --precision " + precision.label()
                            + " runs on the cpu backend (--backend cpu or auto)");
                CudaAvailability a = CudaAvailability.probe(env);
                if (!a.usable())
                    throw new IllegalArgumentException("--backend cuda: " + a.problem() + "; use --backend cpu or auto (see 'normclock devices')");
                return Kind.CUDA;
            }
            case "auto" -> {
                if (precision != Precision.FLOAT32) return Kind.CPU;
                CudaAvailability a = CudaAvailability.probe(env);
                if (a.usable()) {
                    err.println("normclock: training on the cuda backend (" + a.gpuName() + ")");
                    return Kind.CUDA;
                }
                if (a.driver().available()) err.println("normclock: " + a.gpuName() + " is present but the cuda backend cannot run ("
                        + a.problem() + "): training on the cpu");
                return Kind.CPU;
            }
            default -> throw new IllegalArgumentException("--backend must be auto, cpu or cuda; got '" + backend + "'");
        }
    }

    /** The backend decided by {@link #resolve}. */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env) {
        if (kind == Kind.CUDA) {
            try {
                return CudaBackend.open(env);
            } catch (RuntimeException | LinkageError e) { // a CudaException names the call and its error
                throw new IllegalArgumentException("--backend cuda: the GPU could not be set up: " + e.getMessage() + "; use --backend cpu", e);
            }
        }
        return precision == Precision.FLOAT64 ? new CpuFloat64Backend(threads) : new CpuBackend(threads);
    }
}
