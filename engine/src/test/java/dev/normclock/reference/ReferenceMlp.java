package dev.normclock.reference;

import java.util.Arrays;

/**
 * The papers' MLP written the plain way, in double precision, for tests only, with the exact GELU
 * (erf, erfc, Φ) and the AdamW step that the whole-model references share. Nothing here is fast or
 * clever on purpose: the model is computed per example as the papers write it (x = [E[a], E[b]],
 * pre = x·W1 + b1, GELU, logits = act·W2 + b2, mean cross-entropy of logits/τ), not with the
 * engine's first-layer rewrite, so that comparing the engine with it checks the rewrite as well as
 * the kernels.
 *
 * <p>All arrays are row-major without padding: E is p×d, W1 is 2d×H, b1 is H, W2 is H×p, b2 is p.
 * A pair is encoded as a·p + b and its label is (a + b) mod p.
 */
public final class ReferenceMlp {
    public static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    private static final double SQRT_PI = Math.sqrt(Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2 / SQRT_PI;
    private static final double INV_SQRT2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private ReferenceMlp() {
    }

    // ------------------------------------------------------------------------------------------
    // erf, erfc, Φ, GELU
    // ------------------------------------------------------------------------------------------

    /** erf(x) to about 1e-15 relative. */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2) return erfSeries(x);
        double r = 1 - erfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /**
     * erfc(x) = 1 − erf(x), relatively accurate for every x including the far right tail: measured
     * ≤ 5e-14 relative (the continued fraction at x = 2 is the worst point), ~1e-16 elsewhere.
     */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x >= 2) return erfcContinuedFraction(x);
        if (x > -2) return 1 - erfSeries(x);            // erfc ≥ erfc(2) ≈ 4.7e-3: no harmful cancellation
        return 2 - erfcContinuedFraction(-x);
    }

    /**
     * erf(x) = (2/√π)·e^{−x²}·Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1)): every term has the sign of x,
     * so there is no cancellation (unlike the alternating Taylor series).
     */
    private static double erfSeries(double x) {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 500; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    }

    /**
     * erfc(x) for x ≥ 2 by the continued fraction erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x +
     * (3/2)/(x + …)))), evaluated with the modified Lentz method.
     */
    private static double erfcContinuedFraction(double x) {
        final double tiny = 1e-300;
        double f = x, c = x, dd = 0;
        for (int n = 1; n < 10_000; n++) {
            double an = n / 2.0;
            dd = x + an * dd;
            if (dd == 0) dd = tiny;
            c = x + an / c;
            if (c == 0) c = tiny;
            dd = 1 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / (SQRT_PI * f);
    }

    /** The standard normal CDF Φ(x) = erfc(−x/√2)/2, accurate in relative terms in both tails. */
    public static double normalCdf(double x) {
        return 0.5 * erfc(-x * INV_SQRT2);
    }

    /** The standard normal density φ(x). */
    public static double normalPdf(double x) {
        return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    /** Exact GELU, x·Φ(x). */
    public static double gelu(double x) {
        return x * normalCdf(x);
    }

    /** GELU'(x) = Φ(x) + x·φ(x). */
    public static double geluDerivative(double x) {
        return normalCdf(x) + x * normalPdf(x);
    }

    // ------------------------------------------------------------------------------------------
    // The model, plain per-example algorithm
    // ------------------------------------------------------------------------------------------

    /** One model's parameters (or gradients, or Adam moments) in double. */
    public static final class Params {
        public final int p, d, h;
        public final double[] e, w1, b1, w2, b2;

        public Params(int p, int d, int h) {
            this.p = p;
            this.d = d;
            this.h = h;
            e = new double[p * d];
            w1 = new double[2 * d * h];
            b1 = new double[h];
            w2 = new double[h * p];
            b2 = new double[p];
        }

        /** Tensors in the engine's order: E, W1, b1, W2, b2. */
        public double[][] tensors() {
            return new double[][]{e, w1, b1, w2, b2};
        }

        /** Whether tensor j (in {@link #tensors()} order) is a weight matrix (decayed and clamped). */
        public static boolean isWeightMatrix(int j) {
            return j == 0 || j == 1 || j == 3;
        }

        public static final String[] NAMES = {"E", "W1", "b1", "W2", "b2"};

        public Params copy() {
            Params c = new Params(p, d, h);
            double[][] src = tensors(), dst = c.tensors();
            for (int j = 0; j < src.length; j++) System.arraycopy(src[j], 0, dst[j], 0, src[j].length);
            return c;
        }

        /** √(‖E‖² + ‖W1‖² + ‖W2‖²), biases excluded. */
        public double weightNorm() {
            return Math.sqrt(sumSquares(e) + sumSquares(w1) + sumSquares(w2));
        }
    }

    public static int label(int pair, int p) {
        return (pair / p + pair % p) % p;
    }

    /**
     * Mean cross-entropy of logits/τ over the given pairs and, when {@code grad} is not null, its
     * gradient with respect to every parameter (overwritten).
     */
    public static double lossAndGradient(Params w, int[] pairs, double tau, Params grad) {
        return lossAndGradient(w, pairs, tau, false, grad);
    }

    /**
     * The mean loss over the pairs — cross-entropy of z/τ, or with {@code mse} Paper B's squared
     * error Σ_c (z_c/τ − onehot_c)² — and, when {@code grad} is not null, its gradient.
     */
    public static double lossAndGradient(Params w, int[] pairs, double tau, boolean mse, Params grad) {
        int p = w.p, d = w.d, h = w.h, n = pairs.length;
        if (grad != null) for (double[] t : grad.tensors()) Arrays.fill(t, 0);
        double[] x = new double[2 * d], pre = new double[h], act = new double[h], z = new double[p];
        double[] dz = new double[p], dAct = new double[h], dPre = new double[h], dx = new double[2 * d];
        double total = 0;
        for (int pair : pairs) {
            int a = pair / p, b = pair % p, y = label(pair, p);
            System.arraycopy(w.e, a * d, x, 0, d);
            System.arraycopy(w.e, b * d, x, d, d);
            for (int j = 0; j < h; j++) {
                double s = w.b1[j];
                for (int k = 0; k < 2 * d; k++) s += x[k] * w.w1[k * h + j];
                pre[j] = s;
                act[j] = gelu(s);
            }
            for (int c = 0; c < p; c++) {
                double s = w.b2[c];
                for (int j = 0; j < h; j++) s += act[j] * w.w2[j * p + c];
                z[c] = s;
            }
            if (mse) {
                for (int c = 0; c < p; c++) {
                    double r = z[c] / tau - (c == y ? 1 : 0);
                    total += r * r;
                    dz[c] = 2 * r / tau / n;
                }
            } else {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < p; c++) max = Math.max(max, z[c] / tau);
                double sum = 0;
                for (int c = 0; c < p; c++) sum += Math.exp(z[c] / tau - max);
                total += Math.log(sum) + max - z[y] / tau;
                for (int c = 0; c < p; c++) dz[c] = (Math.exp(z[c] / tau - max) / sum - (c == y ? 1 : 0)) / tau / n;
            }
            if (grad == null) continue;

            for (int c = 0; c < p; c++) grad.b2[c] += dz[c];
            for (int j = 0; j < h; j++) {
                double s = 0;
                for (int c = 0; c < p; c++) {
                    grad.w2[j * p + c] += act[j] * dz[c];
                    s += w.w2[j * p + c] * dz[c];
                }
                dAct[j] = s;
                dPre[j] = s * geluDerivative(pre[j]);
                grad.b1[j] += dPre[j];
            }
            for (int k = 0; k < 2 * d; k++) {
                double s = 0;
                for (int j = 0; j < h; j++) {
                    grad.w1[k * h + j] += x[k] * dPre[j];
                    s += w.w1[k * h + j] * dPre[j];
                }
                dx[k] = s;
            }
            for (int k = 0; k < d; k++) {
                grad.e[a * d + k] += dx[k];
                grad.e[b * d + k] += dx[d + k];
            }
        }
        return total / n;
    }

    /** Paper B's logit scale: the mean over the pairs of ‖z/τ‖₂ (z including b2). */
    public static double logitScale(Params w, int[] pairs, double tau) {
        int p = w.p, d = w.d, h = w.h;
        double[] act = new double[h];
        double total = 0;
        for (int pair : pairs) {
            int a = pair / p, b = pair % p;
            for (int j = 0; j < h; j++) {
                double s = w.b1[j];
                for (int k = 0; k < d; k++) s += w.e[a * d + k] * w.w1[k * h + j] + w.e[b * d + k] * w.w1[(d + k) * h + j];
                act[j] = gelu(s);
            }
            double ss = 0;
            for (int c = 0; c < p; c++) {
                double z = w.b2[c];
                for (int j = 0; j < h; j++) z += act[j] * w.w2[j * p + c];
                ss += (z / tau) * (z / tau);
            }
            total += Math.sqrt(ss);
        }
        return total / pairs.length;
    }

    /** Share of the pairs whose first largest logit is the label. */
    public static double accuracy(Params w, int[] pairs) {
        int p = w.p, d = w.d, h = w.h, ok = 0;
        double[] act = new double[h];
        for (int pair : pairs) {
            int a = pair / p, b = pair % p;
            for (int j = 0; j < h; j++) {
                double s = w.b1[j];
                for (int k = 0; k < d; k++) s += w.e[a * d + k] * w.w1[k * h + j] + w.e[b * d + k] * w.w1[(d + k) * h + j];
                act[j] = gelu(s);
            }
            int best = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < p; c++) {
                double s = w.b2[c];
                for (int j = 0; j < h; j++) s += act[j] * w.w2[j * p + c];
                if (s > max) {
                    max = s;
                    best = c;
                }
            }
            if (best == label(pair, p)) ok++;
        }
        return (double) ok / pairs.length;
    }

    /**
     * Hyperparameters of one model for {@link #trainStep}. {@code clampGroup}: −1 clamps ‖W‖ (E, W1,
     * W2 together), else the index of the one weight matrix (in {@link Params#tensors()} order) whose
     * own norm is held, the others free.
     */
    public record StepHyper(double lr, double weightDecay, boolean decayAfter, double temperature,
                            double clampTarget, int clampFrom, boolean mse, int clampGroup) {
        public StepHyper(double lr, double weightDecay, boolean decayAfter, double temperature, double clampTarget, int clampFrom) {
            this(lr, weightDecay, decayAfter, temperature, clampTarget, clampFrom, false, -1);
        }
    }

    /**
     * One full-batch AdamW step (1-based {@code step}) of the plain model, then the clamp when
     * {@code step ≥ clampFrom} and the target is not NaN. Returns the loss before the update.
     * {@code grad} receives the gradient (at the weights before the update).
     */
    public static double trainStep(Params w, Params m, Params v, Params grad, int[] pairs, StepHyper hp, int step) {
        double loss = lossAndGradient(w, pairs, hp.temperature(), hp.mse(), grad);
        double[][] wt = w.tensors(), gt = grad.tensors(), mt = m.tensors(), vt = v.tensors();
        for (int j = 0; j < wt.length; j++)
            adamW(wt[j], gt[j], mt[j], vt[j], hp.lr(), hp.weightDecay(), Params.isWeightMatrix(j), hp.decayAfter(), step);
        if (!Double.isNaN(hp.clampTarget()) && step >= hp.clampFrom()) {
            if (hp.clampGroup() < 0) clamp(w, hp.clampTarget());
            else {
                double[] t = w.tensors()[hp.clampGroup()];
                scale(t, hp.clampTarget() / Math.sqrt(sumSquares(t)));
            }
        }
        return loss;
    }

    /** Scales E, W1, W2 by target/‖W‖. */
    public static void clamp(Params w, double target) {
        double f = target / w.weightNorm();
        scale(w.e, f);
        scale(w.w1, f);
        scale(w.w2, f);
    }

    // ------------------------------------------------------------------------------------------
    // The optimiser and norms of the whole-model references (this one, ReferenceAttention,
    // ReferenceParityMlp). The primitives themselves are checked against the float64 backend by
    // the conformance suite (dev.normclock.backend.conformance).
    // ------------------------------------------------------------------------------------------

    /**
     * One AdamW step of one tensor in place (β1 0.9, β2 0.999, ε 1e-8, bias correction with the
     * 1-based step). When {@code decayed}: W ← W·(1 − lr·λ) before the Adam update, or W ← W − lr·λ·W
     * after it when {@code decayAfter}. Returns the squared Frobenius norm after the step.
     */
    public static double adamW(double[] w, double[] g, double[] m, double[] v, double lr, double weightDecay,
                               boolean decayed, boolean decayAfter, int step) {
        double bc1 = 1 - Math.pow(BETA1, step), bc2 = 1 - Math.pow(BETA2, step);
        boolean decay = decayed && weightDecay != 0;
        for (int i = 0; i < w.length; i++) {
            double x = w[i];
            if (decay && !decayAfter) x *= 1 - lr * weightDecay;
            m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
            x -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + EPS);
            if (decay && decayAfter) x -= lr * weightDecay * x;
            w[i] = x;
        }
        return sumSquares(w);
    }

    public static void scale(double[] t, double factor) {
        for (int i = 0; i < t.length; i++) t[i] *= factor;
    }

    public static double sumSquares(double[] t) {
        double s = 0;
        for (double x : t) s += x * x;
        return s;
    }
}
