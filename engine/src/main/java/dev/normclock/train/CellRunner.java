package dev.normclock.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.Version;
import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.model.ModularPopulation;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.SparseParity;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.results.CurvePoint;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunSpec;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.ModularAddition.Split;

/**
 * Trains one cell's seeds as one population and records it: a run per seed (its full
 * configuration first, then its outcome) and every evaluation in the curves, each write a
 * transaction, so an interrupted cell keeps everything logged until then.
 */
public final class CellRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Backend backend;

    public CellRunner(Backend backend) {
        this.backend = backend;
    }

    /**
     * @param store        where results go, or null to keep nothing
     * @param experimentId the experiment the runs belong to (ignored without a store)
     * @param progress     told of every step and retirement (may be a no-op listener)
     */
    public CellResult run(CellSpec spec, ResultsStore store, long experimentId, PopulationTrainer.Listener progress) {
        int b = spec.seeds().length;
        Hyper hyper = new Hyper(b);
        long[] runIds = new long[b];
        memoryPlan(spec, b, backend.precision(), backend).requireFits(MemoryPlan.Room.now(backend));
        try (Population pop = create(spec, backend.precision())) {
            for (int m = 0; m < b; m++) {
                int seed = spec.seeds()[m];
                hyper.seed[m] = seed;
                hyper.lr[m] = (float) spec.lr();
                hyper.weightDecay[m] = (float) spec.weightDecay();
                hyper.decayAfter[m] = spec.decayAfter();
                hyper.temperature[m] = (float) spec.temperature();
                hyper.clampTarget[m] = spec.clampTarget();
                hyper.clampFrom[m] = spec.clampFrom();
                hyper.clampGroup[m] = spec.clampGroup();
                hyper.squaredError[m] = spec.squaredError();
                if (spec.fork()) hyper.forkScale[m] = spec.rho();
                hyper.allocTargets[m] = spec.allocTargets();
                if (pop instanceof ParityPopulation parity) {
                    parity.initialise(m, spec.baseKey(), seed, spec.biasStd());
                    parity.assign(m, spec.parity().data(spec.baseKey(), seed));
                } else {
                    ModularPopulation modular = (ModularPopulation) pop;
                    modular.initialise(m, spec.baseKey(), seed, spec.biasStd());
                    modular.assign(m, spec.task().split(spec.baseKey(), seed));
                }
                if (store != null) runIds[m] = store.startRun(experimentId, runSpec(spec, seed));
            }
            PopulationTrainer.Settings settings = PopulationTrainer.Settings.uniform(b, spec.maxSteps(),
                    EvalSchedule.parse(spec.evalGrid(), spec.maxSteps()), spec.retireWindow());
            long[] modelSteps = {0};
            PopulationTrainer.Listener recorder = new PopulationTrainer.Listener() {
                @Override
                public void evaluated(int step, int[] slots, Metrics[] metrics) {
                    if (store != null) {
                        List<CurvePoint> points = new ArrayList<>(slots.length);
                        for (int m : slots) {
                            Metrics x = metrics[m];
                            points.add(new CurvePoint(runIds[m], step, x.trainLoss(), x.trainAcc(), x.testLoss(), x.testAcc(),
                                    x.norm(), x.normE(), x.normW1(), x.normW2(), x.logitScale(), x.collapse()));
                        }
                        store.logCurves(points);
                    }
                    progress.evaluated(step, slots, metrics);
                }

                @Override
                public void finished(int slot, RunOutcome outcome) {
                    if (store != null) store.finishRun(runIds[slot], outcome);
                    progress.finished(slot, outcome);
                }

                @Override
                public void stepped(int step, int active, int grokked) {
                    modelSteps[0] += active;
                    progress.stepped(step, active, grokked);
                }

                @Override
                public boolean stopRequested() {
                    return progress.stopRequested();
                }
            };
            long start = System.nanoTime();
            RunOutcome[] outcomes = new PopulationTrainer(backend).run(pop, hyper, settings, new TrainerState(b), recorder);
            double wall = (System.nanoTime() - start) / 1e9;
            return new CellResult(spec, runIds, outcomes, wall, modelSteps[0]);
        }
    }

    /** The population a cell trains: the modular-addition models of its kind, or the parity MLP. */
    private static Population create(CellSpec spec, Precision precision) {
        if (spec.isParity()) {
            SparseParity t = spec.parity();
            return new ParityPopulation(t.n(), spec.hidden(), spec.seeds().length, t.trainSize(), t.testSize(), precision);
        }
        return spec.kind().create(spec.seeds().length, spec.task().trainSize(), precision);
    }

    /** What {@link #create} will take, sized as {@code sizing} sizes workspaces; nothing is allocated. */
    public static MemoryPlan memoryPlan(CellSpec spec, int models, Precision precision, dev.normclock.backend.WorkspaceSizing sizing) {
        if (spec.isParity()) return MemoryPlan.forParity(spec.parity(), spec.hidden(), models, precision, sizing);
        return MemoryPlan.forModular(spec.kind(), spec.task(), models, precision, sizing);
    }

    private RunSpec runSpec(CellSpec spec, int seed) {
        Map<String, Object> config = spec.config();
        config.put("seed", seed);
        config.put("precision", backend.precision().label());
        config.put("backend", backend.name());
        config.put("threads", backend.parallelism());
        if (backend.softmaxSum() != dev.normclock.backend.SoftmaxSum.CLASS_ORDER) config.put("softmax_sum", backend.softmaxSum().label());
        if (backend.tf32()) config.put("tf32", true); // only when on: FP32 runs keep the config they always had
        String json;
        try {
            json = JSON.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return new RunSpec(seed, spec.model() + (spec.layerNorm() ? "+layernorm" : ""), spec.isParity() ? 0 : spec.p(),
                spec.isParity() ? Double.NaN : spec.trainFrac(), spec.isParity() ? 0 : spec.d(), spec.hidden(), spec.lr(), spec.weightDecay(),
                spec.decayOrder(), spec.rho(), spec.wc(), spec.clampTarget(), spec.clampFrom(), spec.temperature(),
                spec.maxSteps(), spec.evalGrid(), backend.name(), Version.VERSION, json);
    }
}
