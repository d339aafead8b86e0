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
import dev.normclock.reference.ReferenceMlp;
import dev.normclock.reference.ReferenceMlp.Params;
import dev.normclock.reference.ReferenceMlp.StepHyper;
import dev.normclock.task.ModularAddition;

/**
 * {@link MlpPopulation#trainStep} (first-layer rewrite, float32, CpuBackend with two threads)
 * against the plain per-example double reference stepping from the same initial weights on the
 * same training pairs: the gradients of the first step, the loss, the Adam moments and the
 * parameters after every step agree to float tolerance. Four models with their own seed, lr,
 * weight decay, decay order, temperature and clamp.
 */
class MlpStepConformanceTest {
    static final long BASE_KEY = 20260613L;
    static final int STEPS = 5;
    static final Map<String, Double> WORST = new TreeMap<>();

    @AfterAll
    static void report() {
        System.out.println("MlpPopulation.trainStep vs the plain double reference, measured worst errors (units of the tolerance):");
        WORST.forEach((k, v) -> System.out.printf("  %-60s %.3e%n", k, v));
    }

    static void record(String what, double err) {
        WORST.merge(what, err, Math::max);
    }

    /**
     * Model slot settings: lr, λ, decay after?, τ, clamp target (NaN: free), clamp from, the clamped
     * group (slot 2 holds only ‖W2‖) and the loss (slot 3: Paper B's squared error).
     */
    static Hyper hyper(int models) {
        Hyper h = new Hyper(models);
        float[] lr = {1e-2f, 3e-3f, 1e-3f, 5e-3f};
        float[] wd = {1f, 1f, 0.5f, 0f};
        boolean[] after = {false, true, false, true};
        float[] tau = {1f, 1.3f, 1f, 0.7f};
        double[] target = {Double.NaN, 5.0, 8.0, Double.NaN};
        int[] from = {1, 2, 1, 1};
        int[] group = {-1, -1, 3, -1};
        boolean[] mse = {false, false, false, true};
        for (int m = 0; m < models; m++) {
            h.clampGroup[m] = group[m % 4];
            h.squaredError[m] = mse[m % 4];
            h.seed[m] = m;
            h.lr[m] = lr[m % 4];
            h.weightDecay[m] = wd[m % 4];
            h.decayAfter[m] = after[m % 4];
            h.temperature[m] = tau[m % 4];
            h.clampTarget[m] = target[m % 4];
            h.clampFrom[m] = from[m % 4];
        }
        return h;
    }

    static Params readParams(MlpPopulation pop, Tensor[] tensors, int m) {
        MlpShape s = pop.shape;
        Params out = new Params(s.p(), s.d(), s.hidden());
        double[][] dst = out.tensors();
        for (int j = 0; j < tensors.length; j++) {
            double[] f = tensors[j].toDoubleArray(m);
            System.arraycopy(f, 0, dst[j], 0, f.length);
        }
        return out;
    }

    static StepHyper stepHyper(Hyper h, int m) {
        return new StepHyper(h.lr[m], h.weightDecay[m], h.decayAfter[m], h.temperature[m], h.clampTarget[m], h.clampFrom[m],
                h.squaredError[m], h.clampGroup[m]);
    }

