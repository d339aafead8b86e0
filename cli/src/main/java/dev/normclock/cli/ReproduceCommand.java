package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.backend.WorkspaceSizing;
import dev.normclock.experiment.Arm;
import dev.normclock.experiment.CellPlan;
import dev.normclock.experiment.ExperimentPlan;
import dev.normclock.experiment.Planner;
import dev.normclock.experiment.PopulationPlan;
import dev.normclock.experiment.ReferenceLookup;
import dev.normclock.experiment.Reproduction;
import dev.normclock.experiment.StudyFile;
import dev.normclock.experiment.StudyPlan;
import dev.normclock.results.RunOutcome;
import dev.normclock.train.MemoryPlan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock reproduce`: plans a study, trains it as populations, then analyses it and writes the report. */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 120,
        description = {
                "Runs a study of the papers' causal experiments: plans it, trains every cell as populations, fits the laws,",
                "compares every number with the paper's released results, and writes analysis.json and a report.",
                "",
                "A study is a YAML (or JSON) file of experiments and cells; the presets are such files:",
                "  quick       the delay law at p = 59 on a CPU (control + 6 rho values, 8 seeds; under 10 minutes on 2 cores)",
                "  paperb      Paper B: temperature mediation (cross-entropy and MSE) and the rho x tau collapse grid at",
                "              p = 59 and 97, the forking arms, the allocation, the precision audit (6 seeds; a CPU, ~2 h)",
                "  paper-cpu   every headline of Paper A with fewer seeds and cells: Wc over p and f, the dense and shared",
                "              delay laws, the levers, one-shot controls, sparse parity, the attention models (a CPU, ~1.9 h)",
                "  zoo         the attention model with and without LayerNorm at the papers' size (4 seeds; a CPU, ~23 min)",
                "  paper       Paper A's MLP, attention and sparse-parity experiments and Paper B's mediation and collapse",
                "              grid at the papers' sizes (a GPU job; on a CPU it runs, slowly)",
                "  smoke       small models (modular addition and sparse parity) through every analysis in seconds (for tests)",
                "--show-preset NAME prints one to copy and edit. Free controls run first; their Wc (median norm at grok)",
                "sets the clamp targets rho*Wc of the other arms. A cell is modular addition (model mlp or attention: p,",
                "train_frac, d) or sparse parity (model parity-mlp: parity_n, parity_k, parity_m, parity_test).",
                "",
                "Started again with the same --out it resumes: finished runs are kept, unfinished populations continue from",
                "their last checkpoint (DIR/checkpoints, written every --checkpoint-every seconds and on Ctrl-C), giving the",
                "same results bit for bit as a run never stopped.",
                ""},
        footer = {"", "Writes DIR/normclock.db (every run and curve), DIR/study.yaml, DIR/analysis.json, DIR/report.html, DIR/report.md",
                "and DIR/figures/. Examples:",
                "  normclock reproduce --preset quick --out quick",
                "  normclock reproduce --preset paper --only denserho,pscan --out paper",
                "  normclock reproduce --show-preset quick > my-study.yaml"})
final class ReproduceCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.ParentCommand
    Main parent;

    @Option(names = "--preset", paramLabel = "NAME|FILE", description = "quick, paperb, paper-cpu, zoo, paper, smoke, or the path of a study file.")
    String preset;
    @Option(names = "--only", paramLabel = "EXP", split = ",", description = "Run only these experiments of the study (comma-separated names).")
    List<String> only;
    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (created if missing; the same folder resumes). Default: reproduce-<study>.")
    Path out;
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads. Default: all cores (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--backend", paramLabel = "NAME", description = BackendChoice.BACKEND_HELP + " Default: ${DEFAULT-VALUE}.")
    String backend = "auto";
    @Option(names = "--gemm", paramLabel = "WHERE", description = BackendChoice.GEMM_HELP)
    String gemm;
    @Option(names = "--checkpoint-every", paramLabel = "SECONDS", description = "Seconds between checkpoints of a training population. Default: ${DEFAULT-VALUE}.")
    double checkpointSeconds = 60;
    @Option(names = "--tf32", description = BackendChoice.TF32_HELP)
    boolean tf32;
    @Option(names = "--softmax-sum", paramLabel = "ORDER", description = BackendChoice.SOFTMAX_SUM_HELP)
    String softmaxSum;
    @Option(names = "--plan", description = "Print the plan and stop (train nothing).")
    boolean planOnly;
    @Option(names = "--no-report", description = "Train only; run 'normclock analyze' and 'normclock report' later.")
    boolean noReport;
    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;
    @Option(names = "--show-preset", paramLabel = "NAME", description = "Print a preset's study file and exit.")
    String showPreset;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (showPreset != null) {
            stdout.print(StudyFile.presetText(showPreset));
            stdout.flush();
            return 0;
        }
        if (preset == null) throw new IllegalArgumentException("give --preset quick|paperb|paper|smoke|FILE (or --show-preset NAME)");
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        if (!(checkpointSeconds > 0)) throw new IllegalArgumentException("--checkpoint-every must be positive, got " + checkpointSeconds);
        Map<String, String> env = Main.env(parent);
        BackendChoice.Kind kind = BackendChoice.resolve(backend, Precision.FLOAT32, spec.commandLine().getErr(), env);
        BackendChoice.checkTf32(tf32, kind);
        dev.normclock.backend.cuda.CudaBackend.Gemm gemmPath = BackendChoice.gemm(gemm, tf32, kind);
        dev.normclock.backend.SoftmaxSum sum = BackendChoice.softmaxSum(softmaxSum, kind);
        StudyPlan study = select(StudyFile.load(preset), only);
        Path dir = out != null ? out : Path.of("reproduce-" + study.name());
        printPlan(stdout, study, dir, kind);
        if (planOnly) return 0;

        Reproduction.Summary summary;
        String graphs;
        try (Backend be = BackendChoice.open(kind, Precision.FLOAT32, threads, env, tf32, gemmPath, sum); StopOnSignal signal = new StopOnSignal();
             StudyProgress progress = new StudyProgress(!noProgress, study, signal, stderr)) {
            String command = "normclock reproduce " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
            summary = new Reproduction(be, dir, progress, checkpointSeconds).run(study, command);
            graphs = BackendChoice.graphNote(be);
        }
        for (String s : summary.skipped()) stderr.println("normclock reproduce: " + s);
        if (graphs != null) stderr.println("normclock reproduce: " + graphs);
        if (summary.interrupted()) {
            stderr.println("normclock reproduce: interrupted; finished runs are kept in " + dir.resolve("normclock.db")
                    + " and unfinished populations are checkpointed: run the same command again to resume");
            return 130;
        }
        stdout.printf(Locale.ROOT, "trained %d populations in %s (%d runs trained, %d kept from before)%n", summary.populationsTrained(),
                duration(summary.wallSeconds()), summary.runsTrained(), summary.runsKept());
        if (kind == BackendChoice.Kind.CUDA_SIM) stdout.println("simulated: " + BackendChoice.SIMULATION_NOTE);
        if (noReport) return 0;
        return AnalyzeCommand.analyzeAndReport(dir, stdout, true);
    }

    static StudyPlan select(StudyPlan study, List<String> only) {
        if (only == null || only.isEmpty()) return study;
        Set<String> names = new LinkedHashSet<>(only);
        List<String> known = study.experiments().stream().map(ExperimentPlan::name).toList();
        for (String n : names)
            if (!known.contains(n))
                throw new IllegalArgumentException("--only " + n + ": study " + study.name() + " has no such experiment (it has "
                        + String.join(", ", known) + ")");
        return new StudyPlan(study.name(), study.description(), study.baseKey(),
                study.experiments().stream().filter(e -> names.contains(e.name())).toList(), study.source());
    }

    static String duration(double seconds) {
        if (seconds < 90) return String.format(Locale.ROOT, "%.0f s", seconds);
        if (seconds < 5400) return String.format(Locale.ROOT, "%.1f min", seconds / 60);
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }

    /** Model-steps the plan expects: the paper's median T_grok per cell where known, else the budget. */
    static double expectedModelSteps(StudyPlan study) {
        double total = 0;
        for (ExperimentPlan e : study.experiments())
            for (CellPlan c : e.cells()) total += c.seeds().length * ReferenceLookup.expectedSteps(e, c);
        return total;
    }

    /**
     * A rough rate for the plan's estimate: the CPU step's measured efficiency over its FLOPs, per
     * core, from `bench --model` at the papers' sizes on 2 cores (2026-12-03, sgemm 334–372 GFLOP/s):
     * the MLP ~60 GFLOP/s, the attention model ~55, the parity MLP ~22 (its GEMMs are thin); ~10 %
     * less inside a study. The float64 backend is about 2× slower than float32 (measured at p = 59,
     * one thread).
     */
    private double estimatedRate(CellPlan c) {
        double perCore = switch (c.isParity() ? dev.normclock.model.ModelKind.PARITY_MLP : dev.normclock.model.ModelKind.of(c.model())) {
            case MLP -> 55e9;
            case ATTENTION -> 50e9;
            case PARITY_MLP -> 20e9;
        };
        double rate = perCore * threads / c.flopsPerStep();
        return c.precision() == dev.normclock.backend.Precision.FLOAT64 ? rate / 2 : rate; // the float64 backend: ~2× slower at p = 59
    }

    private void printPlan(PrintWriter o, StudyPlan study, Path dir, BackendChoice.Kind kind) {
        o.printf(Locale.ROOT, "normclock reproduce: study %s -> %s%n", study.name(), dir);
        if (!study.description().isBlank()) o.println("  " + study.description());
        double steps = 0, seconds = 0;
        for (ExperimentPlan e : study.experiments()) {
            long models = e.cells().stream().mapToLong(c -> c.seeds().length).sum();
            o.printf(Locale.ROOT, "  %-10s %-14s %3d cells, %5d models%s%n", e.name(), e.analysis().label(), e.cells().size(), models,
                    e.reference() != null ? ", compared with Paper " + (dev.normclock.analysis.ReferenceData.isPaperB(e.reference()) ? "B" : "A") + "'s " + e.reference() : "");
            for (CellPlan c : e.cells()) {
                double s = c.seeds().length * ReferenceLookup.expectedSteps(e, c);
                steps += s;
                seconds += s / estimatedRate(c);
            }
        }
        List<CellPlan> cells = study.cells().toList();
        List<PopulationPlan> p1 = Planner.plan(cells, 1), p2 = Planner.plan(cells, 2);
        o.printf(Locale.ROOT, "  phase 1: %d populations, %d models (free controls, measure Wc; arms that need no Wc: forks, scalings)%n", p1.size(),
                p1.stream().mapToInt(PopulationPlan::models).sum());
        String held = String.join("/", cells.stream().map(CellPlan::arm).filter(Arm::needsWc).map(Arm::label)
                .distinct().toList());
        o.printf(Locale.ROOT, "  phase 2: %d populations, %d models (%s)%n", p2.size(), p2.stream().mapToInt(PopulationPlan::models).sum(),
                held.isEmpty() ? "no arms held at rho*Wc" : held + " arms at rho*Wc");
        o.printf(Locale.ROOT, "  estimated work: %.3g model-steps (the paper's median T_grok per cell where known, its last with until: cell, else the budget)%n", steps);
        if (kind == BackendChoice.Kind.CUDA)
            o.println("  estimated time: not known on the cuda backend (its speed has not been measured yet; the bar shows the measured rate)");
        else if (kind == BackendChoice.Kind.CUDA_SIM)
            o.println("  estimated time: none on cuda-sim (the CUDA simulator runs the GPU kernels on this CPU, far slower than a GPU or the "
                    + "cpu backend: a check of the GPU code, not GPU timings; the bar shows the simulator's rate)");
        else
            o.printf(Locale.ROOT, "  estimated time: %s on the cpu backend with %d threads (a rough estimate; the bar shows the measured rate)%n",
                    duration(seconds * 1.15), threads); // ~15 % for evaluation on the log grid and the JIT's warm-up
        printMemory(o, study, kind);
        o.flush();
    }

    /**
     * The peak memory: the largest population's tensors and heap (populations train one at a time),
     * beside what this machine has; a study whose largest population does not fit is refused here,
     * before anything is trained. A GPU's memory is compared when the backend opens.
     */
    private static void printMemory(PrintWriter o, StudyPlan study, BackendChoice.Kind kind) {
        List<MemoryPlan> plans = Reproduction.memoryPlans(study, Precision.FLOAT32,
                kind.cuda() ? WorkspaceSizing.GPU : WorkspaceSizing.CPU);
        if (plans.isEmpty()) return;
        MemoryPlan peak = plans.getFirst();
        long heap = plans.stream().mapToLong(MemoryPlan::heapBytes).max().orElse(0);
        MemoryPlan.Room room = MemoryPlan.Room.hostOnly();
        o.printf(Locale.ROOT, "  peak memory: %s of tensors%s (its largest population: %s) and %s of heap; this machine has %s available, the heap %s%n",
                MemoryPlan.size(peak.tensorBytes()), kind.cuda() ? " on the GPU and in memory" : "", peak.population(),
                MemoryPlan.size(heap), room.host() == Long.MAX_VALUE ? "an unknown amount" : MemoryPlan.size(room.host()),
                MemoryPlan.size(room.heap()));
        o.flush();
        for (MemoryPlan p : plans) p.requireFits(room);
    }

    /** The progress bar over the whole study, in model-steps against the plan's estimate. */
    static final class StudyProgress implements Reproduction.Progress, AutoCloseable {
        private final me.tongfei.progressbar.ProgressBar bar;
        private final StopOnSignal stop;
        private final long models;
        private long done, finished, grokked;
        private String population = "";

        StudyProgress(boolean enabled, StudyPlan study, StopOnSignal stop, PrintWriter err) {
            this.stop = stop;
            this.models = study.models();
            this.bar = enabled ? new me.tongfei.progressbar.ProgressBarBuilder()
                    .setTaskName(study.name())
                    .setInitialMax(Math.max(1, (long) expectedModelSteps(study)))
                    .setUpdateIntervalMillis(500)
                    .setUnit(" model-steps", 1)
                    .showSpeed(new java.text.DecimalFormat("#"))
                    .build() : null;
        }

        @Override
        public void population(PopulationPlan pop, int toTrain, int kept) {
            population = pop.id().replaceFirst("-\\d+$", "");
            finished += kept;
            update();
        }

        @Override
        public void stepped(int activeModels) {
            done += activeModels;
            if (bar != null && done > bar.getMax()) bar.maxHint(done + done / 10);
            if (bar != null && done % 64 < activeModels) update();
        }

        @Override
        public void finished(PopulationPlan.Slot slot, RunOutcome outcome) {
            finished++;
            if (outcome.tGrok() >= 0) grokked++;
            update();
        }

        private void update() {
            if (bar == null) return;
            bar.stepTo(done);
            bar.setExtraMessage(String.format(Locale.ROOT, " %s, runs done %d/%d (%d grokked)", population, finished, models, grokked));
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
