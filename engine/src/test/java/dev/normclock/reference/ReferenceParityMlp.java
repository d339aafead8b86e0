package dev.normclock.reference;

import java.util.Arrays;

import dev.normclock.reference.ReferenceMlp.StepHyper;
import dev.normclock.rng.Purpose;
import dev.normclock.rng.RandomStream;

/**
 * The sparse-parity MLP (PROTOCOL §2) written the plain way, per example, in double precision, for
 * tests only: x ∈ {±1}ⁿ → pre = x·W1 + b1 → exact GELU → logits = act·W2 + b2 (2 classes), mean
 * cross-entropy of logits/τ. GELU, the AdamW step and the tensor helpers are {@link ReferenceMlp}'s.
 *
 * <p>All arrays are row-major without padding: W1 is n×H, b1 is H, W2 is H×2, b2 is 2. Inputs are
 * points × n row-major (as {@code dev.normclock.task.SparseParity} produces them), labels 0 or 1.
 * The weight norm ‖W‖ = √(‖W1‖² + ‖W2‖²); biases are excluded from it, from weight decay and from
 * the clamp.
 */
public final class ReferenceParityMlp {
    public static final int CLASSES = 2;

    private ReferenceParityMlp() {
    }

    /** One model's parameters (or gradients, or Adam moments) in double. */
    public static final class Params {
        public final int n, h;
        public final double[] w1, b1, w2, b2;

        public Params(int n, int h) {
            if (n < 1 || h < 1) throw new IllegalArgumentException("n and H must be at least 1, got " + n + ", " + h);
            this.n = n;
            this.h = h;
            w1 = new double[n * h];
            b1 = new double[h];
            w2 = new double[h * CLASSES];
            b2 = new double[CLASSES];
        }

        /** Tensors in the order W1, b1, W2, b2. */
        public double[][] tensors() {
            return new double[][]{w1, b1, w2, b2};
        }

        /** Whether tensor j (in {@link #tensors()} order) is a weight matrix (decayed, clamped, in ‖W‖). */
        public static boolean isWeightMatrix(int j) {
            return j == 0 || j == 2;
        }

        public static final String[] NAMES = {"W1", "b1", "W2", "b2"};

        public Params copy() {
            Params c = new Params(n, h);
            double[][] src = tensors(), dst = c.tensors();
            for (int j = 0; j < src.length; j++) System.arraycopy(src[j], 0, dst[j], 0, src[j].length);
            return c;
        }

        /** √(‖W1‖² + ‖W2‖²), biases excluded. */
        public double weightNorm() {
            return Math.sqrt(ReferenceMlp.sumSquares(w1) + ReferenceMlp.sumSquares(w2));
        }
    }

    /**
     * Initial weights of one seed: W1 ~ N(0, 1/n), W2 ~ N(0, 1/H), biases ~ N(0, biasStd²) (Paper A:
     * 1e-6; Paper B: 0). Drawn from (baseKey, seed, {@link Purpose#INIT}) with one sub-stream per
     * tensor in {@link Params#tensors()} order (0 W1, 1 b1, 2 W2, 3 b2), each value rounded to float
     * as a float32 model stores it, so a float model drawn the same way starts from the same values.
     */
    public static Params init(long baseKey, int seed, int n, int h, double biasStd) {
        Params w = new Params(n, h);
        double[] std = {1 / Math.sqrt(n), biasStd, 1 / Math.sqrt(h), biasStd};
        double[][] t = w.tensors();
        for (int j = 0; j < t.length; j++) {
            RandomStream rng = RandomStream.of(baseKey, seed, Purpose.INIT, j);
            for (int i = 0; i < t[j].length; i++) t[j][i] = (float) (rng.nextGaussian() * std[j]);
        }
        return w;
    }

    private static int count(Params w, float[] inputs, int[] labels) {
        if (inputs.length != labels.length * w.n)
            throw new IllegalArgumentException(inputs.length + " input entries for " + labels.length + " labels of n = " + w.n);
        return labels.length;
    }

