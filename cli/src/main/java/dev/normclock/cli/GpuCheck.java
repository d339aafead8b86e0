package dev.normclock.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.normclock.Version;
import dev.normclock.backend.conformance.Case;
import dev.normclock.backend.conformance.Conformance;
import dev.normclock.backend.conformance.Result;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.train.StepBenchmark;
import dev.normclock.train.TrainingComparison;

/**
 * `normclock devices --check`: the GPU self-check, on a GPU or (--backend cuda-sim) on the CUDA
 * simulator. Three stages, each logged as it goes (to the terminal and to the log file), each
 * allowed to fail without hiding the others: the conformance suite (every primitive against the
 * float64 backend, the same cases the tests run on the cpu backend) once per GEMM path — cuBLAS
 * where it is found, and normclock's nc_gemm kernel —, a few training steps of every model and of
 * the paper's MLP shape on the cuda and the cpu backend, and the MLP step at p = 59 (d = 128,
 * H = 256, f = 0.4): its throughput on a GPU, the simulator's counters per step on the simulator
 * (whose time says nothing of a GPU's).
 *
 * <p>A kernel that faults leaves the context in a sticky error, after which every call fails; so
 * after a case that threw, the backend is closed and a fresh one opened before the next case, and
 * every primitive gets its own verdict — the first FAIL names the primitive at fault.
 *
 * <p>Exit 0 when every comparison passed, 1 when one failed or a stage broke, 2 without a usable
 * GPU (or simulator).
 */
final class GpuCheck {
    private final PrintWriter out, err;
    private final Path logFile;
    private final int steps;
    private final double benchSeconds;
    /** Population sizes of the last stage; null: the default (16, 64, 256 on a GPU; 16 on the simulator). */
    private final int[] benchModels;
    /** Only the first stage: the short run that bench/gpu-check.sh puts under compute-sanitizer. */
    private final boolean primitivesOnly;
    /** On the CUDA simulator instead of a GPU. */
    private final boolean simulated;
    /** The GEMM path asked for (--gemm), or null: every path there is in stage 1, the default in the others. */
    private final CudaBackend.Gemm gemm;
    private final StringWriter log = new StringWriter();
    private final String name;

    /** Timed steps of the simulator's counters per step (after one warm-up step). */
    static final int SIMULATED_STEPS = 3;

    GpuCheck(PrintWriter out, PrintWriter err, Path logFile, int steps, double benchSeconds, int[] benchModels, boolean primitivesOnly,
             boolean simulated, CudaBackend.Gemm gemm) {
        this.out = out;
        this.err = err;
        this.logFile = logFile;
        this.steps = steps;
        this.benchSeconds = benchSeconds;
        this.benchModels = benchModels;
        this.primitivesOnly = primitivesOnly;
        this.simulated = simulated;
        this.gemm = gemm;
        this.name = simulated ? "cuda-sim" : "cuda";
    }

    private void line(String s) {
        out.println(s);
        out.flush();
        log.append(s).append('\n');
    }

    int run(Map<String, String> env) throws IOException {
        CudaAvailability a = simulated ? CudaAvailability.probeSimulator(env) : CudaAvailability.probe(env);
        if (!a.usable()) {
            err.println(simulated ? "normclock devices --check --backend cuda-sim: the CUDA simulator cannot run here: " + a.problem()
                    : "normclock devices --check: no usable GPU here: " + a.problem());
            return Main.BAD_INPUT;
        }
        if (simulated)
            line("normclock " + Version.VERSION + " GPU self-check on the CUDA simulator (" + a.gpuName() + ", CUDA driver API "
                    + version(a.driver().driverVersion()) + ", the simulator's " + a.gemm() + "), Java " + Runtime.version());
        else
            line("normclock " + Version.VERSION + " GPU self-check on " + a.gpuName() + ", CUDA driver " + a.driver().driverVersion()
                    + ", GEMMs on " + a.gemm() + (a.cublas().available() ? " (" + a.cublas().location() + ")" : "") + ", Java " + Runtime.version());
        if (simulated)
            line("a simulation: the cuda backend's kernels run on this CPU, each GPU thread a fiber, every memory access checked; "
                    + "it checks the GPU code's logic, not a GPU's speed");
        List<CudaBackend.Gemm> paths = gemm != null ? List.of(gemm)
                : a.cublas().available() ? List.of(CudaBackend.Gemm.CUBLAS, CudaBackend.Gemm.KERNEL) : List.of(CudaBackend.Gemm.KERNEL);
        boolean ok = true;
        int threads = Runtime.getRuntime().availableProcessors();
        try (CpuBackend cpu = new CpuBackend(threads)) {
            for (CudaBackend.Gemm path : paths) ok &= primitives(env, path);
            if (!primitivesOnly) {
                ok &= training(env, cpu);
                if (benchSeconds > 0) ok &= benchmark(env);
            }
        } finally {
            write();
        }
        line(ok ? "self-check passed" : "self-check FAILED (see " + logFile + ")");
        write();
        return ok ? 0 : 1;
    }

