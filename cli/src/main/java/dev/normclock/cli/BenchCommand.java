package dev.normclock.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.train.StepBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock bench`: training throughput of a population on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {
                "Measures training throughput in model-steps/s and executed GFLOP/s.",
                "",
                "Times full steps (forward, backward, AdamW, clamp) of a population of MLPs after a warm-up. Defaults are",
                "the paper's cell (p = 59, d = 128, H = 256, f = 0.4) with 16 models. Evaluation is not timed.",
                ""},
        footer = {"", "Executed FLOPs per model-step count the products the step runs (the first layer in its rewritten",
                "form E*W1, formed once per step): 2*(3*2*p*d*H + 3*n*H*p) with n = round(f*p^2)."})
final class BenchCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ShapeOptions shape = new ShapeOptions();
    @Option(names = "--models", paramLabel = "B", description = "Population size. Default: ${DEFAULT-VALUE}.")
    int models = 16;
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads. Default: all cores (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--seconds", paramLabel = "S", description = "Timed seconds per repetition. Default: ${DEFAULT-VALUE}.")
    double seconds = 5;
    @Option(names = "--repeats", paramLabel = "R", description = "Timed repetitions; the best is reported. Default: ${DEFAULT-VALUE}.")
    int repeats = 3;
    @Option(names = "--warmup", paramLabel = "STEPS", description = "Untimed warm-up steps (lets the JIT compile the kernels). Default: ${DEFAULT-VALUE}.")
    int warmup = 30;
    @Option(names = "--json", description = "Print the figures as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (models < 1) throw new IllegalArgumentException("--models must be at least 1, got " + models);
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be positive, got " + seconds);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be zero or positive, got " + warmup);
        PrintWriter out = spec.commandLine().getOut();
        StepBenchmark.Result best = null;
        try (CpuBackend be = new CpuBackend(threads)) {
            for (int r = 0; r < repeats; r++) {
                StepBenchmark.Result res = StepBenchmark.run(be, shape.p, shape.width, shape.hidden, shape.trainFrac, models, r == 0 ? warmup : 3, seconds);
                if (!json) out.printf("  repetition %d: %.1f model-steps/s%n", r + 1, res.modelStepsPerSecond());
                if (best == null || res.modelStepsPerSecond() > best.modelStepsPerSecond()) best = res;
            }
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("backend", "cpu");
            o.put("threads", threads);
            o.put("p", shape.p);
            o.put("d", shape.width);
            o.put("hidden", shape.hidden);
            o.put("train_frac", shape.trainFrac);
            o.put("models", models);
            o.put("model_steps_per_second", best.modelStepsPerSecond());
            o.put("executed_gflops", best.gflops());
            o.put("flops_per_model_step", best.flopsPerModelStep());
            o.put("bytes_per_model", best.bytes() / models);
            o.put("repeats", repeats);
            o.put("seconds_per_repeat", seconds);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf("normclock bench: p=%d d=%d H=%d f=%.2f, %d models, cpu backend, %d threads%n", shape.p, shape.width, shape.hidden, shape.trainFrac, models, threads);
            out.printf("  %.1f model-steps/s (best of %d), %.1f GFLOP/s executed (%.1f MFLOP per model-step), %.1f MiB per model%n",
                    best.modelStepsPerSecond(), repeats, best.gflops(), best.flopsPerModelStep() / 1e6, best.bytes() / (double) models / (1 << 20));
        }
        return 0;
    }
}