    /** pre = x_i·W1 + b1 for row i, and act = GELU(pre). */
    private static void hidden(Params w, float[] inputs, int i, double[] pre, double[] act) {
        int n = w.n, h = w.h;
        for (int j = 0; j < h; j++) {
            double s = w.b1[j];
            for (int k = 0; k < n; k++) s += inputs[i * n + k] * w.w1[k * h + j];
            pre[j] = s;
            act[j] = ReferenceMlp.gelu(s);
        }
    }

    private static void output(Params w, double[] act, double[] z) {
        for (int c = 0; c < CLASSES; c++) {
            double s = w.b2[c];
            for (int j = 0; j < w.h; j++) s += act[j] * w.w2[j * CLASSES + c];
            z[c] = s;
        }
    }

    /** The logits (points × 2, before the temperature) of every row of {@code inputs}. */
    public static double[] logits(Params w, float[] inputs) {
        int rows = inputs.length / w.n;
        double[] pre = new double[w.h], act = new double[w.h], z = new double[CLASSES], out = new double[rows * CLASSES];
        for (int i = 0; i < rows; i++) {
            hidden(w, inputs, i, pre, act);
            output(w, act, z);
            System.arraycopy(z, 0, out, i * CLASSES, CLASSES);
        }
        return out;
    }

    /**
     * Mean cross-entropy of logits/τ over the points and, when {@code grad} is not null, its
     * gradient with respect to every parameter (overwritten).
     */
    public static double lossAndGradient(Params w, float[] inputs, int[] labels, double tau, Params grad) {
        return lossAndGradient(w, inputs, labels, tau, false, grad);
    }

    /**
     * The mean loss over the points — cross-entropy of z/τ, or with {@code mse} Paper B's squared
     * error Σ_c (z_c/τ − onehot_c)² — and, when {@code grad} is not null, its gradient (overwritten).
     */
    public static double lossAndGradient(Params w, float[] inputs, int[] labels, double tau, boolean mse, Params grad) {
        return lossAndGradient(w, inputs, labels, tau, mse, grad, false);
    }

    /**
     * The magnitude of each gradient entry as a sum: Σ over points (and classes) of the absolute
     * values of the terms whose sum {@link #lossAndGradient} forms (|dz|, |act·dz|, |x·dPre| with
     * |dPre| = Σ_c |W2·dz|·|GELU'|). Float rounding of a sum is bounded relative to it, so it is
     * the natural scale of the tolerance for entries that are small because their terms cancel
     * (with two classes, db2 = Σ (softmax − onehot)/m is such a sum).
     */
    public static Params gradientMagnitude(Params w, float[] inputs, int[] labels, double tau, boolean mse) {
        Params out = new Params(w.n, w.h);
        lossAndGradient(w, inputs, labels, tau, mse, out, true);
        return out;
    }

