package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.reference.ReferenceMlp;
import dev.normclock.reference.ReferenceMlp.StepHyper;
import dev.normclock.reference.ReferenceParityMlp;
import dev.normclock.reference.ReferenceParityMlp.Params;
import dev.normclock.results.RunOutcome;
import dev.normclock.task.SparseParity;
import dev.normclock.train.EvalSchedule;
import dev.normclock.train.PopulationTrainer;
import dev.normclock.train.TrainerState;

/**
 * {@link ParityPopulation} (float32, CpuBackend) against the plain per-example double reference
 * {@link ReferenceParityMlp} stepping from the same initial weights on the same data: the loss,
 * the gradients, the Adam moments and the weights of every step, for four slots with their own
 * seed, lr, weight decay, decay order, temperature, clamp (whole ‖W‖, only W2, only W1, from step 2)
 * and loss (slot 3: squared error); the evaluation of the resulting weights; the same bits for one
 * and two threads through the trainer; and a short end-to-end run on a small parity task.
 *
 * <p>Tolerances follow MlpStepConformanceTest: the loss to 1e-6 relative; the gradients to 1e-5 of
 * their tensor's largest entry — small entries are sums of cancelling terms — plus 1e-6 of the
 * tensor's largest sum of absolute terms (needed here: with two classes the bias gradient of the
 * logits is itself such a cancelling sum, see {@link #gradientTolerance}); the Adam moments to what
 * those gradient errors allow (plus 3e-5 of v for its rounded 1 − β2); and the weights to 2e-6·|w|
 * plus twice the accumulated Adam allowance (see {@link #updateAllowance}).
 */
class ParityStepConformanceTest {
    static final long BASE_KEY = 20260618L;
    static final int STEPS = 5;
    static final Map<String, Double> WORST = new TreeMap<>();

    @AfterAll
    static void report() {
        System.out.println("ParityPopulation vs the plain double reference, measured worst errors (units of the tolerance):");
        WORST.forEach((k, v) -> System.out.printf("  %-62s %.3e%n", k, v));
    }

    static void record(String what, double err) {
        WORST.merge(what, err, Math::max);
    }

    /**
     * Slot settings: lr, λ, decay after?, τ, clamp target (NaN: free) from step 2, the clamped
     * group (−1 ‖W‖, 2 only W2, 0 only W1) and the loss (slot 3: squared error).
     */
    static Hyper hyper(int models) {
        Hyper h = new Hyper(models);
        float[] lr = {1e-2f, 3e-3f, 1e-3f, 5e-3f};
        float[] wd = {1f, 1f, 0.5f, 0f};
        boolean[] after = {false, true, false, true};
        float[] tau = {1f, 1.3f, 1f, 0.7f};
        double[] target = {Double.NaN, 5.0, 1.0, 5.5};
        int[] group = {-1, -1, ParityPopulation.W2, ParityPopulation.W1};
        boolean[] mse = {false, false, false, true};
        for (int m = 0; m < models; m++) {
            h.seed[m] = m;
            h.lr[m] = lr[m % 4];
            h.weightDecay[m] = wd[m % 4];
            h.decayAfter[m] = after[m % 4];
            h.temperature[m] = tau[m % 4];
            h.clampTarget[m] = target[m % 4];
            h.clampFrom[m] = 2;
            h.clampGroup[m] = group[m % 4];
            h.squaredError[m] = mse[m % 4];
        }
        return h;
    }

    static StepHyper stepHyper(Hyper h, int m) {
        return new StepHyper(h.lr[m], h.weightDecay[m], h.decayAfter[m], h.temperature[m], h.clampTarget[m], h.clampFrom[m],
                h.squaredError[m], h.clampGroup[m]);
    }

    static Params readParams(ParityPopulation pop, Tensor[] tensors, int m) {
        Params out = new Params(pop.n, pop.hidden);
        double[][] dst = out.tensors();
        for (int j = 0; j < tensors.length; j++) {
            double[] f = tensors[j].toDoubleArray(m);
            System.arraycopy(f, 0, dst[j], 0, f.length);
        }
        return out;
    }

