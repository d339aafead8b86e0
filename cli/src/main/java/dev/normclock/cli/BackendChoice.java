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

    /** The one-line description of --tf32, shared by train, reproduce and bench. */
    static final String TF32_HELP = "With the cuda backend: let cuBLAS's GEMMs use TF32 tensor cores (inputs rounded to 10 mantissa bits). "
            + "Faster on the GPU but not float32 arithmetic: it changes the numerics, so each run's config records \"tf32\": true "
            + "and reports say so. Default: off (plain FP32). Refused on the cpu backend.";

    /** --tf32 is for the cuda backend's GEMMs; on the CPU (asked for, or where auto chose it) it is refused in one line. */
    static void checkTf32(boolean tf32, Kind kind) {
        if (tf32 && kind != Kind.CUDA)
            throw new IllegalArgumentException("--tf32 applies to the cuda backend's cuBLAS GEMMs only; the cpu backend computes in plain float32 "
                    + "(drop --tf32, or use --backend cuda on a GPU)");
    }

    /** The backend decided by {@link #resolve}, in plain FP32. */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env) {
        return open(kind, precision, threads, env, false);
    }

    /** The backend decided by {@link #resolve}; {@code tf32} (checked by {@link #checkTf32}) only reaches the cuda backend. */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env, boolean tf32) {
        checkTf32(tf32, kind);
        if (kind == Kind.CUDA) {
            try {
                return CudaBackend.open(env, tf32);
            } catch (RuntimeException | LinkageError e) { // a CudaException names the call and its error
                throw new IllegalArgumentException("--backend cuda: the GPU could not be set up: " + e.getMessage() + "; use --backend cpu", e);
            }
        }
        return precision == Precision.FLOAT64 ? new CpuFloat64Backend(threads) : new CpuBackend(threads);
    }
}
