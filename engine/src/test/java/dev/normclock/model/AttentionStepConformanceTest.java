package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.normclock.reference.ReferenceAttention;
import dev.normclock.reference.ReferenceAttention.Params;
import dev.normclock.reference.ReferenceMlp;
import dev.normclock.reference.ReferenceMlp.StepHyper;
import dev.normclock.task.ModularAddition;

/**
 * {@link AttentionPopulation#trainStep} (the table rewrite, float32, CpuBackend with two threads)
 * against the plain per-example double {@link ReferenceAttention#trainStep} stepping from the same
 * initial weights (copied from the population) on the same training pairs, with and without
 * LayerNorm: the first-step gradients, the loss, the Adam moments and the parameters after every
 * step agree to float tolerance (justified as in {@link MlpStepConformanceTest}). Four models with
 * their own seed, lr, weight decay, decay order, temperature and clamp (whole norm, and the attn
 * group alone). And the same bits for 1, 2 and 3 threads.
 */
class AttentionStepConformanceTest {
    static final long BASE_KEY = 20260614L;
    static final int STEPS = 5;
    static final Map<String, Double> WORST = new TreeMap<>();

    @AfterAll
    static void report() {
        System.out.println("AttentionPopulation.trainStep vs the plain double reference, measured worst errors (units of the tolerance):");
        WORST.forEach((k, v) -> System.out.printf("  %-70s %.3e%n", k, v));
    }

    static void record(String what, double err) {
        WORST.merge(what, err, Math::max);
    }

    /** Slots: lr, λ, decay after?, τ, clamp target (NaN: free), clamp from, clamp group (slot 2: attn only). */
    static Hyper hyper(int models) {
        Hyper h = new Hyper(models);
        float[] lr = {1e-2f, 3e-3f, 1e-3f, 5e-3f};
        float[] wd = {1f, 1f, 0.5f, 0f};
        boolean[] after = {false, true, false, true};
        float[] tau = {1f, 1.3f, 1f, 0.7f};
        double[] target = {Double.NaN, 6.0, 5.0, Double.NaN};
        int[] from = {1, 2, 1, 1};
        int[] group = {-1, -1, 1, -1};
        for (int m = 0; m < models; m++) {
            h.seed[m] = m;
            h.lr[m] = lr[m % 4];
            h.weightDecay[m] = wd[m % 4];
            h.decayAfter[m] = after[m % 4];
            h.temperature[m] = tau[m % 4];
            h.clampTarget[m] = target[m % 4];
            h.clampFrom[m] = from[m % 4];
            h.clampGroup[m] = group[m % 4];
        }
        return h;
    }

    static Params read(AttentionPopulation pop, Tensor[] tensors, int m) {
        Params out = new Params(pop.p, pop.d, pop.mlp);
        double[][] dst = out.tensors();
        for (int j = 0; j < tensors.length; j++) {
            double[] f = tensors[j].toDoubleArray(m);
            System.arraycopy(f, 0, dst[j], 0, f.length);
        }
        return out;
    }

    static StepHyper stepHyper(Hyper h, int m) {
        return new StepHyper(h.lr[m], h.weightDecay[m], h.decayAfter[m], h.temperature[m], h.clampTarget[m], h.clampFrom[m],
                false, h.clampGroup[m]);
    }

