package dev.normclock.model;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.LossTotals;
import dev.normclock.backend.Tensor;

/**
 * A population's models may mix losses — cross-entropy, or Paper B's squared error where a model
 * asks for it —: one backend call per kind, each over the models that use it.
 */
final class LossKinds {
    private LossKinds() {
    }

    /** The listed slots split by their loss: {cross-entropy slots, squared-error slots}, each ascending. */
    static int[][] split(int[] group, Hyper hyper) {
        int mse = 0;
        for (int m : group) if (hyper.squaredError[m]) mse++;
        if (mse == 0) return new int[][]{group, new int[0]};
        int[] sq = new int[mse], ce = new int[group.length - mse];
        int a = 0, b = 0;
        for (int m : group) {
            if (hyper.squaredError[m]) sq[a++] = m;
            else ce[b++] = m;
        }
        return new int[][]{ce, sq};
    }

    /**
     * The labels (a + b) mod p of the listed models' pairs: {@code trainLabels} (made once, when the
     * slots were assigned) where the pairs are the training pairs, so a step does not make them again.
     */
    static int[][] sumLabels(int[][] pairs, int p, int[] group, int[][] trainPairs, int[][] trainLabels) {
        return pairs == trainPairs ? trainLabels : Backend.sumLabels(pairs, p, group);
    }

    /** Each model's loss, rows added to {@code totals} (see {@link Backend#loss}). */
    static void loss(Backend be, Tensor logits, Tensor bias, int[][] labels, Hyper hyper, double[] gradScale, LossTotals totals, int step,
                     int[] group) {
        be.loss(logits, bias, labels, hyper.squaredError, hyper.temperature, gradScale, totals, step, group);
    }

    /** The share of model m's rows whose cross-entropy was exactly 0; NaN under the squared error, which has no such rows. */
    static double collapse(LossTotals totals, int m, boolean[] squaredError) {
        return squaredError != null && squaredError[m] ? Double.NaN : totals.collapsedShare(m);
    }
}