    /** A fresh backend: the simulator's or the GPU's, with the GEMMs on {@code path}. */
    private CudaBackend open(Map<String, String> env, CudaBackend.Gemm path) {
        CudaBackend.Options options = new CudaBackend.Options(false, path);
        return simulated ? CudaBackend.openSimulator(env, options) : CudaBackend.open(env, options);
    }

    /** Closes a backend that may be in a sticky error; what closing throws goes to the log only. */
    private void closeQuietly(CudaBackend be) {
        if (be == null) return;
        try {
            be.close();
        } catch (RuntimeException | LinkageError e) {
            log.append("  (closing the backend after the failure: ").append(String.valueOf(e)).append(")\n");
        }
    }

    /**
     * Stage 1 on one GEMM path: every case of the conformance suite, each on a backend in a clean
     * state — after a case that threw, the backend is closed and a fresh one opened.
     */
    private boolean primitives(Map<String, String> env, CudaBackend.Gemm path) {
        long start = System.nanoTime();
        CudaBackend be;
        try {
            be = open(env, path);
        } catch (RuntimeException | LinkageError e) {
            line("primitives: the " + name + " backend with GEMMs on " + label(path) + " failed to start: " + e);
            trace(e);
            return false;
        }
        line("primitives: the conformance suite, " + name + " with GEMMs on " + be.gemmPath()
                + " against cpu-float64 (worst error in units of each case's tolerance)");
        boolean ok = true;
        int count = 0, reopened = 0;
        List<Case> cases = Conformance.cases();
        try {
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                Result r;
                boolean threw = false;
                try {
                    r = c.run(be, 42);
                } catch (RuntimeException | LinkageError e) {
                    r = new Result(c.name(), c.rule(), Double.NaN, "the call threw " + oneLine(e));
                    trace(e);
                    threw = true;
                }
                line("  " + r.line());
                ok &= r.passed();
                count++;
                if (threw && i + 1 < cases.size()) { // a sticky error fails every later call: start the next case afresh
                    closeQuietly(be);
                    be = null;
                    try {
                        be = open(env, path);
                        reopened++;
                    } catch (RuntimeException | LinkageError e) {
                        line("  the " + name + " backend could not be opened again after that failure: " + oneLine(e) + "; "
                                + (cases.size() - i - 1) + " cases not run");
                        trace(e);
                        return false;
                    }
                }
            }
        } finally {
            closeQuietly(be);
        }
        line(String.format(Locale.ROOT, "  %d comparisons, %s, %.1f s%s", count, ok ? "all within tolerance" : "SOME FAILED",
                (System.nanoTime() - start) / 1e9, reopened == 0 ? "" : reopened == 1 ? " (the backend was opened afresh after the case that threw)"
                        : " (the backend was opened afresh after each of the " + reopened + " cases that threw)"));
        return ok;
    }

    /** Stage 2: the training comparison, its two parts each on a fresh backend after the other threw. */
    private boolean training(Map<String, String> env, CpuBackend cpu) {
        CudaBackend.Gemm path = gemm != null ? gemm : CudaBackend.Gemm.AUTO;
        line("training: " + steps + " steps of each model on the " + name + " and the cpu backend (|x - y| / max|y|, tolerance 1e-3)");
        long start = System.nanoTime();
        List<Result> all = new ArrayList<>();
        boolean broke = false;
        for (int part = 0; part < 2; part++) {
            try (CudaBackend gpu = open(env, path)) {
                all.addAll(part == 0 ? TrainingComparison.run(cpu, gpu, steps) : TrainingComparison.paperMlp(cpu, gpu, Math.min(steps, 3)));
            } catch (RuntimeException | LinkageError e) {
                line("  " + (part == 0 ? "the models" : "the paper's MLP shape") + ": broke: " + oneLine(e));
                trace(e);
                broke = true;
            }
        }
        boolean ok = !broke;
        for (Result r : all) {
            line("  " + r.line());
            ok &= r.passed();
        }
        line(String.format(Locale.ROOT, "  %d comparisons, %s, %.1f s", all.size(), ok ? "all within tolerance" : "SOME FAILED",
                (System.nanoTime() - start) / 1e9));
        return ok;
    }

    /**
     * Stage 3. On a GPU: model-steps/s and executed GFLOP/s of the MLP step; a broken point fails
     * the check, a slow one does not. On the simulator: the counters per step instead (its time
     * is the simulator's, not a GPU's).
     */
    private boolean benchmark(Map<String, String> env) {
        int p = 59, d = 128, hidden = 256;
        double frac = 0.4;
        int[] sizes = benchModels != null ? benchModels : simulated ? new int[]{16} : new int[]{16, 64, 256};
        if (simulated)
            line(String.format(Locale.ROOT, "per step: the MLP step at p=%d d=%d H=%d f=%.1f on cuda-sim, the simulator's counters over %d steps "
                    + "(what a GPU would be asked to do; the simulator's time is not a GPU's)", p, d, hidden, frac, SIMULATED_STEPS));
        else
            line(String.format(Locale.ROOT, "throughput: the MLP step at p=%d d=%d H=%d f=%.1f on the cuda backend, %.0f s per point", p, d, hidden,
                    frac, benchSeconds));
        try (CudaBackend gpu = open(env, gemm != null ? gemm : CudaBackend.Gemm.AUTO)) {
            for (int models : sizes) {
                if (simulated) {
                    StepBenchmark.Result r = StepBenchmark.run(gpu, p, d, hidden, frac, models, 1, 0, SIMULATED_STEPS);
                    line(String.format(Locale.ROOT, "  %4d models, GEMMs on %s: %s", models, gpu.gemmPath(), GpuFigures.countersLine(r, true)
                            .replaceFirst("^per step \\([^)]*\\): ", "")));
                } else {
                    StepBenchmark.Result r = StepBenchmark.run(gpu, p, d, hidden, frac, models, 5, benchSeconds);
                    line(String.format(Locale.ROOT, "  %4d models: %10.1f model-steps/s  %8.1f GFLOP/s executed  %7.1f evaluations/s  (%d steps in %.2f s)",
                            models, r.modelStepsPerSecond(), r.gflops(), r.evaluationsPerSecond(), r.steps(), r.seconds()));
                }
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            line("  benchmark broke: " + oneLine(e));
            trace(e);
            return false;
        }
    }

    /** A driver version as cuDriverGetVersion gives it (13000) the way people write it (13.0). */
    static String version(int v) {
        return v / 1000 + "." + v % 1000 / 10;
    }

    private static String label(CudaBackend.Gemm path) {
        return switch (path) {
            case CUBLAS -> "cuBLAS";
            case KERNEL -> "nc_gemm";
            case AUTO -> "the default path";
        };
    }

    /** An exception in one line (the simulator's messages can carry detail on further lines, which the log keeps). */
    private static String oneLine(Throwable e) {
        String s = e.toString();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    private void trace(Throwable e) {
        StringWriter s = new StringWriter();
        e.printStackTrace(new PrintWriter(s));
        log.append(s.toString());
    }

    private void write() throws IOException {
        Path parent = logFile.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(logFile, log.toString());
    }
}
