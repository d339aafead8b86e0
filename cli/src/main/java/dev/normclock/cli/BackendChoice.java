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
 * sees one and the kernels are found; otherwise refused (exit 2) with one line saying which is
 * missing. cuda-sim: the same cuda backend on normclock's CUDA simulator (the kernels run on the
 * CPU): it proves the GPU code's logic, not its speed, and only runs when asked for — auto and
 * cuda never pick it. auto: cuda when it can run, else the CPU — with a one-line note when a GPU
 * is there but cannot be used, and silently on a machine without one. The float64 audit runs on
 * the CPU only.
 */
final class BackendChoice {
    enum Kind {
        CPU("cpu"), CUDA("cuda"), CUDA_SIM("cuda-sim");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        /** Whether this is the cuda backend, on a GPU or on the simulator. */
        boolean cuda() {
            return this != CPU;
        }
    }

    private BackendChoice() {
    }

    /** The --backend help of train, reproduce and bench: every choice, and what cuda-sim is. */
    static final String BACKEND_HELP = "cpu, cuda, cuda-sim or auto. cpu: the Vector API backend. cuda: the GPU (float32; refused with "
            + "what is missing where the driver, a GPU or the kernels are not found, see 'normclock devices'). cuda-sim: the cuda "
            + "backend on normclock's CUDA simulator, which runs the GPU kernels on this CPU: it proves the GPU code's logic, not its "
            + "speed (far slower than the cpu backend). auto: cuda where it can run, else cpu (never cuda-sim).";

    /** The --gemm help: where the cuda backend's GEMMs run. */
    static final String GEMM_HELP = "With --backend cuda or cuda-sim: where the GEMMs run. auto: cuBLAS where it is found, else "
            + "normclock's nc_gemm kernel; cublas: cuBLAS only (refused where it is not found); kernel: normclock's nc_gemm kernel "
            + "(FP32 always). Default: auto. Refused on the cpu backend.";

    /** Checks the name and decides, before any work starts; notes go to err. */
    static Kind resolve(String backend, Precision precision, PrintWriter err, Map<String, String> env) {
        switch (backend) {
            case "cpu" -> {
                return Kind.CPU;
            }
            case "cuda", "cuda-sim" -> {
                boolean sim = backend.equals("cuda-sim");
                if (precision != Precision.FLOAT32)
                    throw new IllegalArgumentException("--backend " + backend + " computes in float32; --precision " + precision.label()
                            + " runs on the cpu backend (--backend cpu or auto)");
                CudaAvailability a = sim ? CudaAvailability.probeSimulator(env) : CudaAvailability.probe(env);
                if (!a.usable())
                    throw new IllegalArgumentException("--backend " + backend + ": " + a.problem() + "; use --backend cpu"
                            + (sim ? "" : " or auto") + " (see 'normclock devices" + (sim ? " --backend cuda-sim" : "") + "')");
                return sim ? Kind.CUDA_SIM : Kind.CUDA;
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
            default -> throw new IllegalArgumentException("--backend must be cpu, cuda, cuda-sim or auto; got '" + backend + "'");
        }
    }

    /** The one-line description of --tf32, shared by train, reproduce and bench. */
    static final String TF32_HELP = "With the cuda backend: let cuBLAS's GEMMs use TF32 tensor cores (inputs rounded to 10 mantissa bits). "
            + "Faster on the GPU but not float32 arithmetic: it changes the numerics, so each run's config records \"tf32\": true "
            + "and reports say so. Default: off (plain FP32). Refused on the cpu backend and with --gemm kernel.";

    /** --tf32 is for the cuda backend's GEMMs; on the CPU (asked for, or where auto chose it) it is refused in one line. */
    static void checkTf32(boolean tf32, Kind kind) {
        if (tf32 && !kind.cuda())
            throw new IllegalArgumentException("--tf32 applies to the cuda backend's cuBLAS GEMMs only; the cpu backend computes in plain float32 "
                    + "(drop --tf32, or use --backend cuda on a GPU)");
    }

    /**
     * --gemm (null: not given, which is auto) for the cuda backend: refused on the CPU, and with
     * --tf32 when the GEMMs are to run on normclock's kernel, which has no TF32 form.
     */
    static CudaBackend.Gemm gemm(String gemm, boolean tf32, Kind kind) {
        if (gemm == null) return CudaBackend.Gemm.AUTO;
        CudaBackend.Gemm g = switch (gemm) {
            case "auto" -> CudaBackend.Gemm.AUTO;
            case "cublas" -> CudaBackend.Gemm.CUBLAS;
            case "kernel" -> CudaBackend.Gemm.KERNEL;
            default -> throw new IllegalArgumentException("--gemm must be auto, cublas or kernel; got '" + gemm + "'");
        };
        if (!kind.cuda())
            throw new IllegalArgumentException("--gemm applies to the cuda backend (--backend cuda or cuda-sim) only; the cpu backend has its own "
                    + "GEMM kernels (drop --gemm)");
        if (tf32 && g == CudaBackend.Gemm.KERNEL)
            throw new IllegalArgumentException("--tf32 applies to cuBLAS's GEMMs; --gemm kernel runs them on normclock's nc_gemm kernel, which "
                    + "computes in plain FP32 (drop one of them)");
        return g;
    }

    /** The one-line description of --softmax-sum, shared by train and reproduce. */
    static final String SOFTMAX_SUM_HELP = "The float32 cross-entropy: the order of its sum over the classes, which decides when a row's "
            + "softmax collapses (its total rounds to 1). warp: the order of PyTorch's CUDA log-softmax (up to 1024 classes: 32 strided "
            + "partial sums, then a butterfly tree), the papers' arithmetic and the cuda kernels' own; class-order: in class order, so "
            + "each term after the top class's 1.0 rounds away on its own (normclock's default before warp; resume a study trained so "
            + "with it); top-last: the other classes first and the top class last. Runs record \"softmax_sum\" unless class-order. "
            + "Default: warp. The cuda backends take warp only.";

    /** --softmax-sum (null: not given, warp); the cuda backends sum in warp order only. */
    static dev.normclock.backend.SoftmaxSum softmaxSum(String sum, Kind kind) {
        if (sum == null) return dev.normclock.backend.SoftmaxSum.WARP;
        dev.normclock.backend.SoftmaxSum s = dev.normclock.backend.SoftmaxSum.parse(sum);
        if (kind.cuda() && s != dev.normclock.backend.SoftmaxSum.WARP)
            throw new IllegalArgumentException("--softmax-sum " + sum + " applies to the cpu backend only; the cuda kernels sum in warp "
                    + "order (drop --softmax-sum, or use --backend cpu)");
        return s;
    }

    /** The cpu backend (float32 with the given softmax sum, or float64) or {@link #open} for the others. */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env, boolean tf32, CudaBackend.Gemm gemm,
                        dev.normclock.backend.SoftmaxSum sum) {
        if (!kind.cuda() && precision == Precision.FLOAT32) return new CpuBackend(threads, sum);
        return open(kind, precision, threads, env, tf32, gemm);
    }

