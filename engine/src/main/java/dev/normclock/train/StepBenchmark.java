package dev.normclock.train;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.backend.cuda.StepCounters;
import dev.normclock.backend.Precision;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.ModularAddition.Split;

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

    public record Result(int p, int d, int hidden, double trainFrac, int models, int threads, int steps, double seconds,
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

        /** The device-memory bytes one model-step moves at the least ({@link StepTraffic}), for the roofline. */
        public double bytesPerModelStep() {
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
        ModularAddition task = new ModularAddition(p, trainFrac);
        MlpShape shape = new MlpShape(p, d, hidden);
        MemoryPlan.forModular(new dev.normclock.model.ModularPopulation.Kind("mlp", p, d, hidden, false), task, models, Precision.FLOAT32, be)
                .requireFits(MemoryPlan.Room.now(be));
        Hyper hyper = new Hyper(models);
        int[][] pairs = new int[models][];
        int[] all = new int[models];
        try (MlpPopulation pop = new MlpPopulation(shape, models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                Split split = task.split(1L, m);
                pairs[m] = split.trainPairs();
                pop.initialise(m, 1L, m, 1e-6);
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
                be.replayable(() -> pop.trainStep(be, all, pairs, hyper, t));
            }
            pop.readTraining(all, loss, acc); // the warm-up done: a GPU has caught up
            StepCounters before = counters(be);
            long start = System.nanoTime();
            int timed = 0;
            double seconds;
            do {
                int t = ++step;
                be.replayable(() -> pop.trainStep(be, all, pairs, hyper, t)); // as the trainer between evaluations: nothing read back
                timed++;
                seconds = (System.nanoTime() - start) / 1e9;
            } while (seconds < minSeconds || timed < minSteps);
            StepCounters after = counters(be); // before the read-back: the window holds the training steps alone
            pop.readTraining(all, loss, acc); // waits for a GPU to finish the queued steps: they are timed
            seconds = (System.nanoTime() - start) / 1e9;
            StepCounters counted = before == null || after == null ? null : after.since(before);
            double flops = shape.flopsPerStep(task.trainSize());
            double msps = timed * (double) models / seconds;
            // evaluation as the trainer runs it on its grid (the test pairs and the norms; the
            // training metrics come from the next step's forward pass), a quarter of the time
            int[][] testPairs = new int[models][];
            for (int m = 0; m < models; m++) testPairs[m] = task.split(1L, m).testPairs();
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            pop.evaluateTest(be, all, testPairs, hyper, metrics); // untimed: its first call uploads the test pairs
            StepCounters evalBefore = counters(be);
            long evalStart = System.nanoTime();
            int evals = 0;
            double evalSeconds;
            do {
                pop.evaluateTest(be, all, testPairs, hyper, metrics);
                evals++;
                evalSeconds = (System.nanoTime() - evalStart) / 1e9;
            } while (evalSeconds < minSeconds / 4);
            StepCounters evalAfter = counters(be);
            StepCounters evalCounted = evalBefore == null || evalAfter == null ? null : evalAfter.since(evalBefore);
            return new Result(p, d, hidden, trainFrac, models, be.parallelism(), timed, seconds, msps, msps * flops / 1e9, flops, pop.bytes(),
                    evals * (double) models / evalSeconds, counted, evals, evalCounted);
        }
    }

    /** The counters of the cuda backend (the simulator's on cuda-sim, the engine's count on a GPU); null on the cpu. */
    private static StepCounters counters(Backend be) {
        return be instanceof CudaBackend gpu ? StepCounters.of(gpu) : null;
    }
}
