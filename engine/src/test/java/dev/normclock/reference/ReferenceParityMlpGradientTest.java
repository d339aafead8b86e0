package dev.normclock.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.normclock.reference.ReferenceMlp.StepHyper;
import dev.normclock.reference.ReferenceParityMlp.Params;
import dev.normclock.task.SparseParity;

/**
 * The parity MLP's double reference: its backward pass against central finite differences of its
 * own loss at every coordinate of every tensor (with and without temperature), its initialisation,
 * the decay of weight matrices only, the clamp holding ‖W‖, and a short AdamW run that memorises a
 * small training set.
 */
class ReferenceParityMlpGradientTest {
    private static final int N = 6, H = 10, POINTS = 20;

    /** Weights at init scale; biases of order 0.3 so that every bias gradient is exercised. */
    private static Params randomParams(Random rnd) {
        Params w = new Params(N, H);
        for (int i = 0; i < w.w1.length; i++) w.w1[i] = rnd.nextGaussian() / Math.sqrt(N);
        for (int i = 0; i < w.w2.length; i++) w.w2[i] = rnd.nextGaussian() * 2 / Math.sqrt(H); // logits of order 1
        for (int i = 0; i < w.b1.length; i++) w.b1[i] = rnd.nextGaussian() * 0.3;
        for (int i = 0; i < w.b2.length; i++) w.b2[i] = rnd.nextGaussian() * 0.3;
        return w;
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.0, 1.3, 0.7})
    void backwardMatchesCentralDifferencesAtEveryCoordinate(double tau) {
        Random rnd = new Random(17 + (long) (tau * 100));
        Params w = randomParams(rnd);
        SparseParity.Data data = new SparseParity(N, 2, POINTS, 1).data(4L, (int) (tau * 10));
        float[] x = data.trainInputs();
        int[] y = data.trainLabels();
        Params g = new Params(N, H);
        double loss = ReferenceParityMlp.lossAndGradient(w, x, y, tau, g);
        assertEquals(loss, ReferenceParityMlp.lossAndGradient(w, x, y, tau, null), 0, "the loss does not depend on grad");

        double[][] wt = w.tensors(), gt = g.tensors();
        double worst = 0, worstAbs = 0;
        int checked = 0;
        for (int j = 0; j < wt.length; j++) {
            double gMax = 0;
            for (double v : gt[j]) gMax = Math.max(gMax, Math.abs(v));
            assertTrue(gMax > 1e-3, Params.NAMES[j] + " has a non-trivial gradient (" + gMax + ")");
            for (int i = 0; i < wt[j].length; i++) {
                double old = wt[j][i], step = 1e-5;
                wt[j][i] = old + step;
                double up = ReferenceParityMlp.lossAndGradient(w, x, y, tau, null);
                wt[j][i] = old - step;
                double down = ReferenceParityMlp.lossAndGradient(w, x, y, tau, null);
                wt[j][i] = old;
                double fd = (up - down) / (2 * step);
                // relative to the coordinate's own gradient, with a floor of 1e-4 of the tensor's largest
                double abs = Math.abs(fd - gt[j][i]);
                double err = abs / Math.max(Math.abs(gt[j][i]), 1e-4 * gMax);
                worst = Math.max(worst, err);
                worstAbs = Math.max(worstAbs, abs);
                checked++;
                // the difference quotient's rounding (≈ ulp(loss)/step ≈ 1e-11) dominates: measured ≤ 2.7e-11
                // absolute and ≤ 7.5e-8 relative; a wrong backward line is off by ~1e-3 or more
                assertTrue(abs < 1e-10 && err < 1e-6, Params.NAMES[j] + "[" + i + "] τ=" + tau + ": analytic " + gt[j][i]
                        + ", central difference " + fd + " (absolute error " + abs + ", relative " + err + ")");
            }
        }
        assertEquals(N * H + H + 2 * H + 2, checked, "every coordinate");
        System.out.printf("parity reference gradient vs central differences (τ=%.1f): %d coordinates, max error %.1e absolute, %.1e relative%n",
                tau, checked, worstAbs, worst);
    }

    @Test
    void initialisationIsSeededWithFanInScales() {
        int n = 30, h = 512;
        Params a = ReferenceParityMlp.init(5L, 2, n, h, 1e-6), b = ReferenceParityMlp.init(5L, 2, n, h, 1e-6);
        double[][] ta = a.tensors(), tb = b.tensors(), tc = ReferenceParityMlp.init(5L, 3, n, h, 1e-6).tensors();
        double[] expectedStd = {1 / Math.sqrt(n), 1e-6, 1 / Math.sqrt(h), 1e-6};
        for (int j = 0; j < ta.length; j++) {
            assertArrayEquals(ta[j], tb[j], 0, Params.NAMES[j] + ": same (key, seed)");
            assertNotEquals(ta[j][0], tc[j][0], Params.NAMES[j] + ": another seed");
            if (ta[j].length < 500) continue;
            double sq = 0;
            for (double v : ta[j]) sq += v * v;
            double std = Math.sqrt(sq / ta[j].length), tol = 5 * expectedStd[j] / Math.sqrt(2.0 * ta[j].length);
            assertEquals(expectedStd[j], std, tol, Params.NAMES[j] + " standard deviation");
        }
        for (double v : a.b1) assertTrue(Math.abs(v) < 1e-5, "b1 of order 1e-6: " + v);
        for (double[] t : a.tensors()) for (double v : t) assertEquals((double) (float) v, v, 0, "float32 values");
        // ‖W‖ at init ≈ √(nH/n + 2H/H) = √(H + 2)
        assertEquals(Math.sqrt(h + 2), a.weightNorm(), 0.1 * Math.sqrt(h + 2));
        // zero bias std (Paper B) gives zero biases
        for (double v : ReferenceParityMlp.init(5L, 2, 6, 8, 0).b1) assertEquals(0, v, 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weightDecayActsOnWeightMatricesOnly(boolean decayAfter) {
        Random rnd = new Random(3);
        Params w0 = randomParams(rnd);
        SparseParity.Data data = new SparseParity(N, 2, POINTS, 1).data(6L, 0);
        double lr = 1e-2, lambda = 0.5;
        Params free = w0.copy(), decayed = w0.copy(), grad = new Params(N, H);
        ReferenceParityMlp.trainStep(free, new Params(N, H), new Params(N, H), grad, data.trainInputs(), data.trainLabels(),
                new StepHyper(lr, 0, decayAfter, 1.0, Double.NaN, 1), 1);
        ReferenceParityMlp.trainStep(decayed, new Params(N, H), new Params(N, H), grad, data.trainInputs(), data.trainLabels(),
                new StepHyper(lr, lambda, decayAfter, 1.0, Double.NaN, 1), 1);
        double[][] f = free.tensors(), d = decayed.tensors(), o = w0.tensors();
        for (int j = 0; j < f.length; j++)
            for (int i = 0; i < f[j].length; i++) {
                // before: W(1 − lrλ) − u = (W − u) − lrλ·W; after: (W − u) − lrλ·(W − u)
                double expected = !Params.isWeightMatrix(j) ? f[j][i]
                        : decayAfter ? f[j][i] * (1 - lr * lambda) : f[j][i] - lr * lambda * o[j][i];
                assertEquals(expected, d[j][i], 1e-15, Params.NAMES[j] + "[" + i + "] decayAfter=" + decayAfter);
            }
        assertNotEquals(free.w1[0], decayed.w1[0], "W1 is decayed");
        assertEquals(free.b1[0], decayed.b1[0], 0, "b1 is not");
    }

    @Test
    void clampHoldsTheWeightNormFromItsStartStep() {
        SparseParity.Data data = new SparseParity(N, 2, POINTS, 1).data(8L, 1);
        Params w = ReferenceParityMlp.init(8L, 1, N, H, 0.1), free = w.copy();
        double target = 0.8 * w.weightNorm();
        int clampFrom = 3;
        StepHyper clamped = new StepHyper(1e-2, 1.0, false, 1.0, target, clampFrom);
        StepHyper unclamped = new StepHyper(1e-2, 1.0, false, 1.0, Double.NaN, clampFrom);
        Params m = new Params(N, H), v = new Params(N, H), g = new Params(N, H);
        Params mf = new Params(N, H), vf = new Params(N, H), gf = new Params(N, H);
        double worst = 0;
        for (int step = 1; step <= 20; step++) {
            Params before = w.copy();
            ReferenceParityMlp.trainStep(w, m, v, g, data.trainInputs(), data.trainLabels(), clamped, step);
            ReferenceParityMlp.trainStep(free, mf, vf, gf, data.trainInputs(), data.trainLabels(), unclamped, step);
            if (step < clampFrom) {
                for (int j = 0; j < 4; j++) assertArrayEquals(free.tensors()[j], w.tensors()[j], 0, "no clamp before step " + clampFrom);
                assertTrue(Math.abs(w.weightNorm() - target) > 1e-3 * target, "the free norm is not the target");
                continue;
            }
            worst = Math.max(worst, Math.abs(w.weightNorm() / target - 1));
            assertEquals(target, w.weightNorm(), 1e-12 * target, "‖W‖ after step " + step);
            if (step == clampFrom) {
                // the one step that started from the same state: weights are the free step's times one scalar, biases equal
                double f = target / free.weightNorm();
                for (int i = 0; i < w.w1.length; i++) assertEquals(free.w1[i] * f, w.w1[i], 1e-14, "W1 scaled by one scalar");
                for (int i = 0; i < w.w2.length; i++) assertEquals(free.w2[i] * f, w.w2[i], 1e-14, "W2 scaled by one scalar");
                assertArrayEquals(free.b1, w.b1, 0, "b1 untouched by the clamp");
                assertArrayEquals(free.b2, w.b2, 0, "b2 untouched by the clamp");
            }
            assertNotEquals(before.w1[0], w.w1[0], "the weights still move under the clamp");
        }
        System.out.printf("parity reference clamp: max |‖W‖/target − 1| over steps %d–20 = %.1e%n", clampFrom, worst);
    }

    @Test
    void shortAdamWRunMemorisesASmallTrainingSet() {
        int n = 6, h = 32;
        SparseParity.Data data = new SparseParity(n, 2, 64, 1).data(21L, 0);
        float[] x = data.trainInputs();
        int[] y = data.trainLabels();
        Params w = ReferenceParityMlp.init(21L, 0, n, h, 1e-6);
        Params m = new Params(n, h), v = new Params(n, h), g = new Params(n, h);
        double initialLoss = ReferenceParityMlp.lossAndGradient(w, x, y, 1.0, null);
        assertEquals(Math.log(2), initialLoss, 0.3, "loss at init near ln 2");
        StepHyper hp = new StepHyper(1e-3, 1.0, false, 1.0, Double.NaN, 1000);
        int memorised = -1;
        double loss = initialLoss;
        for (int step = 1; step <= 600 && memorised < 0; step++) {
            loss = ReferenceParityMlp.trainStep(w, m, v, g, x, y, hp, step);
            if (ReferenceParityMlp.accuracy(w, x, y) == 1.0) memorised = step;
        }
        System.out.printf("parity reference: 64 points of n=6, k=2, H=%d memorised after %d AdamW steps (loss %.4f → %.4f)%n",
                h, memorised, initialLoss, loss);
        assertTrue(memorised > 0, "training accuracy 1.0 within 600 steps; final loss " + loss);
        assertTrue(loss < initialLoss, "the loss fell");
    }
}