    @ParameterizedTest(name = "p={0} d={1} heads={2} mlp={3} f={4} LN={5} {6}")
    @CsvSource({"11, 12, 3, 24, 0.6, false, float32", "11, 12, 3, 24, 0.6, true, float32", "7, 16, 4, 20, 0.5, false, float32",
            "7, 16, 4, 20, 0.5, true, float32", "11, 12, 3, 24, 0.6, true, float64", "7, 16, 4, 20, 0.5, false, float64"})
    void trainStepEqualsThePlainAlgorithm(int p, int d, int heads, int mlp, double f, boolean layerNorm, String format) {
        Precision precision = Precision.parse(format);
        double unit = StepTolerance.unit(precision);
        String tag = format + " ";
        ModularAddition task = new ModularAddition(p, f);
        int models = 4, n = task.trainSize();
        Hyper hyper = hyper(models);
        int[][] pairs = new int[models][];
        int[] active = {0, 1, 2, 3};
        try (Backend be = StepTolerance.backend(precision, 2);
             AttentionPopulation pop = new AttentionPopulation(p, d, heads, mlp, layerNorm, models, n, precision)) {
            Params[] w = new Params[models], mom1 = new Params[models], mom2 = new Params[models], g = new Params[models];
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m);
                ModularAddition.Split split = task.split(BASE_KEY, m);
                pop.assign(m, split);
                pairs[m] = split.trainPairs();
                w[m] = read(pop, pop.params, m);
                mom1[m] = new Params(p, d, mlp);
                mom2[m] = new Params(p, d, mlp);
                g[m] = new Params(p, d, mlp);
            }
            double[][][] allowance = new double[models][9][];
            double[][] gradTolMax = new double[models][9];
            for (int m = 0; m < models; m++)
                for (int j = 0; j < 9; j++) allowance[m][j] = new double[w[m].tensors()[j].length];
            double[] loss = new double[models], acc = new double[models];
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, active, hyper, step, loss, acc);
                for (int m = 0; m < models; m++) {
                    String group = hyper.clampGroup[m] < 0 ? null : AttentionPopulation.GROUP_NAMES[hyper.clampGroup[m]];
                    double refLoss = ReferenceAttention.trainStep(w[m], mom1[m], mom2[m], g[m], pairs[m], heads, layerNorm,
                            stepHyper(hyper, m), group, step);
                    String at = "p=" + p + " LN=" + layerNorm + " model " + m + " step " + step;
                    // per-row losses come back as floats in either precision: the logged loss is float-accurate
                    double lossErr = Math.abs(loss[m] - refLoss) / (1e-6 * refLoss);
                    record(tag + "training loss: |err| / 1e-6·loss", lossErr);
                    assertTrue(lossErr <= 1, at + ": loss " + loss[m] + " vs reference " + refLoss);
                    compare(read(pop, pop.grads(), m), g[m], unit * 1e-5, tag + "gradient", at);
                    compare(read(pop, pop.m1, m), mom1[m], unit * 1e-5, tag + "Adam m1", at);
                    compare(read(pop, pop.m2, m), mom2[m], unit * 3e-5, tag + "Adam m2", at); // 1.3e-5 of it: the rounded 1 − β2
                    StepTolerance.raiseGradientTolerance(gradTolMax[m], g[m].tensors(), unit);
                    StepTolerance.addUpdateAllowance(allowance[m], gradTolMax[m], mom1[m].tensors(), mom2[m].tensors(), hyper.lr[m], step, unit);
                    StepTolerance.compareParams(read(pop, pop.params, m).tensors(), w[m].tensors(), Params.NAMES, allowance[m], at,
                            (k, v) -> record(tag + k, v), unit);
                }
            }
            for (int m = 0; m < models; m++) {
                if (Double.isNaN(hyper.clampTarget[m])) continue;
                Params got = read(pop, pop.params, m);
                double norm = hyper.clampGroup[m] < 0 ? got.weightNorm() : got.groupNorm(AttentionPopulation.GROUP_NAMES[hyper.clampGroup[m]]);
                assertEquals(hyper.clampTarget[m], norm, unit * 1e-5 * hyper.clampTarget[m], "clamped norm of slot " + m);
            }
            // evaluation: test loss and accuracy against the reference on the final weights
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            pop.evaluateTest(be, active, hyper, metrics);
            for (int m = 0; m < models; m++) {
                int[] test = task.split(BASE_KEY, m).testPairs();
                double refTest = ReferenceAttention.lossAndGradient(w[m], test, p, heads, layerNorm, hyper.temperature[m], null);
                double err = Math.abs(metrics[m].testLoss() - refTest) / (1e-5 * refTest);
                record(tag + "test loss after the steps: |err| / 1e-5·loss", err);
                assertTrue(err <= 1, "slot " + m + " test loss " + metrics[m].testLoss() + " vs " + refTest);
                assertEquals(w[m].weightNorm(), metrics[m].norm(), unit * 1e-5 * w[m].weightNorm());
                assertEquals(w[m].groupNorm("embed"), metrics[m].normE(), unit * 1e-5 * w[m].weightNorm());
                assertEquals(w[m].groupNorm("unembed"), metrics[m].normW2(), unit * 1e-5 * w[m].weightNorm());
            }
        }
    }



    /** |got − want| ≤ relTol·max|want| over the tensor. */
    private static void compare(Params got, Params want, double relTol, String what, String at) {
        double[][] a = got.tensors(), b = want.tensors();
        for (int j = 0; j < a.length; j++) {
            double max = 0;
            for (double x : b[j]) max = Math.max(max, Math.abs(x));
            for (int i = 0; i < a[j].length; i++) {
                double err = Math.abs(a[j][i] - b[j][i]) / (relTol * max);
                record(what + ": |err| / (" + relTol + "·max|·|)", err);
                assertTrue(err <= 1, at + " " + what + " " + Params.NAMES[j] + "[" + i + "]: " + a[j][i] + " vs reference " + b[j][i]
                        + " (max " + max + ")");
            }
        }
    }

    /** Parameters, moments, losses and the evaluation after a few steps, as bits, for a thread count. */
    static String run(int threads, boolean layerNorm) {
        int p = 13;
        ModularAddition task = new ModularAddition(p, 0.5);
        int models = 3;
        Hyper hyper = hyper(models);
        StringBuilder sb = new StringBuilder();
        try (CpuBackend be = new CpuBackend(threads);
             AttentionPopulation pop = new AttentionPopulation(p, 20, 4, 36, layerNorm, models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, 7 + m);
                pop.assign(m, task.split(BASE_KEY, 7 + m));
            }
            int[] active = {0, 1, 2};
            double[] loss = new double[models], acc = new double[models];
            for (int step = 1; step <= 4; step++) {
                pop.trainStep(be, active, hyper, step, loss, acc);
                for (int m = 0; m < models; m++) sb.append(Double.doubleToRawLongBits(loss[m])).append(' ').append(acc[m]).append('\n');
            }
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            pop.evaluateTest(be, active, hyper, metrics);
            for (int m = 0; m < models; m++) sb.append(metrics[m]).append('\n');
            for (Tensor t : pop.state())
                for (int m = 0; m < models; m++)
                    for (float x : t.toArray(m)) sb.append(Integer.toHexString(Float.floatToRawIntBits(x))).append(',');
        }
        return sb.toString();
    }

    @Test
    void sameBitsForAnyThreadCount() {
        for (boolean ln : new boolean[]{false, true}) {
            String one = run(1, ln);
            assertEquals(one, run(2, ln), "1 vs 2 threads, LN=" + ln);
            assertEquals(one, run(3, ln), "1 vs 3 threads, LN=" + ln);
        }
    }
}