    @ParameterizedTest(name = "p={0} d={1} H={2} f={3} {4}")
    @CsvSource({"11, 8, 24, 0.6, float32", "7, 5, 13, 0.6, float32", "11, 8, 24, 0.6, float64", "7, 5, 13, 0.6, float64"})
    void trainStepEqualsThePlainAlgorithm(int p, int d, int hidden, double f, String format) {
        Precision precision = Precision.parse(format);
        double unit = StepTolerance.unit(precision);
        String tag = format + " ";
        ModularAddition task = new ModularAddition(p, f);
        int models = 4, n = task.trainSize();
        Hyper hyper = hyper(models);
        int[][] pairs = new int[models][];
        int[] active = {0, 1, 2, 3};
        try (Backend be = StepTolerance.backend(precision, 2); MlpPopulation pop = new MlpPopulation(new MlpShape(p, d, hidden), models, n, precision)) {
            Params[] w = new Params[models], mom1 = new Params[models], mom2 = new Params[models], g = new Params[models];
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m, 0.05);
                pairs[m] = task.split(BASE_KEY, m).trainPairs();
                w[m] = readParams(pop, pop.params, m);
                mom1[m] = new Params(p, d, hidden);
                mom2[m] = new Params(p, d, hidden);
                g[m] = new Params(p, d, hidden);
            }
            // per-coordinate allowance for the parameters (see updateAllowance)
            double[][][] allowance = new double[models][5][];
            double[][] gradTolMax = new double[models][5];
            for (int m = 0; m < models; m++)
                for (int j = 0; j < 5; j++) allowance[m][j] = new double[w[m].tensors()[j].length];
            double[] loss = new double[models], acc = new double[models];
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, active, pairs, hyper, step, loss, acc);
                for (int m = 0; m < models; m++) {
                    double refLoss = ReferenceMlp.trainStep(w[m], mom1[m], mom2[m], g[m], pairs[m], stepHyper(hyper, m), step);
                    String at = "p=" + p + " model " + m + " step " + step;
                    // per-row losses come back as floats in either precision: the logged loss is float-accurate
                    double lossErr = Math.abs(loss[m] - refLoss) / (1e-6 * refLoss);
                    record(tag + "training loss: |err| / 1e-6·loss", lossErr);
                    assertTrue(lossErr <= 1, at + ": loss " + loss[m] + " vs reference " + refLoss);
                    // this step's gradient (at the weights before the update), relative to each tensor's largest entry
                    compare(readParams(pop, pop.grads(), m), g[m], unit * 1e-5, 0, tag + "gradient", at);
                    // Adam moments: m is a running mean of gradients, v of their squares
                    compare(readParams(pop, pop.m1, m), mom1[m], unit * 1e-5, 0, tag + "Adam m1", at);
                    compare(readParams(pop, pop.m2, m), mom2[m], unit * 3e-5, 0, tag + "Adam m2", at); // 1.3e-5 of it: the rounded 1 − β2
                    StepTolerance.raiseGradientTolerance(gradTolMax[m], g[m].tensors(), unit);
                    StepTolerance.addUpdateAllowance(allowance[m], gradTolMax[m], mom1[m].tensors(), mom2[m].tensors(), hyper.lr[m], step, unit);
                    StepTolerance.compareParams(readParams(pop, pop.params, m).tensors(), w[m].tensors(), Params.NAMES, allowance[m], at,
                            (k, v) -> record(tag + k, v), unit);
                }
            }
            for (int m = 0; m < models; m++) {
                if (Double.isNaN(hyper.clampTarget[m])) continue;
                Params got = readParams(pop, pop.params, m);
                double norm = hyper.clampGroup[m] < 0 ? got.weightNorm() : Math.sqrt(ReferenceMlp.sumSquares(got.tensors()[hyper.clampGroup[m]]));
                assertEquals(hyper.clampTarget[m], norm, unit * 1e-5 * hyper.clampTarget[m], "clamped norm of slot " + m);
            }
        }
    }

    /**
     * |got − want| ≤ relTol·max|want| over the tensor (for gradients and moments, whose small
     * entries are sums of cancelling terms) when absTol = 0; else ≤ relTol·|want| + absTol per entry.
     */
    private static void compare(Params got, Params want, double relTol, double absTol, String what, String at) {
        double[][] a = got.tensors(), b = want.tensors();
        for (int j = 0; j < a.length; j++) {
            double max = 0;
            for (double x : b[j]) max = Math.max(max, Math.abs(x));
            for (int i = 0; i < a[j].length; i++) {
                double tol = absTol == 0 ? relTol * max : relTol * Math.abs(b[j][i]) + absTol;
                double err = Math.abs(a[j][i] - b[j][i]) / tol;
                record(what + (absTol == 0 ? ": |err| / (" + relTol + "·max|·|)" : ": |err| / (1e-6·|w| + 1e-5·lr·step)"), err);
                assertTrue(err <= 1, at + " " + what + " " + Params.NAMES[j] + "[" + i + "]: " + a[j][i] + " vs reference " + b[j][i]);
            }
        }
    }

    /** Models left out of {@code active} are not touched: weights, gradients and moments stay bit for bit. */
    @Test
    void inactiveModelsAreUntouched() {
        ModularAddition task = new ModularAddition(11, 0.6);
        int models = 4, n = task.trainSize();
        Hyper hyper = hyper(models);
        int[][] pairs = new int[models][];
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(11, 8, 24), models, n)) {
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m, 0.05);
                pairs[m] = task.split(BASE_KEY, m).trainPairs();
            }
            double[] loss = new double[models], acc = new double[models];
            pop.trainStep(be, new int[]{0, 1, 2, 3}, pairs, hyper, 1, loss, acc);
            Tensor[][] all = {pop.params, pop.grads(), pop.m1, pop.m2};
            float[][][] before = new float[all.length][][];
            for (int k = 0; k < all.length; k++) {
                before[k] = new float[all[k].length * models][];
                for (int j = 0; j < all[k].length; j++)
                    for (int m = 0; m < models; m++) before[k][j * models + m] = all[k][j].toArray(m);
            }
            int[] active = {0, 2};
            pop.trainStep(be, active, pairs, hyper, 2, loss, acc);
            for (int k = 0; k < all.length; k++)
                for (int j = 0; j < all[k].length; j++)
                    for (int m : new int[]{1, 3}) {
                        float[] now = all[k][j].toArray(m), was = before[k][j * models + m];
                        for (int i = 0; i < now.length; i++)
                            assertEquals(Float.floatToRawIntBits(was[i]), Float.floatToRawIntBits(now[i]), "slot " + m + " tensor group " + k + "/" + j);
                    }
            // and the active ones did move
            float[] e0 = pop.emb.toArray(0);
            boolean moved = false;
            for (int i = 0; i < e0.length; i++) moved |= e0[i] != before[0][0][i];
            assertTrue(moved, "the active slot 0 was trained");
        }
    }
}