    private static double lossAndGradient(Params w, float[] inputs, int[] labels, double tau, boolean mse, Params grad,
                                          boolean magnitude) {
        int n = w.n, h = w.h, rows = count(w, inputs, labels);
        if (grad != null) for (double[] t : grad.tensors()) Arrays.fill(t, 0);
        double[] pre = new double[h], act = new double[h], z = new double[CLASSES], dz = new double[CLASSES];
        double total = 0;
        for (int i = 0; i < rows; i++) {
            int y = labels[i];
            hidden(w, inputs, i, pre, act);
            output(w, act, z);
            if (mse) {
                for (int c = 0; c < CLASSES; c++) {
                    double r = z[c] / tau - (c == y ? 1 : 0);
                    total += r * r;
                    dz[c] = 2 * r / tau / rows;
                }
            } else {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < CLASSES; c++) max = Math.max(max, z[c] / tau);
                double sum = 0;
                for (int c = 0; c < CLASSES; c++) sum += Math.exp(z[c] / tau - max);
                total += Math.log(sum) + max - z[y] / tau;
                for (int c = 0; c < CLASSES; c++) dz[c] = (Math.exp(z[c] / tau - max) / sum - (c == y ? 1 : 0)) / tau / rows;
            }
            if (grad == null) continue;

            if (magnitude) {
                for (int c = 0; c < CLASSES; c++) dz[c] = Math.abs(dz[c]);
                for (int c = 0; c < CLASSES; c++) grad.b2[c] += dz[c];
                for (int j = 0; j < h; j++) {
                    double s = 0;
                    for (int c = 0; c < CLASSES; c++) {
                        grad.w2[j * CLASSES + c] += Math.abs(act[j]) * dz[c];
                        s += Math.abs(w.w2[j * CLASSES + c]) * dz[c];
                    }
                    double dPre = s * Math.abs(ReferenceMlp.geluDerivative(pre[j]));
                    grad.b1[j] += dPre;
                    for (int k = 0; k < n; k++) grad.w1[k * h + j] += Math.abs(inputs[i * n + k]) * dPre;
                }
                continue;
            }
            for (int c = 0; c < CLASSES; c++) grad.b2[c] += dz[c];
            for (int j = 0; j < h; j++) {
                double s = 0;
                for (int c = 0; c < CLASSES; c++) {
                    grad.w2[j * CLASSES + c] += act[j] * dz[c];
                    s += w.w2[j * CLASSES + c] * dz[c];
                }
                double dPre = s * ReferenceMlp.geluDerivative(pre[j]);
                grad.b1[j] += dPre;
                for (int k = 0; k < n; k++) grad.w1[k * h + j] += inputs[i * n + k] * dPre;
            }
        }
        return total / rows;
    }

    /** Paper B's logit scale: the mean over the points of ‖z/τ‖₂ (z including b2). */
    public static double logitScale(Params w, float[] inputs, double tau) {
        int rows = inputs.length / w.n;
        double[] z = logits(w, inputs);
        double total = 0;
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int c = 0; c < CLASSES; c++) ss += (z[i * CLASSES + c] / tau) * (z[i * CLASSES + c] / tau);
            total += Math.sqrt(ss);
        }
        return total / rows;
    }

    /** Share of the points whose first largest logit is the label. */
    public static double accuracy(Params w, float[] inputs, int[] labels) {
        int rows = count(w, inputs, labels), ok = 0;
        double[] z = logits(w, inputs);
        for (int i = 0; i < rows; i++) {
            int best = z[i * CLASSES + 1] > z[i * CLASSES] ? 1 : 0;
            if (best == labels[i]) ok++;
        }
        return (double) ok / rows;
    }

    /**
     * One full-batch AdamW step (1-based {@code step}): {@link ReferenceMlp#adamW} on every tensor,
     * weight decay on W1 and W2 only, before the Adam update (Paper A) or after it when
     * {@code hp.decayAfter()} (Paper B); the loss is cross-entropy, or squared error when
     * {@code hp.mse()}; then the clamp when {@code step ≥ hp.clampFrom()} and the target is not NaN:
     * of ‖W‖ when {@code hp.clampGroup() < 0}, else of the one weight matrix with that index in
     * {@link Params#tensors()} order (0 = W1, 2 = W2). Returns the loss before the update;
     * {@code grad} receives the gradient at the weights before the update.
     */
    public static double trainStep(Params w, Params m, Params v, Params grad, float[] inputs, int[] labels,
                                   StepHyper hp, int step) {
        double loss = lossAndGradient(w, inputs, labels, hp.temperature(), hp.mse(), grad);
        double[][] wt = w.tensors(), gt = grad.tensors(), mt = m.tensors(), vt = v.tensors();
        for (int j = 0; j < wt.length; j++)
            ReferenceMlp.adamW(wt[j], gt[j], mt[j], vt[j], hp.lr(), hp.weightDecay(), Params.isWeightMatrix(j),
                    hp.decayAfter(), step);
        if (!Double.isNaN(hp.clampTarget()) && step >= hp.clampFrom()) {
            int g = hp.clampGroup();
            if (g < 0) clamp(w, hp.clampTarget());
            else {
                if (!Params.isWeightMatrix(g)) throw new IllegalArgumentException("clamp group " + g + " is not a weight matrix");
                double[] t = wt[g];
                ReferenceMlp.scale(t, hp.clampTarget() / Math.sqrt(ReferenceMlp.sumSquares(t)));
            }
        }
        return loss;
    }

    /** Scales W1 and W2 by the one scalar target/‖W‖ (biases untouched). */
    public static void clamp(Params w, double target) {
        double f = target / w.weightNorm();
        ReferenceMlp.scale(w.w1, f);
        ReferenceMlp.scale(w.w2, f);
    }
}
