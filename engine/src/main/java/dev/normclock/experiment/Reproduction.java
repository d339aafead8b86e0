package dev.normclock.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.Version;
import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.WorkspaceSizing;
import dev.normclock.backend.cpu.CpuFloat64Backend;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.results.CurvePoint;
import dev.normclock.results.ExperimentRow;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunRow;
import dev.normclock.results.RunSpec;
import dev.normclock.results.RunStatus;
import dev.normclock.train.MemoryPlan;
import dev.normclock.train.EvalSchedule;
import dev.normclock.train.Medians;
import dev.normclock.train.PopulationCheckpoint;
import dev.normclock.train.PopulationTrainer;
import dev.normclock.train.TrainerState;

/**
 * Runs a study into a results folder: the free controls first (phase 1), their Wc, then every
 * clamped or rescaled arm at ρ·Wc (phase 2), each phase as populations of models of one shape
 * (modular-addition models, or the parity MLP for sparse-parity cells).
 *
 * <p>Started again on the same folder it resumes: runs that finished are kept and not trained
 * again; an unfinished population continues from its last checkpoint (weights, Adam moments,
 * step and trainer state), which gives the same bits as a run never stopped; curve points logged
 * after that checkpoint are dropped and logged again.
 */
public final class Reproduction {
    public static final String STUDY_FILE = "study.yaml";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Told of the work as it goes; all calls come from the training thread. */
    public interface Progress {
        default void population(PopulationPlan pop, int toTrain, int kept) {
        }

        default void stepped(int activeModels) {
        }

        default void finished(PopulationPlan.Slot slot, RunOutcome outcome) {
        }

        default void skipped(CellPlan cell, String reason) {
        }

        default boolean stopRequested() {
            return false;
        }
    }

    /** What a run of the study did. */
    public record Summary(int populationsTrained, int runsKept, int runsTrained, List<String> skipped, boolean interrupted,
                         double wallSeconds) {
    }

    /** Thrown when the results folder holds another study. */
    public static final class StudyMismatchException extends IllegalArgumentException {
        public StudyMismatchException(String message) {
            super(message);
        }
    }

    private final Backend backend;
    /** The float64 backend for cells of the precision audit, made when the first such population trains. */
    private Backend float64;
    private final Path out;
    private final Progress progress;
    private final double checkpointSeconds;

    public Reproduction(Backend backend, Path out, Progress progress, double checkpointSeconds) {
        this.backend = backend;
        this.out = out;
        this.progress = progress;
        this.checkpointSeconds = checkpointSeconds;
    }

