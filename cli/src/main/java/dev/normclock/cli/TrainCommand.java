package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.normclock.Version;
import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.model.ModelKind;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunOutcome;
import dev.normclock.train.CellResult;
import dev.normclock.train.CellRunner;
import dev.normclock.train.MemoryPlan;
import dev.normclock.train.CellSpec;
import dev.normclock.train.PopulationTrainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock train`: one cell (one configuration, several seeds) trained as one population. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {
                "Trains one cell of Paper A's MLP for several seeds at once and records every run.",
                "",
                "The task is (a + b) mod p; the MLP embeds a and b (E, shared), concatenates, W1 + b1, exact GELU, W2 + b2.",
                "",
                "Each seed has its own init and train/test split, drawn from (--base-key, seed, purpose), so cells with the",
                "same key and seeds are matched counterfactuals. With --rho and --wc the weight norm is held at rho*Wc after",
                "every step from --clamp-from on; with --norm it is held at that absolute value; with neither it is free.",
                "A seed is retired once it has grokked (test accuracy >= 0.90) and held it for --retire-window steps, or",
                "when it spends its budget (--steps), or diverges (NaN/Inf).",
                ""},
        footer = {"", "Prints a progress bar on stderr, then a per-seed table and the cell's summary (or one JSON object with --json).",
                "Results go to DIR/normclock.db; a later run into the same folder adds to it. Example:",
                "  normclock train --p 59 --rho 1.0 --wc 54.6 --seeds 8 --out results"})
final class TrainCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.ParentCommand
    Main parent;

    @CommandLine.Mixin
    ShapeOptions shape = new ShapeOptions();
    @Option(names = "--lr", paramLabel = "LR", description = "AdamW learning rate. Default: ${DEFAULT-VALUE}.")
    double lr = 1e-3;
    @Option(names = "--wd", paramLabel = "LAMBDA", description = "Decoupled weight decay on E, W1, W2 (not biases). Default: ${DEFAULT-VALUE}.")
    double wd = 1.0;
    @Option(names = "--decay-order", paramLabel = "ORDER", description = "before (Paper A: W*(1-lr*wd) before the Adam update) or after (Paper B). Default: ${DEFAULT-VALUE}.")
    String decayOrder = "before";
    @Option(names = "--seeds", paramLabel = "SEEDS", description = "Seeds: a count (8 = seeds 0..7), a range (0-7) or a list (1,3,5). Default: ${DEFAULT-VALUE}.")
    String seeds = "4";
    @Option(names = "--steps", paramLabel = "T", description = "Step budget per seed. Default: ${DEFAULT-VALUE}.")
    int steps = 25000;
    @Option(names = "--rho", paramLabel = "RHO", description = "Hold the norm at RHO*Wc (needs --wc).")
    Double rho;
    @Option(names = "--wc", paramLabel = "WC", description = "The critical norm Wc that --rho multiplies (Paper A, p = 59: 54.6).")
    Double wc;
    @Option(names = "--norm", paramLabel = "N", description = "Hold the norm at this absolute value instead of RHO*Wc.")
    Double norm;
    @Option(names = "--clamp-from", paramLabel = "T_INT", description = "First step after which the norm is held (t_int). Default: ${DEFAULT-VALUE}.")
    int clampFrom = 500;
    @Option(names = "--temperature", paramLabel = "TAU", description = "Logit temperature: the loss sees logits/TAU. Default: ${DEFAULT-VALUE}.")
    double temperature = 1.0;
    @Option(names = "--model", paramLabel = "MODEL", description = "mlp (Paper A's MLP), attention (the one-layer attention model: tokens [a, b, =], heads of 32, --hidden is its MLP width, 512 unless given; clamp from 600 unless given) or parity-mlp (sparse parity, n -> --hidden GELU -> 2 with biases, 512 unless given; clamp from 1000 unless given). Default: ${DEFAULT-VALUE}.")
    String model = "mlp";
    @CommandLine.Mixin
    ParityOptions parityOptions = new ParityOptions();
    @Option(names = "--layernorm", description = "The attention model's non-affine LayerNorms before attention, the MLP and the unembedding (the LayerNorm control).")
    boolean layerNorm;
    @Option(names = "--fork-at", paramLabel = "STEP", description = "Paper B's forking arm: free until STEP, then the norm held at RHO times the run's own norm there (N0). Arms with the same seeds are the same run until STEP.")
    Integer forkAt;
    @Option(names = "--loss", paramLabel = "LOSS", description = "ce (cross-entropy) or mse (Paper B: sum over classes of (z/TAU - onehot)^2, mean over examples). Default: ${DEFAULT-VALUE}.")
    String loss = "ce";
    @Option(names = "--clamp-group", paramLabel = "GROUP", description = "What the clamp holds: all (the whole norm) or one group, the others free: E, W1 or W2 of the MLP; embed, attn, mlp or unembed of the attention model. Default: ${DEFAULT-VALUE}.")
    String clampGroup = "all";
    @Option(names = "--alloc-gamma", paramLabel = "GAMMA", description = "Paper B's per-group allocation at fixed total norm: from t_int every step holds E, W1 and W2 each at its own target, together the total (--rho with --wc, or --norm). W1 gets fW1 x the total and GAMMA moves the rest's power between E and W2 (0: the shares as given, not the plain clamp; GAMMA > -1); needs --alloc-shares.")
    Double allocGamma;
    @Option(names = "--alloc-shares", paramLabel = "FE,FW1,FW2", description = "With --alloc-gamma: the free control's norms of E, W1 and W2 (mean over its seeds at the last logged step) each over sqrt(nE^2 + nW1^2 + nW2^2), as Paper B divides, so their squares sum to 1 (e.g. 0.36,0.8,0.48).")
    String allocShares;
    @Option(names = "--eval-grid", paramLabel = "GRID", description = "log360 (Paper A: ~360 log-spaced steps up to the budget) or everyK (e.g. every25, Paper B). Default: ${DEFAULT-VALUE}.")
    String evalGrid = "log360";
    @Option(names = "--retire-window", paramLabel = "STEPS", description = "Steps a seed must stay grokked before it stops training. Default: ${DEFAULT-VALUE}.")
    int retireWindow = 500;
    @Option(names = "--base-key", paramLabel = "KEY", description = "Experiment key for the random streams (init and split). Default: ${DEFAULT-VALUE}.")
    long baseKey = 0;
    @Option(names = "--bias-std", paramLabel = "STD", description = "Std of the initial biases (Paper A 1e-6, Paper B 0). Default: ${DEFAULT-VALUE}.")
    double biasStd = 1e-6;
    @Option(names = "--name", paramLabel = "NAME", description = "Experiment name in the database. Default: ${DEFAULT-VALUE}.")
    String name = "train";
    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (created if missing; holds normclock.db). Default: ${DEFAULT-VALUE}.")
    Path out = Path.of("results");
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads. Default: all cores (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--backend", paramLabel = "NAME", description = BackendChoice.BACKEND_HELP + " Default: ${DEFAULT-VALUE}.")
    String backend = "auto";
    @Option(names = "--gemm", paramLabel = "WHERE", description = BackendChoice.GEMM_HELP)
    String gemm;
    @Option(names = "--precision", paramLabel = "FORMAT", description = "float32 (the papers' format, the fast backend) or float64 (Paper B's precision audit: every tensor and every operation in double on the CPU, about 2x slower at p = 59; the hyperparameters are the same float values). Default: ${DEFAULT-VALUE}.")
    String precision = "float32";
    @Option(names = "--tf32", description = BackendChoice.TF32_HELP)
    boolean tf32;
    @Option(names = "--softmax-sum", paramLabel = "ORDER", description = BackendChoice.SOFTMAX_SUM_HELP)
    String softmaxSum;
    @Option(names = "--json", description = "Print the summary as one JSON object on stdout instead of the table.")
    boolean json;
    @Option(names = "--no-progress", description = "Do not draw the progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        if (!decayOrder.equals("before") && !decayOrder.equals("after"))
            throw new IllegalArgumentException("--decay-order must be 'before' or 'after', got '" + decayOrder + "'");
        if (!loss.equals("ce") && !loss.equals("mse")) throw new IllegalArgumentException("--loss must be ce or mse, got '" + loss + "'");
        if (!precision.equals("float32") && !precision.equals("float64"))
            throw new IllegalArgumentException("--precision must be float32 or float64, got '" + precision + "'");
        Map<String, String> env = Main.env(parent);
        BackendChoice.Kind kind = BackendChoice.resolve(backend, Precision.parse(precision), spec.commandLine().getErr(), env);
        BackendChoice.checkTf32(tf32, kind);
        dev.normclock.backend.cuda.CudaBackend.Gemm gemmPath = BackendChoice.gemm(gemm, tf32, kind);
        dev.normclock.backend.SoftmaxSum sum = BackendChoice.softmaxSum(softmaxSum, kind);
        if (forkAt != null) clampFrom = forkAt;
        var parsed = spec.commandLine().getParseResult();
        ModelKind modelKind;
        try {
            modelKind = ModelKind.of(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model must be " + ModelKind.choices() + "; got '" + model + "'");
        }
        if (modelKind != ModelKind.MLP) { // the papers' settings where the user gave none
            if (!parsed.hasMatchedOption("--hidden")) shape.hidden = 512;
            if (!parsed.hasMatchedOption("--clamp-from") && forkAt == null) clampFrom = modelKind.paperClampFrom;
        }
        if (modelKind.modularAddition) ParityOptions.refuseWith(parsed);
        dev.normclock.task.SparseParity parity = !modelKind.modularAddition ? parityOptions.task() : null;
        CellSpec cell = new CellSpec(shape.p, shape.trainFrac, shape.width, shape.hidden, lr, wd, decayOrder.equals("after"),
                rho == null ? Double.NaN : rho, wc == null ? Double.NaN : wc, norm == null ? Double.NaN : norm,
                clampFrom, temperature, SeedList.parse(seeds), steps, evalGrid, retireWindow, baseKey, biasStd, loss.equals("mse"),
                CellSpec.clampGroup(clampGroup, model), forkAt != null, model, layerNorm, parity, allocGamma == null ? Double.NaN : allocGamma,
                shares(allocShares));
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        // refused before the database or a GPU is opened; the runner checks again against the GPU's free memory
        CellRunner.memoryPlan(cell, cell.seeds().length, Precision.parse(precision),
                kind.cuda() ? dev.normclock.backend.WorkspaceSizing.GPU : dev.normclock.backend.WorkspaceSizing.CPU).requireFits(MemoryPlan.Room.hostOnly());

        try (ResultsStore store = ResultsStore.open(out); Backend be = BackendChoice.open(kind, Precision.parse(precision), threads, env, tf32, gemmPath, sum)) {
            long experiment = store.createExperiment(name, "normclock train " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                    baseKey, Version.VERSION);
            StopOnSignal signal = new StopOnSignal();
            CellResult result;
            try (signal; Progress progress = new Progress(!noProgress, cell, signal)) {
                result = new CellRunner(be).run(cell, store, experiment, progress);
            }
            if (signal.requested()) {
                stderr.println("normclock train: interrupted; finished runs are kept in " + store.path() + ", unfinished ones are marked 'interrupted'");
                return 130;
            }
            if (json) printJson(stdout, cell, result, store, experiment, be);
            else printTable(stdout, cell, result, store, experiment, be);
            String graphs = BackendChoice.graphNote(be);
            if (graphs != null) stderr.println("normclock train: " + graphs);
            return 0;
        }
    }

    /** --alloc-shares as three numbers (CellSpec checks that they are shares), or null. */
    private static double[] shares(String text) {
        if (text == null) return null;
        String[] parts = text.split(",");
        if (parts.length != 3) throw new IllegalArgumentException("--alloc-shares takes three numbers fE,fW1,fW2; got '" + text + "'");
        double[] f = new double[3];
        for (int i = 0; i < 3; i++)
            try {
                f[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--alloc-shares takes three numbers fE,fW1,fW2; got '" + text + "'");
            }
        return f;
    }

    private static String steps(int t) {
        return t < 0 ? "-" : Integer.toString(t);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.2f", v);
    }

    static String cellLabel(CellSpec c) {
        String clamp = c.fork() ? String.format("forked at step %d: norm held at %.3g x its own norm there", c.clampFrom(), c.rho())
                : !Double.isNaN(c.clampNorm()) ? String.format("norm held at %.4g from step %d", c.clampNorm(), c.clampFrom())
                : !Double.isNaN(c.rho()) ? String.format("norm held at %.3g x Wc %.4g = %.4g from step %d", c.rho(), c.wc(), c.clampTarget(), c.clampFrom())
                : "free norm";
        if (!Double.isNaN(c.allocGamma())) {
            double[] n = dev.normclock.model.Allocation.groupNorms(c.allocShares(), c.clampTarget(), c.allocGamma());
            clamp += String.format(" as E %.4g, W1 %.4g, W2 %.4g (Paper B's allocation, gamma %+.2f)", n[0], n[1], n[2], c.allocGamma());
        }
        else if (c.clampGroup() >= 0 && !clamp.equals("free norm")) clamp = clamp.replace("norm held", "norm of " + c.clampGroupName() + " held");
        if (c.isParity()) return String.format("parity-mlp: n=%d k=%d, %d training and %d test points, H=%d lr=%.3g wd=%.3g (decay %s), %s, %s loss, tau=%.3g, %d seeds, budget %d steps",
                c.parity().n(), c.parity().k(), c.parity().trainSize(), c.parity().testSize(), c.hidden(), c.lr(), c.weightDecay(), c.decayOrder(),
                clamp, c.squaredError() ? "mse" : "ce", c.temperature(), c.seeds().length, c.maxSteps());
        return String.format((ModelKind.of(c.model()) == ModelKind.MLP ? "" : c.model() + (c.layerNorm() ? " with LayerNorm" : "") + ": ") + "p=%d f=%.2f d=%d H=%d lr=%.3g wd=%.3g (decay %s), %s, %s loss, tau=%.3g, %d seeds, budget %d steps",
                c.p(), c.trainFrac(), c.d(), c.hidden(), c.lr(), c.weightDecay(), c.decayOrder(), clamp, c.squaredError() ? "mse" : "ce",
                c.temperature(), c.seeds().length, c.maxSteps());
    }

    private void printTable(PrintWriter o, CellSpec cell, CellResult r, ResultsStore store, long experiment, Backend be) {
        o.println(cellLabel(cell));
        o.printf("%6s  %-9s %7s %7s %10s %9s%n", "seed", "status", "T_mem", "T_grok", "|W|@grok", "steps");
        for (int m = 0; m < r.outcomes().length; m++) {
            RunOutcome x = r.outcomes()[m];
            o.printf("%6d  %-9s %7s %7s %10s %9s%n", cell.seeds()[m], x.status().dbValue(), steps(x.tMem()), steps(x.tGrok()),
                    num(x.normAtGrok()), steps(x.finalStep()));
        }
        double med = r.medianTGrok();
        o.printf("cell: median T_grok %s (%d/%d grokked within %d steps), median |W| at grok %s%n",
                Double.isNaN(med) ? "> " + cell.maxSteps() + " (censored: half or more did not grok)" : String.format("%.1f", med),
                r.grokkedCount(), r.outcomes().length, cell.maxSteps(), num(r.medianNormAtGrok()));
        o.printf("compute: %,d model-steps in %.1f s (%.0f model-steps/s, %s backend, %s)%n",
                r.modelSteps(), r.wallSeconds(), r.modelStepsPerSecond(), be.name(),
                be instanceof dev.normclock.backend.cuda.CudaBackend gpu ? gpu.deviceName() + ", GEMMs on " + gpu.gemmPath()
                        + (gpu.tf32() ? ", TF32 GEMMs: not float32 arithmetic" : "")
                        : be.parallelism() + " threads");
        if (be instanceof dev.normclock.backend.cuda.CudaBackend gpu && gpu.simulated())
            o.println("simulated: " + BackendChoice.SIMULATION_NOTE + " (model-steps/s above is the simulator's speed)");
        o.printf("results: %s (experiment %d)%n", store.path(), experiment);
    }

    private static Object nan(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private void printJson(PrintWriter o, CellSpec cell, CellResult r, ResultsStore store, long experiment, Backend be) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("database", store.path().toString());
        root.put("experiment_id", experiment);
        Map<String, Object> config = cell.config();
        config.put("precision", be.precision().label());
        if (be.tf32()) config.put("tf32", true);
        root.put("config", config);
        List<Map<String, Object>> seedRows = new ArrayList<>();
        for (int m = 0; m < r.outcomes().length; m++) {
            RunOutcome x = r.outcomes()[m];
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("seed", cell.seeds()[m]);
            s.put("run_id", r.runIds()[m]);
            s.put("status", x.status().dbValue());
            s.put("t_mem", x.tMem() < 0 ? null : x.tMem());
            s.put("t_grok", x.tGrok() < 0 ? null : x.tGrok());
            s.put("norm_at_grok", nan(x.normAtGrok()));
            s.put("final_step", x.finalStep());
            seedRows.add(s);
        }
        root.put("seeds", seedRows);
        root.put("median_t_grok", nan(r.medianTGrok()));
        root.put("grokked", r.grokkedCount());
        root.put("total", r.outcomes().length);
        root.put("median_norm_at_grok", nan(r.medianNormAtGrok()));
        root.put("wall_seconds", r.wallSeconds());
        root.put("model_steps", r.modelSteps());
        root.put("model_steps_per_second", r.modelStepsPerSecond());
        root.put("backend", be.name());
        root.put("threads", be.parallelism());
        if (be instanceof dev.normclock.backend.cuda.CudaBackend gpu) {
            root.put("device", gpu.deviceName());
            root.put("gemm", gpu.gemmPath());
            root.put("simulated", gpu.simulated());
        }
        o.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
    }

    /** The progress bar on stderr: step of the budget, grokked/total, model-steps/s and the ETA to the budget. */
    private static final class Progress implements PopulationTrainer.Listener, AutoCloseable {
        private final me.tongfei.progressbar.ProgressBar bar;
        private final StopOnSignal stop;
        private final int total;
        private final long start = System.nanoTime();
        private long modelSteps;

        Progress(boolean enabled, CellSpec cell, StopOnSignal stop) {
            this.stop = stop;
            this.total = cell.seeds().length;
            this.bar = enabled ? new me.tongfei.progressbar.ProgressBarBuilder()
                    .setTaskName("train")
                    .setInitialMax(cell.maxSteps())
                    .setUpdateIntervalMillis(500)
                    .showSpeed(new java.text.DecimalFormat("#")).setUnit(" steps", 1)
                                        .build() : null;
        }

        @Override
        public void stepped(int step, int active, int grokked) {
            modelSteps += active;
            if (bar == null) return;
            bar.stepTo(step);
            double s = (System.nanoTime() - start) / 1e9;
            bar.setExtraMessage(String.format(" grokked %d/%d, %.0f model-steps/s", grokked, total, modelSteps / s));
        }

        @Override
        public boolean stopRequested() {
            return stop.requested();
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }
}
