package dev.normclock.train;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.ModularAddition.Split;

/**
 * Times full training steps of a population (forward, backward, AdamW, clamp) after a warm-up,
 * and reports model-steps per second and the GFLOP/s the step executes; then times evaluation
 * separately as the trainer runs it on its log grid, a few hundred times per run: the test pairs
 * and the norms, the training metrics being read from the next step's forward pass.
 */
public final class StepBenchmark {

    public record Result(int p, int d, int hidden, double trainFrac, int models, int threads, int steps, double seconds,
                         double modelStepsPerSecond, double gflops, double flopsPerModelStep, long bytes,
                         double evaluationsPerSecond) {
        /** How many training steps one evaluation costs. */
        public double evaluationCostInSteps() {
            return modelStepsPerSecond / evaluationsPerSecond;
        }
    }

    private StepBenchmark() {
    }

    public static Result run(Backend be, int p, int d, int hidden, double trainFrac, int models, int warmupSteps, double minSeconds) {
        ModularAddition task = new ModularAddition(p, trainFrac);
        MlpShape shape = new MlpShape(p, d, hidden);
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
            for (int i = 0; i < warmupSteps; i++) pop.trainStep(be, all, pairs, hyper, ++step, loss, acc);
            long start = System.nanoTime();
            int timed = 0;
            double seconds;
            do {
                pop.trainStep(be, all, pairs, hyper, ++step, loss, acc);
                timed++;
                seconds = (System.nanoTime() - start) / 1e9;
            } while (seconds < minSeconds);
            double flops = shape.flopsPerStep(task.trainSize());
            double msps = timed * (double) models / seconds;
            // evaluation as the trainer runs it on its grid (the test pairs and the norms; the
            // training metrics come from the next step's forward pass), a quarter of the time
            int[][] testPairs = new int[models][];
            for (int m = 0; m < models; m++) testPairs[m] = task.split(1L, m).testPairs();
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            pop.evaluateTest(be, all, testPairs, hyper, metrics);
            long evalStart = System.nanoTime();
            int evals = 0;
            double evalSeconds;
            do {
                pop.evaluateTest(be, all, testPairs, hyper, metrics);
                evals++;
                evalSeconds = (System.nanoTime() - evalStart) / 1e9;
            } while (evalSeconds < minSeconds / 4);
            return new Result(p, d, hidden, trainFrac, models, be.parallelism(), timed, seconds, msps, msps * flops / 1e9, flops, pop.bytes(),
                    evals * (double) models / evalSeconds);
        }
    }
}
