package dev.normclock.train;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.backend.cuda.StepCounters;
import dev.normclock.backend.Precision;
import dev.normclock.model.AttentionPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.model.ModelKind;
import dev.normclock.model.ModularPopulation;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * Times full training steps of a population (forward, backward, AdamW, clamp) after a warm-up,
 * and reports model-steps per second and the GFLOP/s the step executes; then times evaluation
 * separately as the trainer runs it on its log grid, a few hundred times per run: the test pairs
 * and the norms, the training metrics being read from the next step's forward pass. On the cuda
 * backend it also reads the counters ({@link StepCounters}: launches, cuBLAS calls, copies and bytes
 * each way, host synchronisations) over the timed steps alone — the window opens after the warm-up
 * has been read back and closes before the read that waits for the timed steps — and, apart, over
 * the timed evaluations. On cuda-sim they are the simulator's counters (its time says nothing of a
 * GPU's), on a GPU the engine's count of its own driver and cuBLAS calls.
 */
public final class StepBenchmark {

    public record Result(String model, int p, int d, int hidden, double trainFrac, int models, int threads, int steps, double seconds,
                         double modelStepsPerSecond, double gflops, double flopsPerModelStep, long bytes,
                         double evaluationsPerSecond, StepCounters counters, int evaluations, StepCounters evaluationCounters) {
        /**
         * The counters over one timed step (over all of them divided by their number), named as in
         * JSON ({@link StepCounters#NAMES}); null where the backend does not count (the cpu).
         */
        public java.util.Map<String, Double> countersPerStep() {
            return counters == null ? null : counters.per(steps);
        }

        /** The counters over one timed evaluation (test pairs and norms), as {@link #countersPerStep}. */
        public java.util.Map<String, Double> countersPerEvaluation() {
            return evaluationCounters == null ? null : evaluationCounters.per(evaluations);
        }

        /** The device-memory bytes one model-step moves at the least ({@link StepTraffic}), for the roofline; NaN where uncounted (models other than the MLP). */
        public double bytesPerModelStep() {
            if (!model.equals(ModelKind.MLP.label)) return Double.NaN;
            return StepTraffic.bytesPerModelStep(new MlpShape(p, d, hidden), new ModularAddition(p, trainFrac).trainSize());
        }

        /** How many training steps one evaluation costs. */
        public double evaluationCostInSteps() {
            return modelStepsPerSecond / evaluationsPerSecond;
        }
    }

    private StepBenchmark() {
    }

    public static Result run(Backend be, int p, int d, int hidden, double trainFrac, int models, int warmupSteps, double minSeconds) {
        return run(be, p, d, hidden, trainFrac, models, warmupSteps, minSeconds, 1);
    }

    /** As above, timing at least {@code minSteps} steps (the simulator's counters over a few steps, however short the time). */
    public static Result run(Backend be, int p, int d, int hidden, double trainFrac, int models, int warmupSteps, double minSeconds, int minSteps) {
        return run(be, Subject.mlp(p, d, hidden, trainFrac), models, warmupSteps, minSeconds, minSteps);
    }

    /**
     * What is benched: one of normclock's models at one shape, each slot drawn from its seed and
     * given its data as a study would (modular addition: p, f, d, H; the parity MLP: its task and H).
     */
    public record Subject(ModelKind kind, int p, int d, int hidden, double trainFrac, SparseParity parity) {
        public static Subject mlp(int p, int d, int hidden, double trainFrac) {
            return new Subject(ModelKind.MLP, p, d, hidden, trainFrac, null);
        }

        /** The attention model (no LayerNorm), heads of {@link ModularPopulation.Kind#HEAD_SIZE}; {@code hidden} is its MLP width. */
        public static Subject attention(int p, int d, int hidden, double trainFrac) {
            return new Subject(ModelKind.ATTENTION, p, d, hidden, trainFrac, null);
        }

        public static Subject parity(SparseParity task, int hidden) {
            return new Subject(ModelKind.PARITY_MLP, task.n(), 0, hidden, Double.NaN, task);
        }

        ModularPopulation.Kind modular() {
            return new ModularPopulation.Kind(kind.label, p, d, hidden, false);
        }

        ModularAddition task() {
            return new ModularAddition(p, trainFrac);
        }

        /** FLOPs one training step of one model executes (multiply–add counted as two). */
        public double flopsPerModelStep() {
            return switch (kind) {
                case MLP -> new MlpShape(p, d, hidden).flopsPerStep(task().trainSize());
                case ATTENTION -> AttentionPopulation.flopsPerStep(p, d, hidden, task().trainSize());
                case PARITY_MLP -> ParityPopulation.flopsPerStep(parity.n(), hidden, parity.trainSize());
            };
        }

