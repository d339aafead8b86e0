package dev.normclock.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;

import dev.normclock.reference.ReferenceMlp.Params;

/**
 * The double reference's backward pass against central finite differences of its own loss, for a
 * random subset of coordinates of every tensor (biases included), with and without temperature.
 * (The engine's first-layer rewrite against the plain per-example gradient is checked in
 * MlpStepConformanceTest's float64 cases, to 1e-12 of each tensor's largest gradient.)
 */
class ReferenceMlpGradientTest {
    private static final int P = 7, D = 4, H = 6;

    static Params randomParams(int p, int d, int h, Random rnd, double biasStd) {
        Params w = new Params(p, d, h);
        for (int i = 0; i < w.e.length; i++) w.e[i] = rnd.nextGaussian() / Math.sqrt(d);
        for (int i = 0; i < w.w1.length; i++) w.w1[i] = rnd.nextGaussian() / Math.sqrt(2.0 * d);
        for (int i = 0; i < w.w2.length; i++) w.w2[i] = rnd.nextGaussian() * 3 / Math.sqrt(h); // logits of order 1–3
        for (int i = 0; i < w.b1.length; i++) w.b1[i] = rnd.nextGaussian() * biasStd;
        for (int i = 0; i < w.b2.length; i++) w.b2[i] = rnd.nextGaussian() * biasStd;
        return w;
    }

    static int[] randomPairs(int p, int n, Random rnd) {
        int[] all = new int[p * p];
        for (int i = 0; i < all.length; i++) all[i] = i;
        for (int i = all.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, n);
    }

    @ParameterizedTest(name = "τ={0} mse={1}")
    @org.junit.jupiter.params.provider.CsvSource({"1.0, false", "1.3, false", "0.7, false", "1.0, true", "1.3, true"})
    void backwardMatchesCentralDifferences(double tau, boolean mse) {
        Random rnd = new Random(11 + (long) (tau * 100));
        Params w = randomParams(P, D, H, rnd, 0.3);
        int[] pairs = randomPairs(P, 23, rnd);
        Params g = new Params(P, D, H);
        ReferenceMlp.lossAndGradient(w, pairs, tau, mse, g);

        double[][] wt = w.tensors(), gt = g.tensors();
        double worst = 0;
        int checked = 0;
        for (int j = 0; j < wt.length; j++) {
            double gMax = 0;
            for (double x : gt[j]) gMax = Math.max(gMax, Math.abs(x));
            assertTrue(gMax > 1e-4, Params.NAMES[j] + " has a non-trivial gradient (" + gMax + ")");
            int samples = Math.min(wt[j].length, 10);
            for (int s = 0; s < samples; s++) {
                int i = wt[j].length <= 10 ? s : rnd.nextInt(wt[j].length);
                double old = wt[j][i], step = 1e-5;
                wt[j][i] = old + step;
                double up = ReferenceMlp.lossAndGradient(w, pairs, tau, mse, null);
                wt[j][i] = old - step;
                double down = ReferenceMlp.lossAndGradient(w, pairs, tau, mse, null);
                wt[j][i] = old;
                double fd = (up - down) / (2 * step);
                // relative to the coordinate's own gradient, with a floor of 1e-4 of the tensor's largest
                double err = Math.abs(fd - gt[j][i]) / Math.max(Math.abs(gt[j][i]), 1e-4 * gMax);
                worst = Math.max(worst, err);
                checked++;
                assertTrue(err < 1e-6, Params.NAMES[j] + "[" + i + "] τ=" + tau + ": analytic " + gt[j][i] + ", central difference " + fd
                        + " (relative error " + err + ")");
            }
        }
        System.out.printf("reference gradient vs central differences (τ=%.1f, %s): %d coordinates, max relative error %.2e%n", tau,
                mse ? "squared error" : "cross-entropy", checked, worst);
    }
}
