package dev.normclock.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.backend.Backend;
import dev.normclock.train.StepBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock bench`: training throughput on this machine, alone, against PyTorch, or over a grid. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {
                "Measures training throughput in model-steps/s and executed GFLOP/s.",
                "",
                "Times full steps (forward, backward, AdamW, clamp) of a population after a warm-up: Paper A's MLP by default,",
                "the attention model or the parity MLP with --model. Defaults are the paper's cell (p = 59, d = 128, H = 256,",
                "f = 0.4; H = 512 for the attention model and the parity MLP, whose task is n = 30, k = 3, m = 1000) with 16 models. Evaluation is timed apart, as the trainer runs it: the test pairs and the norms (the training-set metrics come from the next step's forward pass).",
                "--torch runs a PyTorch implementation of the same population (written the way the papers' code is, one per",
                "model in bench/torch/) on the same cores right after, and prints its model-steps/s, the ratio, the machine's",
                "sgemm GFLOP/s and the fraction of it the step executes.",
                "--sweep measures every population size in --sweep-models for every p in --sweep-p and writes a table",
                "(bench-sweep.csv) and a plot (bench-sweep.png) to --out.",
                "With --backend cuda or cuda-sim it also prints what a step asks of the GPU and a roofline (see below).",
                ""},
        footer = {"", "Executed FLOPs per model-step count the products the step runs (multiply-add as two). The MLP (the first",
                "layer in its rewritten form E*W1, formed once per step): 2*(3*2*p*d*H + 3*n*H*p) with n = round(f*p^2). The",
                "attention model: 3*(n*(2d^2 + 4dH + 2d(p+1) + 12d) + (2p+1)*4d^2). The parity MLP: 2*(2*m*n*H + 3*m*H*2).",
                "Memory per model is the off-heap tensors of the population divided by its size; the process's peak",
                "resident set is printed too.",
                "",
                "On cuda and cuda-sim, counters per steady training step (kernel launches, graph launches, cuBLAS calls, copies and",
                "bytes each way, host synchronisations; the simulator's own counters on cuda-sim, the engine's count of its driver",
                "and cuBLAS calls on a GPU) and per evaluation. --json puts them at top level as kernel_launches_per_step,",
                "graph_launches_per_step, cublas_calls_per_step, host_syncs_per_step, host_to_device_bytes_per_step,",
                "device_to_host_bytes_per_step, evaluation_device_to_host_copies, evaluation_device_to_host_bytes and",
                "evaluation_host_syncs, every counter under counters_per_step and counters_per_evaluation.",
                "The roofline (--json: roofline) bounds the step on the GPU: FLOPs per model-step at the FP32 peak (TF32's with",
                "--tf32) and an analytic count of its device-memory bytes (every tensor read or written once) at the memory",
                "bandwidth; 1 / max(FLOPs / peak, bytes / bandwidth) is a lower bound on a model-step's time, so an upper bound",
                "on model-steps/s, ignoring launch latency, which is given apart (launches per step x 3 us / models).",
                "Peaks come from the device's attributes, else from NVIDIA's nominal figures by device name. On cuda-sim the",
                "roofline is an estimate for an H200, not a measurement, and is never compared with the simulator's speed."})
final class BenchCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.ParentCommand
    Main parent;

    @CommandLine.Mixin
    ShapeOptions shape = new ShapeOptions();
    @Option(names = "--model", paramLabel = "MODEL", description = "mlp (Paper A's MLP), attention (the one-layer attention model, heads of 32, "
            + "--hidden its MLP width, 512 unless given) or parity-mlp (sparse parity: n -> --hidden GELU -> 2, 512 unless given). Default: ${DEFAULT-VALUE}.")
    String model = "mlp";
    private dev.normclock.model.ModelKind modelKind = dev.normclock.model.ModelKind.MLP;
    @CommandLine.Mixin
    ParityOptions parityOptions = new ParityOptions();
    @Option(names = "--models", paramLabel = "B", description = "Population size. Default: ${DEFAULT-VALUE}.")
    int models = 16;
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads. Default: all cores (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--backend", paramLabel = "NAME", description = BackendChoice.BACKEND_HELP + " On cuda and cuda-sim, bench prints the "
            + "counters per step and per evaluation (kernel launches, cuBLAS calls, copies and bytes each way, host synchronisations) and a "
            + "roofline; on cuda-sim the counters are the simulator's and its model-steps/s the simulator's, not a GPU's. Default: ${DEFAULT-VALUE}.")
    String backend = "cpu";
    private BackendChoice.Kind kind = BackendChoice.Kind.CPU;
    @Option(names = "--gemm", paramLabel = "WHERE", description = BackendChoice.GEMM_HELP)
    String gemm;
    private dev.normclock.backend.cuda.CudaBackend.Gemm gemmPath = dev.normclock.backend.cuda.CudaBackend.Gemm.AUTO;
    private String gemmUsed, deviceName; // cuBLAS or nc_gemm, and the device's name, once the cuda backend is open
    private GpuFigures gpuFigures; // counters and roofline, once the cuda backend is open
    @Option(names = "--tf32", description = BackendChoice.TF32_HELP)
    boolean tf32;
    @Option(names = "--seconds", paramLabel = "S", description = "Timed seconds per repetition. Default: ${DEFAULT-VALUE}.")
    double seconds = 5;
    @Option(names = "--repeats", paramLabel = "R", description = "Timed repetitions; the best is reported. Default: ${DEFAULT-VALUE}.")
    int repeats = 3;
    /** The warm-up on cuda-sim unless --warmup is given. */
    static final int SIMULATOR_WARMUP = 3;
    @Option(names = "--warmup", paramLabel = "STEPS", description = "Untimed warm-up steps (lets the JIT compile the kernels). Default: ${DEFAULT-VALUE}; "
            + SIMULATOR_WARMUP + " on cuda-sim.")
    int warmup = 30;
    @Option(names = "--torch", description = "Also run the PyTorch implementation side by side (needs python3 with torch).")
    boolean torch;
    @Option(names = "--python", paramLabel = "EXE", description = "Python for --torch. Default: /usr/bin/python3 where it exists "
            + "(Debian's python3-torch is installed for it), else python3 on the PATH.")
    String python = java.nio.file.Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    @Option(names = "--torch-script", paramLabel = "FILE", description = "The PyTorch implementation. Default: bench/torch/mlp_population.py, "
            + "attention_population.py or parity_population.py (by --model) of this installation.")
    Path torchScript;
    @Option(names = "--torch-threads", paramLabel = "LIST", description = "Thread counts PyTorch tries; its best is kept. Default: ${DEFAULT-VALUE}.")
    String torchThreads = "1,2";
    @Option(names = "--sweep", description = "Measure the grid --sweep-models x --sweep-p instead of one configuration.")
    boolean sweep;
    @Option(names = "--sweep-models", paramLabel = "LIST", split = ",", description = "Population sizes of the sweep. Default: ${DEFAULT-VALUE}.")
    int[] sweepModels = {1, 4, 16, 64, 256};
    @Option(names = "--sweep-p", paramLabel = "LIST", split = ",", description = "Moduli of the sweep. Default: ${DEFAULT-VALUE}.")
    int[] sweepP = {23, 59, 97, 113};
    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the sweep's table and plot. Default: ${DEFAULT-VALUE}.")
    Path out = Path.of("bench-results");
    @Option(names = "--json", description = "Print the figures as one JSON object on stdout.")
    boolean json;
    @Option(names = "--graphs", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --backend cuda or cuda-sim: replay each steady step as one CUDA Graph launch (the default, as train runs); "
                    + "--no-graphs issues every kernel and GEMM one by one, to compare.")
    boolean graphs = true;

    private dev.normclock.task.SparseParity parity; // --model parity-mlp's task

    /** The benched model at --p (for a sweep, each of --sweep-p). */
    private StepBenchmark.Subject subject(int p) {
        return switch (modelKind) {
            case MLP -> StepBenchmark.Subject.mlp(p, shape.width, shape.hidden, shape.trainFrac);
            case ATTENTION -> StepBenchmark.Subject.attention(p, shape.width, shape.hidden, shape.trainFrac);
            case PARITY_MLP -> StepBenchmark.Subject.parity(parity, shape.hidden);
        };
    }

    /** The shape as the PyTorch script's options. */
    private List<String> torchShape() {
        if (modelKind == dev.normclock.model.ModelKind.PARITY_MLP)
            return List.of("--parity-n", Integer.toString(parity.n()), "--parity-k", Integer.toString(parity.k()), "--parity-m", Integer.toString(parity.trainSize()),
                    "--hidden", Integer.toString(shape.hidden));
        return List.of("--p", Integer.toString(shape.p), "--width", Integer.toString(shape.width), "--hidden", Integer.toString(shape.hidden),
                "--train-frac", Double.toString(shape.trainFrac));
    }

    /** The benched population in words. */
    private String describeShape() {
        if (modelKind == dev.normclock.model.ModelKind.PARITY_MLP)
            return String.format(java.util.Locale.ROOT, "parity-mlp n=%d k=%d m=%d H=%d", parity.n(), parity.k(), parity.trainSize(), shape.hidden);
        return String.format(java.util.Locale.ROOT, "%sp=%d d=%d H=%d f=%.2f", modelKind == dev.normclock.model.ModelKind.MLP ? "" : model + " ",
                shape.p, shape.width, shape.hidden, shape.trainFrac);
    }

    @Override
    public Integer call() throws Exception {
        if (models < 1) throw new IllegalArgumentException("--models must be at least 1, got " + models);
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be positive, got " + seconds);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be zero or positive, got " + warmup);
        for (int b : sweepModels) if (b < 1) throw new IllegalArgumentException("--sweep-models must be at least 1, got " + b);
        for (int q : sweepP) if (q < 2) throw new IllegalArgumentException("--sweep-p must be at least 2, got " + q);
        modelKind = dev.normclock.model.ModelKind.of(model);
        var parsed = spec.commandLine().getParseResult();
        if (modelKind != dev.normclock.model.ModelKind.MLP && !parsed.hasMatchedOption("--hidden")) shape.hidden = 512; // the papers' width
        if (modelKind.modularAddition) {
            ParityOptions.refuseWith(parsed);
            new dev.normclock.model.ModularPopulation.Kind(model, shape.p, shape.width, shape.hidden, false);
            new dev.normclock.task.ModularAddition(shape.p, shape.trainFrac);
        } else {
            for (String o : new String[]{"--p", "--width", "--train-frac", "--sweep"})
                if (parsed.hasMatchedOption(o)) throw new IllegalArgumentException(o + " applies to the models of modular addition (mlp, attention), not parity-mlp");
            parity = parityOptions.task();
        }
        if (shape.hidden < 1) throw new IllegalArgumentException("--hidden must be at least 1, got " + shape.hidden);
        kind = BackendChoice.resolve(backend, dev.normclock.backend.Precision.FLOAT32, spec.commandLine().getErr(), Main.env(parent));
        BackendChoice.checkTf32(tf32, kind);
        gemmPath = BackendChoice.gemm(gemm, tf32, kind);
        if (!graphs && !kind.cuda())
            throw new IllegalArgumentException("--no-graphs applies to the cuda backend (--backend cuda or cuda-sim) only; the cpu backend launches no kernels");
        // the warm-up lets the JIT compile the cpu kernels; the simulator's kernels are compiled C++, and its steps are slow
        if (kind == BackendChoice.Kind.CUDA_SIM && !spec.commandLine().getParseResult().hasMatchedOption("--warmup")) warmup = SIMULATOR_WARMUP;
        if (torch && kind.cuda()) throw new IllegalArgumentException("--torch compares with the cpu backend; drop it or use --backend cpu "
                + "(on a GPU, bench/gpu-check.sh runs bench/torch/mlp_population.py --device cuda beside this)");
        return sweep ? runSweep() : runOne();
    }

    private StepBenchmark.Result best(Backend be, int p, int b, PrintWriter progress) {
        StepBenchmark.Result best = null;
        for (int r = 0; r < repeats; r++) {
            StepBenchmark.Result res = StepBenchmark.run(be, subject(p), b, r == 0 ? warmup : 3, seconds, 1);
            if (progress != null) progress.printf("  repetition %d: %.1f model-steps/s%n", r + 1, res.modelStepsPerSecond());
            if (best == null || res.modelStepsPerSecond() > best.modelStepsPerSecond()) best = res;
        }
        return best;
    }

    private int runOne() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        StepBenchmark.Result best;
        String device;
        try (Backend be = open()) {
            device = describe(be);
            if (!json) out.printf("normclock bench: %s, %d models, %s%n", describeShape(), models, device);
            if (!json && kind == BackendChoice.Kind.CUDA_SIM) out.println("  a simulation: " + BackendChoice.SIMULATION_NOTE + "; model-steps/s below are the "
                    + "simulator's speed, not a GPU's");
            out.flush();
            best = best(be, shape.p, models, json ? null : out);
        }
        TorchBaseline.Result pt = null;
        if (torch) {
            if (!json) out.printf("  PyTorch (threads %s, %.0f s each)...%n", torchThreads, seconds);
            out.flush();
            pt = new TorchBaseline(python, torchScript != null ? torchScript : TorchBaseline.defaultScript(modelKind))
                    .run(torchShape(), models, torchThreads, seconds);
        }
        long rss = PeakMemory.residentBytes();
        if (json) {
            Map<String, Object> o = config(shape.p, models);
            o.put("device", deviceName);
            figures(o, best);
            o.put("peak_resident_bytes", rss < 0 ? null : rss);
            if (pt != null) {
                o.put("torch_version", pt.torchVersion());
                o.put("torch_model_steps_per_second", pt.modelStepsPerSecond());
                o.put("torch_threads", pt.bestThreads());
                o.put("ratio_vs_torch", best.modelStepsPerSecond() / pt.modelStepsPerSecond());
                o.put("sgemm_peak_gflops", pt.sgemmGflops());
                o.put("gflops_fraction_of_sgemm_peak", best.gflops() / pt.sgemmGflops());
            }
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf("  %.1f model-steps/s (best of %d), %.1f GFLOP/s executed (%.1f MFLOP per model-step), %.1f MiB per model%n",
                    best.modelStepsPerSecond(), repeats, best.gflops(), best.flopsPerModelStep() / 1e6, best.bytes() / (double) models / (1 << 20));
            if (pt != null) {
                out.printf("  PyTorch %s, same population: %.1f model-steps/s (best with %d threads) -> normclock is %.1fx faster%n",
                        pt.torchVersion(), pt.modelStepsPerSecond(), pt.bestThreads(), best.modelStepsPerSecond() / pt.modelStepsPerSecond());
                out.printf("  machine peak: sgemm %.0f GFLOP/s (OpenBLAS through torch.mm, %s threads); the step executes %.0f%% of it%n",
                        pt.sgemmGflops(), torchThreads.substring(torchThreads.lastIndexOf(',') + 1), 100 * best.gflops() / pt.sgemmGflops());
            }
            out.printf("  evaluation (test pairs + norms): %.1f model-evaluations/s, %.2f training steps' worth each%n",
                    best.evaluationsPerSecond(), best.evaluationCostInSteps());
            if (kind.cuda()) out.print(gpuFigures.text(best));
            if (rss > 0) out.printf("  peak resident set of this process: %.0f MiB%n", rss / (double) (1 << 20));
        }
        return 0;
    }

    private int runSweep() throws IOException {
        PrintWriter print = spec.commandLine().getOut();
        Files.createDirectories(out);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<StepBenchmark.Result> results = new ArrayList<>();
        if (!json) print.printf("%5s %6s %16s %10s %14s%n", "p", "models", "model-steps/s", "GFLOP/s", "MiB per model");
        try (Backend be = open()) {
            describe(be);
            // Let the JIT compile every kernel before the first measured configuration.
            StepBenchmark.run(be, subject(shape.p), 4, warmup, Math.max(2, seconds), 1);
            for (int q : sweepP) {
                for (int b : sweepModels) {
                    StepBenchmark.Result r = best(be, q, b, null);
                    results.add(r);
                    Map<String, Object> row = config(q, b);
                    figures(row, r);
                    rows.add(row);
                    if (!json) print.printf("%5d %6d %16.1f %10.1f %14.2f%n", q, b, r.modelStepsPerSecond(), r.gflops(), r.bytes() / (double) b / (1 << 20));
                    print.flush();
                }
            }
        }
        Path csv = out.resolve("bench-sweep.csv"), png = out.resolve("bench-sweep.png");
        List<String> lines = new ArrayList<>();
        lines.add("p,models,threads,model_steps_per_second,executed_gflops,bytes_per_model");
        for (StepBenchmark.Result r : results)
            lines.add(String.format("%d,%d,%d,%.3f,%.3f,%d", r.p(), r.models(), r.threads(), r.modelStepsPerSecond(), r.gflops(), r.bytes() / r.models()));
        Files.write(csv, lines);
        BenchPlot.write(results, png, kind.cuda() ? String.format("normclock %s, %s d=%d H=%d f=%.2f", kind.label, model, shape.width, shape.hidden, shape.trainFrac)
                : String.format("normclock cpu, %s d=%d H=%d f=%.2f, %d threads", model, shape.width, shape.hidden, shape.trainFrac, threads));
        long rss = PeakMemory.residentBytes();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("rows", rows);
            o.put("peak_resident_bytes", rss < 0 ? null : rss);
            o.put("csv", csv.toString());
            o.put("plot", png.toString());
            print.println(new ObjectMapper().writeValueAsString(o));
        } else {
            if (rss > 0) print.printf("peak resident set of this process: %.0f MiB%n", rss / (double) (1 << 20));
            print.printf("table: %s%nplot: %s%n", csv, png);
        }
        return 0;
    }

    private Backend open() {
        return BackendChoice.open(kind, dev.normclock.backend.Precision.FLOAT32, threads, Main.env(parent),
                new dev.normclock.backend.cuda.CudaBackend.Options(tf32, gemmPath, graphs));
    }

    /** The backend in words: the cpu's threads, or the cuda backend's device and GEMM path (and TF32 where asked). */
    private String describe(Backend be) {
        if (be instanceof dev.normclock.backend.cuda.CudaBackend gpu) {
            gemmUsed = gpu.gemmPath();
            deviceName = gpu.deviceName();
            // the simulator has no peaks of its own: its roofline is an estimate for the reference GPU
            gpuFigures = new GpuFigures(gpu.simulated() ? dev.normclock.backend.cuda.DevicePeaks.REFERENCE
                    : dev.normclock.backend.cuda.DevicePeaks.probe(Main.env(parent)), gpu.simulated(), gpu.tf32());
            return gpu.name() + " backend (" + gpu.deviceName() + "), GEMMs on " + gpu.gemmPath()
                    + (gpu.tf32() ? ", TF32 GEMMs (not float32 arithmetic)" : "");
        }
        deviceName = "cpu";
        return "cpu backend, " + threads + " threads";
    }

    private Map<String, Object> config(int p, int b) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("backend", kind.label);
        if (kind.cuda()) {
            o.put("simulated", kind == BackendChoice.Kind.CUDA_SIM);
            o.put("gemm", gemmUsed);
        }
        if (tf32) o.put("tf32", true);
        o.put("threads", threads);
        o.put("model", modelKind.label);
        if (modelKind.modularAddition) {
            o.put("p", p);
            o.put("d", shape.width);
            o.put("train_frac", shape.trainFrac);
        } else {
            o.put("parity_n", parity.n());
            o.put("parity_k", parity.k());
            o.put("parity_m", parity.trainSize());
        }
        o.put("hidden", shape.hidden);
        o.put("models", b);
        return o;
    }

    private void figures(Map<String, Object> o, StepBenchmark.Result r) {
        o.put("model_steps_per_second", r.modelStepsPerSecond());
        o.put("executed_gflops", r.gflops());
        o.put("flops_per_model_step", r.flopsPerModelStep());
        o.put("bytes_per_model", r.bytes() / r.models());
        o.put("evaluations_per_second", r.evaluationsPerSecond());
        o.put("evaluation_cost_in_steps", r.evaluationCostInSteps());
        o.put("repeats", repeats);
        o.put("seconds_per_repeat", seconds);
        if (kind.cuda()) gpuFigures.json(o, r);
    }
}