    @ParameterizedTest(name = "n={0} H={1} m={2} test={3} {4}")
    @CsvSource({"30, 40, 150, 90, float32", "10, 24, 70, 33, float32", "30, 40, 150, 90, float64"})
    void trainStepEqualsThePlainAlgorithm(int n, int hidden, int trainSize, int testSize, String format) {
        Precision precision = Precision.parse(format);
        double unit = StepTolerance.unit(precision);
        String tag = format + " ";
        SparseParity task = new SparseParity(n, 3, trainSize, testSize);
        int models = 4;
        Hyper hyper = hyper(models);
        int[] active = {0, 1, 2, 3};
        SparseParity.Data[] data = new SparseParity.Data[models];
        try (Backend be = StepTolerance.backend(precision, 2);
             ParityPopulation pop = new ParityPopulation(n, hidden, models, trainSize, testSize, precision)) {
            Params[] w = new Params[models], mom1 = new Params[models], mom2 = new Params[models], g = new Params[models];
            for (int m = 0; m < models; m++) {
                data[m] = task.data(BASE_KEY, m);
                pop.assign(m, data[m]);
                pop.initialise(m, BASE_KEY, m, 0.05);
                w[m] = readParams(pop, pop.params, m);
                // the same draws as the reference's init: identical starting weights
                Params ref = ReferenceParityMlp.init(BASE_KEY, m, n, hidden, 0.05);
                for (int j = 0; j < 4; j++)
                    for (int i = 0; i < ref.tensors()[j].length; i++)
                        assertEquals(ref.tensors()[j][i], w[m].tensors()[j][i], 0.0, "init of slot " + m + " " + Params.NAMES[j]);
                mom1[m] = new Params(n, hidden);
                mom2[m] = new Params(n, hidden);
                g[m] = new Params(n, hidden);
            }
            double[][][] allowance = new double[models][4][];
            double[][] gradTolMax = new double[models][4], gradMax = new double[models][4];
            for (int m = 0; m < models; m++)
                for (int j = 0; j < 4; j++) allowance[m][j] = new double[w[m].tensors()[j].length];
            double[] loss = new double[models], acc = new double[models];
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, active, hyper, step, loss, acc);
                for (int m = 0; m < models; m++) {
                    String at = "n=" + n + " model " + m + " step " + step;
                    double refAcc = ReferenceParityMlp.accuracy(w[m], data[m].trainInputs(), data[m].trainLabels());
                    Params mag = ReferenceParityMlp.gradientMagnitude(w[m], data[m].trainInputs(), data[m].trainLabels(),
                            hyper.temperature[m], hyper.squaredError[m]);
                    double refLoss = ReferenceParityMlp.trainStep(w[m], mom1[m], mom2[m], g[m], data[m].trainInputs(),
                            data[m].trainLabels(), stepHyper(hyper, m), step);
                    double lossErr = Math.abs(loss[m] - refLoss) / (1e-6 * refLoss);
                    record(tag + "training loss: |err| / 1e-6·loss", lossErr); // float-accurate in either precision (float rows)
                    assertTrue(lossErr <= 1, at + ": loss " + loss[m] + " vs reference " + refLoss);
                    // a point whose two logits (nearly) tie may go either way
                    assertEquals(refAcc, acc[m], 1.0 / trainSize + 1e-12, at + ": training accuracy");
                    // this step's gradient: δ_j = 1e-5·max|g_j| + 1e-6·max Σ|terms| per tensor
                    double[] delta = gradientTolerance(g[m], mag, unit);
                    for (int j = 0; j < 4; j++) {
                        gradTolMax[m][j] = Math.max(gradTolMax[m][j], delta[j]);
                        for (double x : g[m].tensors()[j]) gradMax[m][j] = Math.max(gradMax[m][j], Math.abs(x));
                    }
                    compare(readParams(pop, pop.grads(), m), g[m], delta, tag + "gradient: |err| / (1e-5·max|g| + 1e-6·max Σ|terms|)", at);
                    // m is a weighted mean of the gradients (weights summing to < 1): off by at most max δ,
                    // plus its own rounding; v of their squares: 2·max|g|·max δ, plus 3e-5·max|v| for the
                    // rounded 1 − β2 (as MlpStepConformanceTest)
                    double[] tolM = new double[4], tolV = new double[4];
                    for (int j = 0; j < 4; j++) {
                        tolM[j] = gradTolMax[m][j] + unit * 1e-5 * max(mom1[m].tensors()[j]);
                        tolV[j] = 2 * gradMax[m][j] * gradTolMax[m][j] + unit * 3e-5 * max(mom2[m].tensors()[j]);
                    }
                    compare(readParams(pop, pop.m1, m), mom1[m], tolM, tag + "Adam m1: |err| / (max δ + 1e-5·max|m|)", at);
                    compare(readParams(pop, pop.m2, m), mom2[m], tolV, tag + "Adam m2: |err| / (2·max|g|·max δ + 3e-5·max v)", at);
                    StepTolerance.addUpdateAllowance(allowance[m], gradTolMax[m], mom1[m].tensors(), mom2[m].tensors(), hyper.lr[m], step, unit);
                    StepTolerance.compareParams(readParams(pop, pop.params, m).tensors(), w[m].tensors(), Params.NAMES, allowance[m], at,
                            (k, v) -> record(tag + k, v), unit);
                }
            }
            for (int m = 0; m < models; m++) {
                if (Double.isNaN(hyper.clampTarget[m])) continue;
                Params got = readParams(pop, pop.params, m);
                int group = hyper.clampGroup[m];
                double norm = group < 0 ? got.weightNorm() : Math.sqrt(ReferenceMlp.sumSquares(got.tensors()[group]));
                assertEquals(hyper.clampTarget[m], norm, unit * 1e-5 * hyper.clampTarget[m], "clamped norm of slot " + m);
            }
            checkEvaluation(be, pop, hyper, data, unit, tag);
        }
    }

    /**
     * {@link ParityPopulation#evaluate} of the current float weights against the double reference
     * evaluating the same weights: losses and the logit scale to 1e-5 relative (the forward pass in
     * float), accuracies up to one near-tie, norms to 1e-6.
     */
    private static void checkEvaluation(Backend be, ParityPopulation pop, Hyper hyper, SparseParity.Data[] data, double unit, String tag) {
        int models = pop.models;
        Metrics[] out = new Metrics[models];
        int[] active = {0, 1, 2, 3};
        pop.evaluate(be, active, hyper, out);
        for (int m : active) {
            Params w = readParams(pop, pop.params, m);
            double tau = hyper.temperature[m];
            boolean mse = hyper.squaredError[m];
            SparseParity.Data d = data[m];
            String at = "evaluation of slot " + m;
            double trainLoss = ReferenceParityMlp.lossAndGradient(w, d.trainInputs(), d.trainLabels(), tau, mse, null);
            double testLoss = ReferenceParityMlp.lossAndGradient(w, d.testInputs(), d.testLabels(), tau, mse, null);
            relative(trainLoss, out[m].trainLoss(), 1e-5, tag + "evaluation train loss: |err| / 1e-5·loss", at);
            relative(testLoss, out[m].testLoss(), 1e-5, tag + "evaluation test loss: |err| / 1e-5·loss", at);
            assertEquals(ReferenceParityMlp.accuracy(w, d.trainInputs(), d.trainLabels()), out[m].trainAcc(), 1.0 / pop.trainSize + 1e-12, at);
            assertEquals(ReferenceParityMlp.accuracy(w, d.testInputs(), d.testLabels()), out[m].testAcc(), 1.0 / pop.testSize + 1e-12, at);
            relative(w.weightNorm(), out[m].norm(), unit * 1e-6, tag + "evaluation ‖W‖: |err| / 1e-6·‖W‖", at);
            relative(Math.sqrt(ReferenceMlp.sumSquares(w.w1)), out[m].normW1(), unit * 1e-6, tag + "evaluation ‖W1‖: |err| / 1e-6·‖W1‖", at);
            relative(Math.sqrt(ReferenceMlp.sumSquares(w.w2)), out[m].normW2(), unit * 1e-6, tag + "evaluation ‖W2‖: |err| / 1e-6·‖W2‖", at);
            assertTrue(Double.isNaN(out[m].normE()), "no embedding");
            double scale = (ReferenceParityMlp.logitScale(w, d.trainInputs(), tau) * pop.trainSize
                    + ReferenceParityMlp.logitScale(w, d.testInputs(), tau) * pop.testSize) / (pop.trainSize + pop.testSize);
            relative(scale, out[m].logitScale(), 1e-5, tag + "evaluation logit scale: |err| / 1e-5·L", at); // float rows
            if (mse) assertTrue(Double.isNaN(out[m].collapse()), at + ": no collapse under squared error");
            else assertEquals(0.0, out[m].collapse(), 0.0, at + ": nothing collapses after five steps");
        }
    }

    private static void relative(double want, double got, double tol, String what, String at) {
        double err = Math.abs(got - want) / (tol * Math.abs(want));
        record(what, err);
        assertTrue(err <= 1, at + " " + what + ": " + got + " vs reference " + want);
    }

    static double max(double[] t) {
        double max = 0;
        for (double x : t) max = Math.max(max, Math.abs(x));
        return max;
    }

    /**
     * Per tensor, what float rounding may move this step's gradient by: 1e-5 of its largest entry
     * (MlpStepConformanceTest's bound) plus 1e-6 (≈ 16u) of the largest sum of absolute terms, the
     * scale of the rounding in sums whose terms cancel (db2 of two classes is Σ (softmax − onehot)/m).
     */
    static double[] gradientTolerance(Params g, Params magnitude, double unit) {
        double[][] gt = g.tensors(), mt = magnitude.tensors();
        double[] out = new double[gt.length];
        for (int j = 0; j < gt.length; j++) out[j] = unit * (1e-5 * max(gt[j]) + 1e-6 * max(mt[j]));
        return out;
    }



    /** |got − want| ≤ tol[j] for every entry of tensor j. */
    private static void compare(Params got, Params want, double[] tol, String what, String at) {
        double[][] a = got.tensors(), b = want.tensors();
        for (int j = 0; j < a.length; j++) {
            assertTrue(max(b[j]) > 0, at + " " + what + " " + Params.NAMES[j] + " is not trivially zero");
            for (int i = 0; i < a[j].length; i++) {
                double err = Math.abs(a[j][i] - b[j][i]) / tol[j];
                record(what, err);
                assertTrue(err <= 1, at + " " + what + " " + Params.NAMES[j] + "[" + i + "]: " + a[j][i] + " vs reference " + b[j][i]);
            }
        }
    }

    /** Models left out of {@code active} are not touched: weights and moments stay bit for bit. */
    @Test
    void inactiveModelsAreUntouched() {
        SparseParity task = new SparseParity(12, 3, 80, 40);
        int models = 4;
        Hyper hyper = hyper(models);
        try (CpuBackend be = new CpuBackend(2); ParityPopulation pop = new ParityPopulation(12, 20, models, 80, 40)) {
            for (int m = 0; m < models; m++) {
                pop.assign(m, task.data(BASE_KEY, m));
                pop.initialise(m, BASE_KEY, m, 0.05);
            }
            double[] loss = new double[models], acc = new double[models];
            pop.trainStep(be, new int[]{0, 1, 2, 3}, hyper, 1, loss, acc);
            List<int[]> before = bits(pop);
            pop.trainStep(be, new int[]{0, 2}, hyper, 2, loss, acc);
            List<int[]> after = bits(pop);
            int moved = 0;
            for (int k = 0; k < before.size(); k++) {
                int m = k % models;
                boolean same = java.util.Arrays.equals(before.get(k), after.get(k));
                if (m == 1 || m == 3) assertTrue(same, "idle slot " + m + " (tensor " + k / models + ") changed");
                else if (!same) moved++;
            }
            assertTrue(moved >= 6, "the active slots were trained");
        }
    }

    /** Every state tensor of every slot as raw bits: [tensor][slot] flattened. */
    static List<int[]> bits(ParityPopulation pop) {
        List<int[]> out = new ArrayList<>();
        for (Tensor t : pop.state())
            for (int m = 0; m < pop.models; m++) {
                float[] v = t.toArray(m);
                int[] b = new int[v.length];
                for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
                out.add(b);
            }
        return out;
    }

    record Run(List<int[]> bits, List<String> metrics, RunOutcome[] outcomes) {
    }

    /**
     * A short trainer run: 150 training points (three row chunks), 600 test points (two evaluation
     * blocks), widths not multiples of 16, a clamp from step 10 and a squared-error slot.
     */
    static Run trainerRun(int threads) {
        int n = 30, hidden = 40, trainSize = 150, testSize = 600, models = 3, steps = 20;
        SparseParity task = new SparseParity(n, 3, trainSize, testSize);
        Hyper hyper = hyper(models);
        hyper.clampFrom[1] = 10;
        hyper.squaredError[2] = true;
        List<String> log = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads); ParityPopulation pop = new ParityPopulation(n, hidden, models, trainSize, testSize)) {
            for (int m = 0; m < models; m++) {
                pop.assign(m, task.data(BASE_KEY, 10 + m));
                pop.initialise(m, BASE_KEY, 10 + m, 1e-6);
            }
            PopulationTrainer.Settings settings = PopulationTrainer.Settings.uniform(models, steps, EvalSchedule.every(5, steps), 1000);
            RunOutcome[] outcomes = new PopulationTrainer(be).run(pop, hyper, settings, new TrainerState(models), new PopulationTrainer.Listener() {
                @Override
                public void evaluated(int step, int[] slots, Metrics[] metrics) {
                    for (int m : slots) log.add(step + " " + m + " " + metrics[m]);
                }
            });
            return new Run(bits(pop), log, outcomes);
        }
    }

    @Test
    void theSameBitsForOneAndTwoThreads() {
        Run one = trainerRun(1), again = trainerRun(1), two = trainerRun(2);
        assertEquals(4 * 3, one.metrics().size(), "evaluated at steps 5, 10, 15, 20: " + one.metrics());
        for (Run r : new Run[]{again, two}) {
            String what = r == again ? "1 thread twice (JIT state)" : "2 threads vs 1";
            for (int k = 0; k < one.bits().size(); k++)
                assertTrue(java.util.Arrays.equals(one.bits().get(k), r.bits().get(k)), what + ": state tensor " + k / 3 + " of slot " + k % 3);
            assertEquals(one.metrics(), r.metrics(), what + ": metrics");
            for (int m = 0; m < 3; m++) {
                assertEquals(one.outcomes()[m].status(), r.outcomes()[m].status(), what);
                assertEquals(one.outcomes()[m].finalStep(), r.outcomes()[m].finalStep(), what);
            }
        }
    }

    /**
     * End to end through {@link PopulationTrainer}: sparse parity with n = 20, k = 3, 400 training
     * points and 1000 fresh test points, H = 64, lr 3e-3, λ = 1 (Paper A's decay order), three
     * seeds, evaluated every 50 steps, retired once grokked. n = 20 rather than 10: with 2¹⁰ = 1024
     * possible inputs, 400 training points already cover about a third of them and most test points
     * are training points, so n = 10 "generalises" as soon as it memorises (step 150–200); with
     * 2²⁰ inputs the test points are new. Measured: every seed memorises by step 150–200 and groks
     * at 900–1200 (‖W‖ ≈ 11 at grok), in about 12 s with the tests' JIT flags, most of it the
     * interpreter before C2 has compiled the kernels. The steps and model-steps per second are printed.
     */
    @Test
    void smallParityTaskMemorisesAndGroks() {
        int n = 20, k = 3, trainSize = 400, testSize = 1000, hidden = 64, models = 3, maxSteps = 3000;
        SparseParity task = new SparseParity(n, k, trainSize, testSize);
        Hyper hyper = new Hyper(models);
        long[] steps = new long[1];
        RunOutcome[] outcomes;
        long start = System.nanoTime();
        try (CpuBackend be = new CpuBackend(2); ParityPopulation pop = new ParityPopulation(n, hidden, models, trainSize, testSize)) {
            for (int m = 0; m < models; m++) {
                hyper.seed[m] = m;
                hyper.lr[m] = 3e-3f;
                hyper.weightDecay[m] = 1f;
                pop.assign(m, task.data(BASE_KEY, m));
                pop.initialise(m, BASE_KEY, m, 1e-6);
            }
            PopulationTrainer.Settings settings = PopulationTrainer.Settings.uniform(models, maxSteps, EvalSchedule.every(50, maxSteps), 0);
            outcomes = new PopulationTrainer(be).run(pop, hyper, settings, new TrainerState(models), new PopulationTrainer.Listener() {
                @Override
                public void stepped(int step, int active, int grokked) {
                    steps[0] += active;
                }

                @Override
                public void evaluated(int step, int[] slots, Metrics[] metrics) {
                    if (step % 500 == 0)
                        for (int m : slots)
                            System.out.printf("  parity n=20 seed %d step %d: train %.3f test %.3f ‖W‖ %.2f L %.2f%n", m, step,
                                    metrics[m].trainAcc(), metrics[m].testAcc(), metrics[m].norm(), metrics[m].logitScale());
                }
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int delayed = 0;
        for (int m = 0; m < models; m++) {
            RunOutcome o = outcomes[m];
            System.out.printf("parity n=%d k=%d m=%d H=%d lr 3e-3 λ 1, seed %d: %s, T_mem %d, T_grok %d, ‖W‖ at grok %.2f%n",
                    n, k, trainSize, hidden, m, o.status(), o.tMem(), o.tGrok(), o.normAtGrok());
            assertTrue(o.tMem() > 0, "seed " + m + " memorises (train accuracy ≥ 0.99) within " + maxSteps + " steps");
            assertTrue(o.tGrok() > 0, "seed " + m + " generalises (test accuracy ≥ 0.9) within " + maxSteps + " steps");
            assertTrue(o.normAtGrok() > 0 && Double.isFinite(o.normAtGrok()), "‖W‖ at grok is recorded");
            if (o.tGrok() > o.tMem()) delayed++;
        }
        System.out.printf("parity end to end: %d model-steps in %.1f s (%.0f model-steps/s, evaluation included, JIT warm-up included)%n",
                steps[0], seconds, steps[0] / seconds);
        assertTrue(delayed > 0, "generalisation comes after memorisation for some seed (grokking)");
    }
}
