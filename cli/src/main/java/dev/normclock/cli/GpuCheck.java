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
import dev.normclock.backend.conformance.Conformance;
import dev.normclock.backend.conformance.Result;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.train.StepBenchmark;
import dev.normclock.train.TrainingComparison;

/**
 * `normclock devices --check`: the GPU self-check. Three stages, each logged as it goes (to the
 * terminal and to the log file), each allowed to fail without hiding the others: the conformance
 * suite (every primitive against the float64 backend, the same cases the tests run on the cpu
 * backend), a few training steps of every model and of the paper's MLP shape on the cuda and the
 * cpu backend, and the MLP step's throughput at p = 59 (d = 128, H = 256, f = 0.4) for several
 * population sizes. Exit 0 when every comparison passed, 1 when one failed or a stage broke, 2
 * without a usable GPU.
 */
final class GpuCheck {
    private final PrintWriter out, err;
    private final Path logFile;
    private final int steps;
    private final double benchSeconds;
    private final int[] benchModels;
    /** Only the first stage: the short run that bench/gpu-check.sh puts under compute-sanitizer. */
    private final boolean primitivesOnly;
    private final StringWriter log = new StringWriter();

    GpuCheck(PrintWriter out, PrintWriter err, Path logFile, int steps, double benchSeconds, int[] benchModels, boolean primitivesOnly) {
        this.out = out;
        this.err = err;
        this.logFile = logFile;
        this.steps = steps;
        this.benchSeconds = benchSeconds;
        this.benchModels = benchModels;
        this.primitivesOnly = primitivesOnly;
    }

    private void line(String s) {
        out.println(s);
        out.flush();
        log.append(s).append('\n');
    }

    int run(Map<String, String> env) throws IOException {
        CudaAvailability a = CudaAvailability.probe(env);
        if (!a.usable()) {
            err.println("normclock devices --check: no usable GPU here: " + a.problem());
            return Main.BAD_INPUT;
        }
        line("normclock " + Version.VERSION + " GPU self-check on " + a.gpuName() + ", CUDA driver " + a.driver().driverVersion()
                + ", cuBLAS " + a.cublas().version() + " (" + a.cublas().location() + "), Java " + Runtime.version());
        boolean ok = true;
        int threads = Runtime.getRuntime().availableProcessors();
        try (CpuBackend cpu = new CpuBackend(threads); CudaBackend gpu = CudaBackend.open(env)) {
            ok &= stage("primitives: the conformance suite, cuda against cpu-float64 (worst error in units of each case's tolerance)",
                    () -> Conformance.run(gpu, 42));
            if (!primitivesOnly) {
                ok &= stage("training: " + steps + " steps of each model on the cuda and the cpu backend (|x - y| / max|y|, tolerance 1e-3)", () -> {
                    List<Result> all = new ArrayList<>(TrainingComparison.run(cpu, gpu, steps));
                    all.addAll(TrainingComparison.paperMlp(cpu, gpu, Math.min(steps, 3)));
                    return all;
                });
                if (benchSeconds > 0) ok &= benchmark(gpu);
            }
        } catch (RuntimeException | LinkageError e) {
            line("the cuda backend failed to start: " + e);
            trace(e);
            ok = false;
        } finally {
            write();
        }
        line(ok ? "self-check passed" : "self-check FAILED (see " + logFile + ")");
        write();
        return ok ? 0 : 1;
    }

    private interface Stage {
        List<Result> run();
    }

    private boolean stage(String title, Stage stage) {
        line(title);
        long start = System.nanoTime();
        try {
            List<Result> results = stage.run();
            boolean ok = true;
            for (Result r : results) {
                line("  " + r.line());
                ok &= r.passed();
            }
            line(String.format(Locale.ROOT, "  %d comparisons, %s, %.1f s", results.size(), ok ? "all within tolerance" : "SOME FAILED",
                    (System.nanoTime() - start) / 1e9));
            return ok;
        } catch (RuntimeException | LinkageError e) {
            line("  stage broke: " + e);
            trace(e);
            return false;
        }
    }

    /** model-steps/s and executed GFLOP/s of the MLP step; a broken point fails the check, a slow one does not. */
    private boolean benchmark(CudaBackend gpu) {
        int p = 59, d = 128, hidden = 256;
        double frac = 0.4;
        line(String.format(Locale.ROOT, "throughput: the MLP step at p=%d d=%d H=%d f=%.1f on the cuda backend, %.0f s per point", p, d, hidden, frac, benchSeconds));
        try {
            for (int models : benchModels) {
                StepBenchmark.Result r = StepBenchmark.run(gpu, p, d, hidden, frac, models, 5, benchSeconds);
                String row = String.format(Locale.ROOT, "  %4d models: %10.1f model-steps/s  %8.1f GFLOP/s executed  %7.1f evaluations/s  (%d steps in %.2f s)",
                        models, r.modelStepsPerSecond(), r.gflops(), r.evaluationsPerSecond(), r.steps(), r.seconds());
                line(row);
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            line("  benchmark broke: " + e);
            trace(e);
            return false;
        }
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