    /** The backend decided by {@link #resolve}, in plain FP32 with the GEMMs where they run by default. */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env) {
        return open(kind, precision, threads, env, false, CudaBackend.Gemm.AUTO);
    }

    /**
     * The backend decided by {@link #resolve}; {@code tf32} and {@code gemm} (checked by
     * {@link #checkTf32} and {@link #gemm}) only reach the cuda backend.
     */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env, boolean tf32, CudaBackend.Gemm gemm) {
        return open(kind, precision, threads, env, new CudaBackend.Options(tf32, gemm));
    }

    /**
     * One line for stderr where the cuda backend gave up CUDA Graphs (its driver refused a capture) and
     * so issued every launch of every step: slower, the same results. Null otherwise.
     */
    static String graphNote(Backend be) {
        return be instanceof CudaBackend c && c.graphProblem() != null ? "note: " + c.graphProblem() : null;
    }

    /** As above with every cuda option (CUDA Graphs off: every launch issued, as bench --no-graphs compares). */
    static Backend open(Kind kind, Precision precision, int threads, Map<String, String> env, CudaBackend.Options options) {
        boolean tf32 = options.tf32();
        checkTf32(tf32, kind);
        if (kind.cuda()) {
            try {
                return kind == Kind.CUDA_SIM ? CudaBackend.openSimulator(env, options) : CudaBackend.open(env, options);
            } catch (RuntimeException | LinkageError e) { // a CudaException names the call and its error
                throw new IllegalArgumentException(kind == Kind.CUDA_SIM
                        ? "--backend cuda-sim: the CUDA simulator could not be set up: " + e.getMessage() + "; use --backend cpu"
                        : "--backend cuda: the GPU could not be set up: " + e.getMessage() + "; use --backend cpu", e);
            }
        }
        return precision == Precision.FLOAT64 ? new CpuFloat64Backend(threads) : new CpuBackend(threads);
    }

    /** The line train and bench print for a run on the simulator. */
    static final String SIMULATION_NOTE = "the cuda backend's kernels run on the CUDA simulator on this CPU: a check of the GPU code, "
            + "not GPU timings";
}