    /**
     * Records the study's file in the folder, or checks that the folder's is the same study: a
     * resumed run must train what the first one planned.
     */
    public static void claimFolder(Path out, StudyPlan study) throws IOException {
        Files.createDirectories(out);
        Path file = out.resolve(STUDY_FILE);
        if (Files.exists(file)) {
            String existing = Files.readString(file);
            if (!existing.equals(study.source()))
                throw new StudyMismatchException(out + " holds results of a different study (its " + STUDY_FILE
                        + " differs from the one given): use another --out, or the same study file to resume");
            return;
        }
        Path tmp = out.resolve(STUDY_FILE + ".tmp");
        Files.writeString(tmp, study.source(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public Summary run(StudyPlan study, String command) throws IOException {
        try {
            return runStudy(study, command);
        } finally {
            if (float64 != null) float64.close();
            float64 = null;
        }
    }

    /** The backend that trains a population of this precision: the one given, or the float64 CPU backend for the audit's cells. */
    private Backend backendFor(Precision precision) {
        if (precision == backend.precision()) return backend;
        if (precision != Precision.FLOAT64)
            throw new IllegalArgumentException("no " + precision.label() + " backend next to " + backend.name());
        if (float64 == null) float64 = new CpuFloat64Backend(backend.parallelism());
        return float64;
    }

    /**
     * What each population of the study takes (both phases, every cell planned), largest first,
     * sized as the backend of its precision sizes workspaces: {@code sizing} for {@code precision}'s
     * populations, the CPU's for the float64 audit's.
     */
    public static List<MemoryPlan> memoryPlans(StudyPlan study, Precision precision, WorkspaceSizing sizing) {
        List<MemoryPlan> plans = new ArrayList<>();
        for (PopulationPlan pop : populations(study)) {
            CellPlan first = pop.first();
            plans.add(first.memoryPlan(pop.models(), first.precision(), first.precision() == precision ? sizing : WorkspaceSizing.CPU));
        }
        plans.sort(java.util.Comparator.comparingLong(MemoryPlan::tensorBytes).reversed());
        return plans;
    }

    /** Every population the study may train: phase 1's, then phase 2's with every held cell armed. */
    private static List<PopulationPlan> populations(StudyPlan study) {
        List<CellPlan> all = study.cells().toList();
        List<PopulationPlan> pops = new ArrayList<>(Planner.plan(all, 1));
        pops.addAll(Planner.plan(all, 2));
        return pops;
    }

    /** Refuses a study one of whose populations would not fit, before anything of it is trained. */
    private void checkMemory(StudyPlan study) {
        MemoryPlan.Room mine = MemoryPlan.Room.now(backend), host = MemoryPlan.Room.hostOnly();
        for (PopulationPlan pop : populations(study)) {
            CellPlan first = pop.first();
            boolean ours = first.precision() == backend.precision();
            first.memoryPlan(pop.models(), first.precision(), ours ? backend : WorkspaceSizing.CPU).requireFits(ours ? mine : host);
        }
    }

    private Summary runStudy(StudyPlan study, String command) throws IOException {
        checkMemory(study);
        claimFolder(out, study);
        long start = System.nanoTime();
        int[] counts = new int[3]; // populations trained, runs kept, runs trained
        List<String> skipped = new ArrayList<>();
        try (ResultsStore store = ResultsStore.open(out)) {
            checkSameArithmetic(study, store);
            Map<String, Long> experimentIds = new HashMap<>();
            for (ExperimentRow e : store.experiments()) experimentIds.putIfAbsent(e.name(), e.id());
            for (ExperimentPlan e : study.experiments())
                experimentIds.computeIfAbsent(study.name() + "/" + e.name(),
                        n -> store.createExperiment(n, command, study.baseKey(), Version.VERSION));
            List<CellPlan> all = study.cells().toList();
            for (PopulationPlan pop : Planner.plan(all, 1))
                if (!train(study, pop, Map.of(), Map.of(), store, experimentIds, counts)) return summary(counts, skipped, true, start);

            Map<String, RunRow> runs = runsByKey(store);
            Map<CellPlan, Double> targets = new LinkedHashMap<>();
            Map<CellPlan, double[]> shares = new HashMap<>();
            List<CellPlan> armed = new ArrayList<>();
            for (CellPlan c : all) {
                if (!c.arm().needsWc()) continue;
                double wc = Double.isNaN(c.wc()) ? measuredWc(study, c, all, runs, store::curve) : c.wc();
                double[] f = Double.isNaN(c.allocGamma()) ? null : controlShares(study, c, all, runs, store);
                String why = Double.isNaN(wc) ? "not trained, its control never grokked, so it has no Wc"
                        : !Double.isNaN(c.allocGamma()) && f == null ? "not trained, its control logged no norms, so it has no shares of E, W1, W2" : null;
                if (why != null) {
                    why = c.experiment() + "/" + c.id() + ": " + why;
                    skipped.add(why);
                    progress.skipped(c, why);
                    continue;
                }
                targets.put(c, c.rho() * wc);
                if (f != null) shares.put(c, f);
                armed.add(c);
            }
            for (PopulationPlan pop : Planner.plan(armed, 2))
                if (!train(study, pop, targets, shares, store, experimentIds, counts)) return summary(counts, skipped, true, start);
        }
        return summary(counts, skipped, false, start);
    }

    private static Summary summary(int[] counts, List<String> skipped, boolean interrupted, long start) {
        return new Summary(counts[0], counts[1], counts[2], List.copyOf(skipped), interrupted, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Wc of a clamped cell: the median norm at grok over the grokked seeds of its free control — of
     * the whole weight norm, or of the one group the cell clamps (its own critical norm).
     */
    static double measuredWc(StudyPlan study, CellPlan cell, List<CellPlan> all, Map<String, RunRow> runs,
                             java.util.function.LongFunction<List<CurvePoint>> curves) {
        CellPlan control = all.stream().filter(c -> c.isControlOf(cell)).findFirst().orElseThrow();
        double[] norms = Arrays.stream(control.seeds())
                .mapToObj(s -> runs.get(new PopulationPlan.Slot(control, s).runKey(study.name())))
                .filter(r -> r != null && r.outcome().tGrok() >= 0)
                .mapToDouble(r -> cell.wcFinal() ? finalNorm(r, cell, curves) : groupNormAtGrok(r, cell)).filter(Double::isFinite).toArray();
        return norms.length == 0 ? Double.NaN : Medians.median(norms);
    }

    /** Paper B's norm of a run: at its last logged step — of the whole ‖W‖, or of the group the cell clamps. */
    static double finalNorm(RunRow r, CellPlan cell, java.util.function.LongFunction<List<CurvePoint>> curves) {
        List<CurvePoint> c = curves.apply(r.id());
        if (c.isEmpty()) return Double.NaN;
        CurvePoint last = c.getLast();
        return heldNorm(cell, last.norm(), last.normE(), last.normW1(), last.normW2());
    }

    /**
     * An allocation cell's shares (fE, fW1, fW2), as Paper B takes them: its free control's norms of
     * E, W1 and W2 at each seed's last logged step, each averaged over the seeds, over the three
     * means' sum. Null when no seed of the control logged a point.
     */
    static double[] controlShares(StudyPlan study, CellPlan cell, List<CellPlan> all, Map<String, RunRow> runs, ResultsStore store) {
        CellPlan control = all.stream().filter(c -> c.isControlOf(cell)).findFirst().orElseThrow();
        double[] sum = new double[3];
        int seeds = 0;
        for (int s : control.seeds()) {
            RunRow r = runs.get(new PopulationPlan.Slot(control, s).runKey(study.name()));
            List<CurvePoint> curve = r == null ? List.of() : store.curve(r.id());
            if (curve.isEmpty()) continue;
            CurvePoint last = curve.stream().max(java.util.Comparator.comparingInt(CurvePoint::step)).orElseThrow();
            sum[0] += last.normE();
            sum[1] += last.normW1();
            sum[2] += last.normW2();
            seeds++;
        }
        return seeds == 0 ? null : dev.normclock.model.Allocation.shares(sum[0] / seeds, sum[1] / seeds, sum[2] / seeds);
    }

    /** The norm at grok that a cell's clamp target multiplies: the whole ‖W‖ (an allocation's total too), or its clamped group's. */
    private static double groupNormAtGrok(RunRow r, CellPlan cell) {
        var o = r.outcome();
        return heldNorm(cell, o.normAtGrok(), o.normEAtGrok(), o.normW1AtGrok(), o.normW2AtGrok());
    }

    /**
     * Of a run's recorded norms (the whole and its three recorded groups), the one a cell's clamp
     * holds: the whole ‖W‖, or its clamp group's.
     */
    private static double heldNorm(CellPlan cell, double whole, double e, double w1, double w2) {
        int g = cell.clampGroup();
        if (g < 0 || !Double.isNaN(cell.allocGamma())) return whole;
        if (cell.isParity()) { // the parity MLP has no embedding: its groups are W1 and W2
            if (g == ParityPopulation.W1) return w1;
            if (g == ParityPopulation.W2) return w2;
        }
        if (g == 0) return e;                 // E, or the attention model's embed group
        if (g == 3) return w2;                // W2, or the attention model's unembedding U
        if (dev.normclock.model.ModelKind.of(cell.model()) == dev.normclock.model.ModelKind.MLP && g == 1) return w1;
        throw new IllegalStateException("no norm is recorded for clamp group " + g + " of the " + cell.model() + " model");
    }

    /**
     * A resumed study keeps the float32 arithmetic it started with: its runs on this backend that
     * recorded another order of the softmax sum (none recorded: class-order) refuse the resume, since
     * that order shapes T_grok wherever rows of the softmax collapse (see SoftmaxSum).
     */
    private void checkSameArithmetic(StudyPlan study, ResultsStore store) {
        Backend f32 = backend.precision() == Precision.FLOAT32 ? backend : null;
        if (f32 == null) return;
        String want = f32.softmaxSum().label();
        for (RunRow r : store.allRuns()) {
            try {
                JsonNode c = JSON.readTree(r.spec().configJson());
                JsonNode key = c.get("run_key"), be = c.get("backend"), precision = c.get("precision");
                if (key == null || !key.asText().startsWith(study.name() + "/") || be == null || !be.asText().equals(f32.name())) continue;
                if (precision != null && !precision.asText().equals(Precision.FLOAT32.label())) continue;
                String had = softmaxSum(r);
                if (!had.equals(want))
                    throw new StudyMismatchException(out + " holds runs trained with --softmax-sum " + had + ", and this run would use " + want
                            + ": resume with --softmax-sum " + had + " (a study keeps one arithmetic), or use another --out");
            } catch (JsonProcessingException e) {
                // a run without a readable configuration was not made by a study; nothing to compare
            }
        }
    }

    static Map<String, RunRow> runsByKey(ResultsStore store) {
        Map<String, RunRow> byKey = new HashMap<>();
        for (RunRow r : store.allRuns()) {
            String key = runKey(r);
            if (key != null) byKey.put(key, r); // later runs of a key replace earlier ones
        }
        return byKey;
    }

    /** The run key stored in a run's configuration, or null for runs not made by a study. */
    public static String runKey(RunRow r) {
        try {
            JsonNode k = JSON.readTree(r.spec().configJson()).get("run_key");
            return k == null ? null : k.asText();
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    /** The order of the float32 softmax sum a run recorded (none recorded: class-order, normclock's default before warp), or null for a run whose configuration cannot be read. */
    public static String softmaxSum(RunRow r) {
        try {
            JsonNode sum = JSON.readTree(r.spec().configJson()).get("softmax_sum");
            return sum == null ? dev.normclock.backend.SoftmaxSum.CLASS_ORDER.label() : sum.asText();
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static boolean finished(RunRow r) {
        RunStatus s = r.status();
        return s != RunStatus.RUNNING && s != RunStatus.INTERRUPTED;
    }

    /** Trains one population (or confirms it is done); false if it was interrupted. */
    private boolean train(StudyPlan study, PopulationPlan plan, Map<CellPlan, Double> targets, Map<CellPlan, double[]> shares, ResultsStore store,
                          Map<String, Long> experimentIds, int[] counts) throws IOException {
        List<PopulationPlan.Slot> slots = plan.slots();
        int b = slots.size();
        Map<String, RunRow> runs = runsByKey(store);
        int kept = 0;
        for (PopulationPlan.Slot s : slots) {
            RunRow r = runs.get(s.runKey(study.name()));
            if (r != null && finished(r)) kept++;
        }
        progress.population(plan, b - kept, kept);
        counts[1] += kept;
        if (kept == b) return true;

        CellPlan first = plan.first();
        Hyper hyper = new Hyper(b);
        int[] maxSteps = new int[b];
        EvalSchedule[] schedules = new EvalSchedule[b];
        String[] configs = new String[b];
        Backend backend = backendFor(first.precision());
        try (Population pop = first.createPopulation(b, backend.precision())) {
            for (int m = 0; m < b; m++) {
                PopulationPlan.Slot s = slots.get(m);
                CellPlan c = s.cell();
                hyper.seed[m] = s.seed();
                hyper.lr[m] = (float) c.lr();
                hyper.weightDecay[m] = (float) c.weightDecay();
                hyper.decayAfter[m] = c.decayAfter();
                hyper.clampTarget[m] = targets.getOrDefault(c, Double.NaN);
                hyper.clampFrom[m] = c.tInt();
                hyper.clampOnce[m] = c.arm() == Arm.RESCALE || c.arm() == Arm.SCALE;
                // a fork holds, a scaling multiplies once, ρ times the norm the model has at t_int
                if (c.arm() == Arm.FORK || c.arm() == Arm.SCALE) hyper.forkScale[m] = c.rho();
                hyper.clampGroup[m] = c.clampGroup();
                hyper.squaredError[m] = c.squaredError();
                hyper.temperature[m] = (float) c.temperature();
                double[] f = shares.get(c); // the same targets for every seed of an allocation cell
                if (f != null) hyper.allocTargets[m] = dev.normclock.model.Allocation.mlpTargets(f, hyper.clampTarget[m], c.allocGamma());
                maxSteps[m] = c.maxSteps();
                schedules[m] = EvalSchedule.parse(c.evalGrid(), c.maxSteps());
                c.prepare(pop, m, study.baseKey(), s.seed());
                configs[m] = config(study, s, hyper.clampTarget[m], f);
            }
            Path checkpoint = out.resolve("checkpoints").resolve(plan.id() + ".ckpt");
            Files.createDirectories(checkpoint.getParent());
            String fingerprint = fingerprint(configs);
            TrainerState state = PopulationCheckpoint.read(checkpoint, fingerprint, pop);
            if (state == null) state = new TrainerState(b);
            long[] runIds = new long[b];
            for (int m = 0; m < b; m++) {
                PopulationPlan.Slot s = slots.get(m);
                RunRow r = runs.get(s.runKey(study.name()));
                if (r != null && finished(r)) {
                    runIds[m] = r.id();
                    if (state.outcome[m] == null) state.outcome[m] = r.outcome(); // kept as it is, not trained again
                } else if (r != null) {
                    runIds[m] = r.id();
                    if (state.outcome[m] != null) store.finishRun(r.id(), state.outcome[m]);
                    else store.reopenRun(r.id(), state.step);
                } else {
                    runIds[m] = store.startRun(experimentIds.get(study.name() + "/" + s.cell().experiment()),
                            runSpec(s, hyper.clampTarget[m], configs[m]));
                    if (state.outcome[m] != null) store.finishRun(runIds[m], state.outcome[m]);
                }
            }
            counts[0]++;
            // Paper B's cells train every seed until all of the cell's have grokked: one retire group per cell
            int[] groups = new int[b];
            Map<CellPlan, Integer> cellIndex = new HashMap<>();
            for (int m = 0; m < b; m++) {
                CellPlan c = slots.get(m).cell();
                groups[m] = c.untilCell() ? cellIndex.computeIfAbsent(c, k -> cellIndex.size()) : -1;
            }
            PopulationTrainer.Settings settings = new PopulationTrainer.Settings(maxSteps, schedules, first.retireWindow(),
                    cellIndex.isEmpty() ? null : groups);
            long[] lastSave = {System.nanoTime()};
            final TrainerState[] latest = {state};
            PopulationTrainer.Listener listener = new PopulationTrainer.Listener() {
                @Override
                public void evaluated(int step, int[] evaluated, Metrics[] metrics) {
                    List<CurvePoint> points = new ArrayList<>(evaluated.length);
                    for (int m : evaluated) {
                        Metrics x = metrics[m];
                        points.add(new CurvePoint(runIds[m], step, x.trainLoss(), x.trainAcc(), x.testLoss(), x.testAcc(), x.norm(),
                                x.normE(), x.normW1(), x.normW2(), x.logitScale(), x.collapse()));
                    }
                    store.logCurves(points);
                }

                @Override
                public void finished(int slot, RunOutcome outcome) {
                    store.finishRun(runIds[slot], outcome);
                    if (outcome.status() != RunStatus.INTERRUPTED) counts[2]++;
                    progress.finished(slots.get(slot), outcome);
                }

                @Override
                public void stepped(int step, int active, int grokked) {
                    progress.stepped(active);
                }

                @Override
                public void between(TrainerState s) {
                    latest[0] = s;
                    boolean due = (System.nanoTime() - lastSave[0]) / 1e9 >= checkpointSeconds;
                    if (due || progress.stopRequested()) {
                        backend.syncToHost(); // the checkpoint reads the tensors' host memory
                        save(checkpoint, fingerprint, pop, s);
                        lastSave[0] = System.nanoTime();
                    }
                }

                @Override
                public boolean stopRequested() {
                    return progress.stopRequested();
                }
            };
            RunOutcome[] outcomes = new PopulationTrainer(backend).run(pop, hyper, settings, state, listener);
            boolean interrupted = Arrays.stream(outcomes).anyMatch(o -> o.status() == RunStatus.INTERRUPTED);
            if (!interrupted) Files.deleteIfExists(checkpoint);
            return !interrupted;
        }
    }

    private static void save(Path checkpoint, String fingerprint, Population pop, TrainerState s) {
        try {
            PopulationCheckpoint.write(checkpoint, fingerprint, pop, s);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write checkpoint " + checkpoint + " (" + e.getMessage()
                    + "): free disk space or choose another --out; finished runs are in the database", e);
        }
    }

    private String config(StudyPlan study, PopulationPlan.Slot s, double target, double[] shares) {
        Map<String, Object> c = s.cell().config();
        if (shares != null) { // Paper B's allocation: the control's shares and the targets they give E, W1 and W2
            c.put("alloc_shares", dev.normclock.train.CellSpec.groupValues(shares));
            c.put("alloc_targets", dev.normclock.train.CellSpec.groupValues(dev.normclock.model.Allocation.groupNorms(shares, target, s.cell().allocGamma())));
        }
        c.put("study", study.name());
        c.put("seed", s.seed());
        c.put("base_key", study.baseKey());
        c.put("wc", Double.isNaN(target) ? null : target / s.cell().rho());
        c.put("clamp_target", Double.isNaN(target) ? null : target);
        c.put("run_key", s.runKey(study.name()));
        if (!s.cell().arm().needsWc()) c.put("wc", null); // a fork's or scaling's target is ρ times the run's own norm at t_int
        c.put("backend", backendFor(s.cell().precision()).name());
        if (backendFor(s.cell().precision()).softmaxSum() != dev.normclock.backend.SoftmaxSum.CLASS_ORDER)
            c.put("softmax_sum", backendFor(s.cell().precision()).softmaxSum().label()); // only when not the default, as tf32
        if (backendFor(s.cell().precision()).tf32()) c.put("tf32", true); // only when on: FP32 runs keep the config (and checkpoint fingerprint) they always had
        try {
            return JSON.writeValueAsString(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String fingerprint(String[] configs) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String c : configs) md.update((c + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private RunSpec runSpec(PopulationPlan.Slot s, double target, String configJson) {
        CellPlan c = s.cell();
        return new RunSpec(s.seed(), c.model() + (c.layerNorm() ? "+layernorm" : ""), c.p(), c.trainFrac(), c.d(), c.hidden(), c.lr(), c.weightDecay(),
                c.decayAfter() ? "after" : "before", c.arm() == Arm.FREE ? Double.NaN : c.rho(),
                Double.isNaN(target) ? Double.NaN : target / c.rho(), target, c.tInt(), c.temperature(), c.maxSteps(), c.evalGrid(),
                backendFor(c.precision()).name(), Version.VERSION, configJson);
    }
}