        MemoryPlan memoryPlan(int models, Backend be) {
            return kind == ModelKind.PARITY_MLP ? MemoryPlan.forParity(parity, hidden, models, Precision.FLOAT32, be)
                    : MemoryPlan.forModular(modular(), task(), models, Precision.FLOAT32, be);
        }

        /** A population of {@code models} slots, each initialised from seed = its slot and given its data. */
        Population create(int models) {
            if (kind == ModelKind.PARITY_MLP) {
                ParityPopulation pop = new ParityPopulation(parity.n(), hidden, models, parity.trainSize(), parity.testSize());
                for (int m = 0; m < models; m++) {
                    pop.initialise(m, 1L, m, 1e-6);
                    pop.assign(m, parity.data(1L, m));
                }
                return pop;
            }
            ModularAddition task = task();
            ModularPopulation pop = modular().create(models, task.trainSize());
            for (int m = 0; m < models; m++) {
                pop.initialise(m, 1L, m, 1e-6);
                pop.assign(m, task.split(1L, m));
            }
            return pop;
        }
    }

    /**
     * Times {@code subject}'s training steps (AdamW, weight decay 1, the norm held from step 1, so
     * the clamp's cost is in every step) and its evaluations, on a population of {@code models}.
     */
    public static Result run(Backend be, Subject subject, int models, int warmupSteps, double minSeconds, int minSteps) {
        subject.memoryPlan(models, be).requireFits(MemoryPlan.Room.now(be));
        Hyper hyper = new Hyper(models);
        int[] all = new int[models];
        try (Population pop = subject.create(models)) {
            for (int m = 0; m < models; m++) {
                hyper.lr[m] = 1e-3f;
                hyper.weightDecay[m] = 1f;
                hyper.clampTarget[m] = 54.6;
                hyper.clampFrom[m] = 1;
                all[m] = m;
            }
            be.hostChanged(); // initialised on the host
            double[] loss = new double[models], acc = new double[models];
            int step = 0;
            // a GPU captures its step as a graph once it has seen it twice: the timed steps are replays
            for (int i = 0; i < Math.max(warmupSteps, be.deferredResults() ? 2 : 0); i++) {
                int t = ++step;
                be.replayable(() -> pop.trainStep(be, all, hyper, t));
            }
            pop.readTraining(all, loss, acc); // the warm-up done: a GPU has caught up
            StepCounters before = counters(be);
            long start = System.nanoTime();
            int timed = 0;
            double seconds;
            do {
                int t = ++step;
                be.replayable(() -> pop.trainStep(be, all, hyper, t)); // as the trainer between evaluations: nothing read back
                timed++;
                seconds = (System.nanoTime() - start) / 1e9;
            } while (seconds < minSeconds || timed < minSteps);
            StepCounters after = counters(be); // before the read-back: the window holds the training steps alone
            pop.readTraining(all, loss, acc); // waits for a GPU to finish the queued steps: they are timed
            seconds = (System.nanoTime() - start) / 1e9;
            StepCounters counted = before == null || after == null ? null : after.since(before);
            double flops = subject.flopsPerModelStep();
            double msps = timed * (double) models / seconds;
            // evaluation as the trainer runs it on its grid (the test pairs and the norms; the
            // training metrics come from the next step's forward pass), a quarter of the time
            pop.evaluateTest(be, all, hyper); // untimed: its first call uploads the test pairs
            pop.readTraining(all, loss, acc);
            StepCounters evalBefore = counters(be);
            long evalStart = System.nanoTime();
            int evals = 0;
            double evalSeconds;
            do {
                pop.evaluateTest(be, all, hyper);
                pop.readTraining(all, loss, acc); // as the trainer: the evaluation's figures are read back
                evals++;
                evalSeconds = (System.nanoTime() - evalStart) / 1e9;
            } while (evalSeconds < minSeconds / 4);
            StepCounters evalAfter = counters(be);
            StepCounters evalCounted = evalBefore == null || evalAfter == null ? null : evalAfter.since(evalBefore);
            return new Result(subject.kind().label, subject.p(), subject.d(), subject.hidden(), subject.trainFrac(), models, be.parallelism(), timed,
                    seconds, msps, msps * flops / 1e9, flops, pop.bytes(), evals * (double) models / evalSeconds, counted, evals, evalCounted);
        }
    }

    /** The counters of the cuda backend (the simulator's on cuda-sim, the engine's count on a GPU); null on the cpu. */
    private static StepCounters counters(Backend be) {
        return be instanceof CudaBackend gpu ? StepCounters.of(gpu) : null;
    }
}
