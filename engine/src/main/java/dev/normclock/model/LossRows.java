package dev.normclock.model;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;

/**
 * What the loss kernels return per row — loss, whether the prediction is right, ‖z/τ‖ — for a
 * population whose workspace holds {@code groupSize} models at a time: slot m writes row m mod
 * groupSize, which the slots of one workspace group never share. For the training rows it also
 * tallies each model's mean loss, accuracy, logit scale and softmax-collapsed share.
 */
final class LossRows {
    final float[][] loss, scale;
    final boolean[][] correct;
    /** Per model, from the last {@link #tally}: mean ‖z/τ‖ over the rows, and the share with loss exactly 0 (NaN under MSE). */
    final double[] meanScale, collapse;

    LossRows(int models, int groupSize, int rows) {
        loss = new float[models][];
        scale = new float[models][];
        correct = new boolean[models][];
        float[][] l = new float[groupSize][rows], s = new float[groupSize][rows];
        boolean[][] c = new boolean[groupSize][rows];
        for (int m = 0; m < models; m++) {
            loss[m] = l[m % groupSize];
            scale[m] = s[m % groupSize];
            correct[m] = c[m % groupSize];
        }
        meanScale = new double[models];
        collapse = new double[models];
    }

    /**
     * Each listed model's mean loss and accuracy over its first {@code n} rows into the outputs, and
     * its logit scale and collapsed share into {@link #meanScale} and {@link #collapse}. A row whose
     * cross-entropy is exactly 0 has softmax probability exactly 1 on its label in float32.
     */
    void tally(int[] group, Hyper hyper, int n, double[] lossOut, double[] accOut) {
        for (int m : group) {
            double sum = 0, norm = 0;
            int ok = 0, collapsed = 0;
            float[] l = loss[m], s = scale[m];
            boolean[] c = correct[m];
            for (int i = 0; i < n; i++) {
                sum += l[i];
                norm += s[i];
                if (c[i]) ok++;
                if (l[i] == 0f) collapsed++;
            }
            lossOut[m] = sum / n;
            accOut[m] = (double) ok / n;
            meanScale[m] = norm / n;
            collapse[m] = hyper.squaredError[m] ? Double.NaN : (double) collapsed / n;
        }
    }

    /**
     * The loss of each listed model on its rows — cross-entropy, or squared error where the model
     * asks for it — labels (a + b) mod p of the pairs; gradients as {@link Backend#crossEntropy} says.
     */
    void compute(Backend be, Tensor logits, Tensor bias, int[][] pairs, int p, Hyper hyper, double[] gradScale, int[] group) {
        int[][] split = byLoss(group, hyper);
        if (split[0].length > 0) be.crossEntropy(logits, bias, pairs, p, hyper.temperature, gradScale, loss, correct, scale, split[0]);
        if (split[1].length > 0) be.squaredError(logits, bias, pairs, p, hyper.temperature, gradScale, loss, correct, scale, split[1]);
    }

    /** As {@link #compute(Backend, Tensor, Tensor, int[][], int, Hyper, float[], int[])} with explicit labels. */
    void computeLabels(Backend be, Tensor logits, Tensor bias, int[][] labels, Hyper hyper, double[] gradScale, int[] group) {
        int[][] split = byLoss(group, hyper);
        if (split[0].length > 0) be.crossEntropy(logits, bias, labels, hyper.temperature, gradScale, loss, correct, scale, split[0]);
        if (split[1].length > 0) be.squaredError(logits, bias, labels, hyper.temperature, gradScale, loss, correct, scale, split[1]);
    }

    /** The listed slots split by their loss: {cross-entropy slots, squared-error slots}, each ascending. */
    static int[][] byLoss(int[] group, Hyper hyper) {
        int mse = 0;
        for (int m : group) if (hyper.squaredError[m]) mse++;
        int[] sq = new int[mse], ce = new int[group.length - mse];
        int a = 0, b = 0;
        for (int m : group) {
            if (hyper.squaredError[m]) sq[a++] = m;
            else ce[b++] = m;
        }
        return new int[][]{ce, sq};
    }
}
