package dev.normclock.reference;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The papers' one-layer attention model ("un-normalised transformer", PROTOCOL §2) written the plain
 * way, per example, in double precision, for tests only: the reference a fast kernel is checked
 * against. Nothing is batched, fused or rewritten.
 *
 * <p>The model, for a pair (a, b) with label (a + b) mod p; tokens [a, b, =] with "=" the token id p
 * (vocabulary p + 1); t = 0, 1, 2 below (the papers' positions 1..3):
 * <pre>
 *   x_t  = E[tok_t] + pos[t]                                  (d)
 *   n_t  = LN(x_t)  or x_t                                     (LayerNorm control: non-affine, eps 1e-5)
 *   q    = n_2·Wq,  k_t = n_t·Wk,  v_t = n_t·Wv               (only the last position queries)
 *   head h (columns h·dh .. h·dh + dh − 1, dh = d / heads):
 *     s_t = q_h·k_{t,h} / √dh,  α = softmax over t of s,  o_h = Σ_t α_t·v_{t,h}
 *   r1   = x_2 + o·Wo                                          (residual on the UN-normalised x_2)
 *   r2   = r1 + GELU(LN(r1)·Win)·Wout                          (LN(r1) or r1; exact GELU)
 *   z    = LN(r2)·U                                            (LN(r2) or r2; p + 1 logits)
 *   loss = mean over examples of  ln Σ_c exp(z_c/τ) − z_y/τ
 * </pre>
 * No biases anywhere. LN(x) = (x − mean)/√(var + eps), var the biased variance.
 *
 * <p>Tensors, row-major without padding, in the fixed order of {@link Params#tensors()}: E (p+1)×d,
 * pos 3×d, Wq d×d, Wk d×d, Wv d×d, Wo d×d, Win d×m, Wout m×d, U d×(p+1). Every tensor is a "weight":
 * it is decayed, it counts in ‖W‖ and the clamp scales it (PROTOCOL §3, attention model: every
 * parameter). A pair is encoded a·p + b, as in {@link ReferenceMlp}. The optimiser is
 * {@link ReferenceMlp#adamW} applied to every tensor.
 */
public final class ReferenceAttention {
    /** The LayerNorm epsilon of the papers' LayerNorm control. */
    public static final double LN_EPS = 1e-5;

    private ReferenceAttention() {
    }

    // ------------------------------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------------------------------

    /** One model's parameters (or gradients, or Adam moments) in double. */
    public static final class Params {
        /** Modulus (vocabulary p + 1, p + 1 classes), model width, MLP width. */
        public final int p, d, mlp;
        public final double[] e, pos, wq, wk, wv, wo, win, wout, u;

        /** Tensor names in {@link #tensors()} order. */
        public static final String[] NAMES = {"E", "pos", "Wq", "Wk", "Wv", "Wo", "Win", "Wout", "U"};
        /** The group of each tensor, in {@link #tensors()} order. */
        public static final String[] GROUPS = {"embed", "embed", "attn", "attn", "attn", "attn", "mlp", "mlp", "unembed"};
        /** The groups, in the order their first tensor appears. */
        public static final String[] GROUP_NAMES = {"embed", "attn", "mlp", "unembed"};

        /** All-zero tensors of the given sizes. */
        public Params(int p, int d, int mlp) {
            if (p < 2 || d < 1 || mlp < 1) throw new IllegalArgumentException("p=" + p + " d=" + d + " mlp=" + mlp);
            this.p = p;
            this.d = d;
            this.mlp = mlp;
            e = new double[(p + 1) * d];
            pos = new double[3 * d];
            wq = new double[d * d];
            wk = new double[d * d];
            wv = new double[d * d];
            wo = new double[d * d];
            win = new double[d * mlp];
            wout = new double[mlp * d];
            u = new double[d * (p + 1)];
        }

        /** Tensors in the fixed order E, pos, Wq, Wk, Wv, Wo, Win, Wout, U (the arrays themselves). */
        public double[][] tensors() {
            return new double[][]{e, pos, wq, wk, wv, wo, win, wout, u};
        }

        public Params copy() {
            Params c = new Params(p, d, mlp);
            double[][] src = tensors(), dst = c.tensors();
            for (int j = 0; j < src.length; j++) System.arraycopy(src[j], 0, dst[j], 0, src[j].length);
            return c;
        }

        /** ‖W‖ = √(Σ over every tensor of ‖·‖_F²). */
        public double weightNorm() {
            double s = 0;
            for (double[] t : tensors()) s += ReferenceMlp.sumSquares(t);
            return Math.sqrt(s);
        }

        /** √(Σ ‖·‖_F²) over the tensors of one group: embed, attn, mlp or unembed. */
        public double groupNorm(String group) {
            checkGroup(group);
            double s = 0;
            double[][] t = tensors();
            for (int j = 0; j < t.length; j++) if (GROUPS[j].equals(group)) s += ReferenceMlp.sumSquares(t[j]);
            return Math.sqrt(s);
        }

        static void checkGroup(String group) {
            if (!Arrays.asList(GROUP_NAMES).contains(group)) throw new IllegalArgumentException("unknown group " + group);
        }
    }

    /**
     * The papers' init: E, Wq, Wk, Wv, Wo, Win, U ~ N(0, 1/d), Wout ~ N(0, 1/m) (N(0, 1/fan_in)),
     * pos ~ N(0, (0.1/√d)²). Drawn in tensor order from one {@link SplittableRandom} seeded with
     * {@code seed}: reproducible by seed, not the engine's stream.
     */
    public static Params init(int p, int d, int heads, int mlp, long seed) {
        checkHeads(d, heads);
        Params w = new Params(p, d, mlp);
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] t = w.tensors();
        for (int j = 0; j < t.length; j++) {
            double std = switch (Params.NAMES[j]) {
                case "pos" -> 0.1 / Math.sqrt(d);
                case "Wout" -> 1 / Math.sqrt(mlp);
                default -> 1 / Math.sqrt(d);
            };
            for (int i = 0; i < t[j].length; i++) t[j][i] = std * rnd.nextGaussian();
        }
        return w;
    }

    private static void checkHeads(int d, int heads) {
        if (heads < 1 || d % heads != 0) throw new IllegalArgumentException("d=" + d + " is not divisible into " + heads + " heads");
    }

    public static int label(int pair, int p) {
        return ReferenceMlp.label(pair, p);
    }

    // ------------------------------------------------------------------------------------------
    // Forward, one example
    // ------------------------------------------------------------------------------------------

    /**
     * Every intermediate of one example's forward pass. Per-position arrays are 3×d row-major
     * (position t at t·d). When LayerNorm is off, n = x, r1n = r1, r2n = r2 (same values) and the
     * rstd arrays are 1.
     *
     * @param x    E[tok_t] + pos[t]
     * @param n    the attention input LN(x_t) (or x_t)
     * @param rstdX 1/√(var + eps) of each x_t
     * @param q    n_2·Wq (d)
     * @param k    n_t·Wk (3×d)
     * @param v    n_t·Wv (3×d)
     * @param att  softmax weights, heads×3 (head h at h·3)
     * @param o    concatenated head outputs (d)
     * @param r1   x_2 + o·Wo
     * @param r1n  LN(r1) (or r1)
     * @param pre  r1n·Win (m)
     * @param act  GELU(pre)
     * @param r2   r1 + act·Wout
     * @param r2n  LN(r2) (or r2)
     * @param z    r2n·U, the p + 1 logits (not divided by τ)
     */
    public record Activations(int[] tokens, double[] x, double[] n, double[] rstdX, double[] q, double[] k, double[] v,
                              double[] att, double[] o, double[] r1, double[] r1n, double rstdR1, double[] pre,
                              double[] act, double[] r2, double[] r2n, double rstdR2, double[] z) {
    }

    /** One example's forward pass with the papers' LayerNorm epsilon. */
    public static Activations forward(Params w, int pair, int p, int heads, boolean layerNorm) {
        return forward(w, pair, p, heads, layerNorm, LN_EPS);
    }

    /** One example's forward pass; {@code lnEps} is the LayerNorm epsilon (tests of the invariance use 0). */
    static Activations forward(Params w, int pair, int p, int heads, boolean layerNorm, double lnEps) {
        if (p != w.p) throw new IllegalArgumentException("p=" + p + " but the parameters are for p=" + w.p);
        checkHeads(w.d, heads);
        int d = w.d, m = w.mlp, dh = d / heads, classes = p + 1;
        double scale = 1 / Math.sqrt(dh);
        int[] tok = {pair / p, pair % p, p};
        double[] x = new double[3 * d], n = new double[3 * d], rstdX = new double[3];
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < d; i++) x[t * d + i] = w.e[tok[t] * d + i] + w.pos[t * d + i];
            rstdX[t] = layerNorm ? layerNorm(x, t * d, d, n, t * d, lnEps) : copy(x, t * d, d, n, t * d);
        }
        double[] q = vecMat(n, 2 * d, w.wq, d, d);
        double[] k = new double[3 * d], v = new double[3 * d];
        for (int t = 0; t < 3; t++) {
            System.arraycopy(vecMat(n, t * d, w.wk, d, d), 0, k, t * d, d);
            System.arraycopy(vecMat(n, t * d, w.wv, d, d), 0, v, t * d, d);
        }
        double[] att = new double[heads * 3], o = new double[d];
        for (int h = 0; h < heads; h++) {
            double[] s = new double[3];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < 3; t++) {
                double dot = 0;
                for (int c = h * dh; c < (h + 1) * dh; c++) dot += q[c] * k[t * d + c];
                s[t] = dot * scale;
                max = Math.max(max, s[t]);
            }
            double sum = 0;
            for (int t = 0; t < 3; t++) sum += s[t] = Math.exp(s[t] - max);
            for (int t = 0; t < 3; t++) att[h * 3 + t] = s[t] / sum;
            for (int c = h * dh; c < (h + 1) * dh; c++) {
                double acc = 0;
                for (int t = 0; t < 3; t++) acc += att[h * 3 + t] * v[t * d + c];
                o[c] = acc;
            }
        }
        double[] r1 = vecMat(o, 0, w.wo, d, d);
        for (int i = 0; i < d; i++) r1[i] += x[2 * d + i];
        double[] r1n = new double[d];
        double rstdR1 = layerNorm ? layerNorm(r1, 0, d, r1n, 0, lnEps) : copy(r1, 0, d, r1n, 0);
        double[] pre = vecMat(r1n, 0, w.win, d, m), act = new double[m];
        for (int j = 0; j < m; j++) act[j] = ReferenceMlp.gelu(pre[j]);
        double[] r2 = vecMat(act, 0, w.wout, m, d);
        for (int i = 0; i < d; i++) r2[i] += r1[i];
        double[] r2n = new double[d];
        double rstdR2 = layerNorm ? layerNorm(r2, 0, d, r2n, 0, lnEps) : copy(r2, 0, d, r2n, 0);
        double[] z = vecMat(r2n, 0, w.u, d, classes);
        return new Activations(tok, x, n, rstdX, q, k, v, att, o, r1, r1n, rstdR1, pre, act, r2, r2n, rstdR2, z);
    }

    /** The p + 1 logits z = (LN(r2) or r2)·U of one pair (not divided by τ). */
    public static double[] logits(Params w, int pair, int p, int heads, boolean layerNorm) {
        return forward(w, pair, p, heads, layerNorm).z();
    }

    /** Share of the pairs whose first largest logit (over all p + 1 classes) is the label. */
    public static double accuracy(Params w, int[] pairs, int p, int heads, boolean layerNorm) {
        int ok = 0;
        for (int pair : pairs) {
            double[] z = logits(w, pair, p, heads, layerNorm);
            int best = 0;
            for (int c = 1; c < z.length; c++) if (z[c] > z[best]) best = c;
            if (best == label(pair, p)) ok++;
        }
        return (double) ok / pairs.length;
    }

    // ------------------------------------------------------------------------------------------
    // Loss and hand-written backward
    // ------------------------------------------------------------------------------------------

    /**
     * Mean cross-entropy of z/τ over the given pairs (p + 1 classes, label (a + b) mod p) and, when
     * {@code grad} is not null, its gradient with respect to every tensor (overwritten).
     */
    public static double lossAndGradient(Params w, int[] pairs, int p, int heads, boolean layerNorm, double tau, Params grad) {
        return lossAndGradient(w, pairs, p, heads, layerNorm, tau, grad, LN_EPS);
    }

    /** As {@link #lossAndGradient(Params, int[], int, int, boolean, double, Params)} with the given LayerNorm epsilon. */
    static double lossAndGradient(Params w, int[] pairs, int p, int heads, boolean layerNorm, double tau, Params grad,
                                  double lnEps) {
        if (grad != null) {
            if (grad.p != w.p || grad.d != w.d || grad.mlp != w.mlp) throw new IllegalArgumentException("grad has other sizes");
            for (double[] t : grad.tensors()) Arrays.fill(t, 0);
        }
        int d = w.d, m = w.mlp, classes = p + 1, nEx = pairs.length;
        double total = 0;
        for (int pair : pairs) {
            Activations f = forward(w, pair, p, heads, layerNorm, lnEps);
            int y = label(pair, p);
            double[] z = f.z();
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, z[c] / tau);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(z[c] / tau - max);
            total += Math.log(sum) + max - z[y] / tau;
            if (grad == null) continue;

            // logits: dL/dz_c = (softmax(z/τ)_c − [c = y]) / τ / n
            double[] dz = new double[classes];
            for (int c = 0; c < classes; c++) dz[c] = (Math.exp(z[c] / tau - max) / sum - (c == y ? 1 : 0)) / tau / nEx;
            // z = r2n·U
            outerAdd(grad.u, f.r2n(), 0, dz, d, classes);
            double[] dr2 = matVec(w.u, dz, d, classes);
            if (layerNorm) layerNormBackward(f.r2n(), 0, f.rstdR2(), dr2, 0, d);
            // r2 = r1 + act·Wout
            outerAdd(grad.wout, f.act(), 0, dr2, m, d);
            double[] dPre = matVec(w.wout, dr2, m, d);
            for (int j = 0; j < m; j++) dPre[j] *= ReferenceMlp.geluDerivative(f.pre()[j]);
            // pre = r1n·Win
            outerAdd(grad.win, f.r1n(), 0, dPre, d, m);
            double[] dr1 = matVec(w.win, dPre, d, m);
            if (layerNorm) layerNormBackward(f.r1n(), 0, f.rstdR1(), dr1, 0, d);
            for (int i = 0; i < d; i++) dr1[i] += dr2[i];            // the residual r2 = r1 + …
            // r1 = x_2 + o·Wo
            outerAdd(grad.wo, f.o(), 0, dr1, d, d);
            double[] dO = matVec(w.wo, dr1, d, d);
            // attention, per head
            double[] dq = new double[d], dk = new double[3 * d], dv = new double[3 * d];
            attentionBackward(f, dO, heads, d, dq, dk, dv);
            // q = n_2·Wq, k_t = n_t·Wk, v_t = n_t·Wv
            double[] dn = new double[3 * d];
            outerAdd(grad.wq, f.n(), 2 * d, dq, d, d);
            System.arraycopy(matVec(w.wq, dq, d, d), 0, dn, 2 * d, d);
            for (int t = 0; t < 3; t++) {
                double[] dkT = Arrays.copyOfRange(dk, t * d, (t + 1) * d), dvT = Arrays.copyOfRange(dv, t * d, (t + 1) * d);
                outerAdd(grad.wk, f.n(), t * d, dkT, d, d);
                outerAdd(grad.wv, f.n(), t * d, dvT, d, d);
                double[] a = matVec(w.wk, dkT, d, d), b = matVec(w.wv, dvT, d, d);
                for (int i = 0; i < d; i++) dn[t * d + i] += a[i] + b[i];
            }
            // n_t = LN(x_t); x_2 also feeds r1 directly; x_t = E[tok_t] + pos[t]
            for (int t = 0; t < 3; t++) {
                if (layerNorm) layerNormBackward(f.n(), t * d, f.rstdX()[t], dn, t * d, d);
                if (t == 2) for (int i = 0; i < d; i++) dn[2 * d + i] += dr1[i];
                int row = f.tokens()[t];
                for (int i = 0; i < d; i++) {
                    grad.e[row * d + i] += dn[t * d + i];
                    grad.pos[t * d + i] += dn[t * d + i];
                }
            }
        }
        return total / nEx;
    }

    /**
     * Backward of s_t = q_h·k_{t,h}/√dh, α = softmax(s), o_h = Σ_t α_t v_{t,h} for every head, given
     * dL/do; writes dq, dk, dv (zeroed by the caller).
     */
    private static void attentionBackward(Activations f, double[] dO, int heads, int d, double[] dq, double[] dk, double[] dv) {
        int dh = d / heads;
        double scale = 1 / Math.sqrt(dh);
        double[] q = f.q(), k = f.k(), v = f.v(), att = f.att();
        for (int h = 0; h < heads; h++) {
            double[] dAtt = new double[3];
            for (int t = 0; t < 3; t++) {
                double a = att[h * 3 + t], s = 0;
                for (int c = h * dh; c < (h + 1) * dh; c++) {
                    s += dO[c] * v[t * d + c];
                    dv[t * d + c] += a * dO[c];
                }
                dAtt[t] = s;
            }
            double mean = 0;                                            // Σ_u α_u·dα_u
            for (int t = 0; t < 3; t++) mean += att[h * 3 + t] * dAtt[t];
            for (int t = 0; t < 3; t++) {
                double ds = att[h * 3 + t] * (dAtt[t] - mean) * scale;   // dL/ds_t, times 1/√dh
                for (int c = h * dh; c < (h + 1) * dh; c++) {
                    dq[c] += ds * k[t * d + c];
                    dk[t * d + c] += ds * q[c];
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Optimiser and clamp
    // ------------------------------------------------------------------------------------------

    /**
     * One full-batch AdamW step (1-based {@code step}) with {@link ReferenceMlp#adamW} on every
     * tensor (every tensor is decayed: W ← W·(1 − lr·λ) before the Adam update, or W ← W − lr·λ·W
     * after it when {@code hp.decayAfter()}), then, when {@code hp.clampTarget()} is not NaN and
     * {@code step ≥ hp.clampFrom()}, the clamp: with {@code clampGroup} null every tensor is scaled
     * by target/‖W‖; otherwise only the tensors of that group (embed, attn, mlp, unembed) are
     * scaled so that the group's norm equals the target. Returns the loss before the update;
     * {@code grad} receives the gradient at the weights before the update. Adam moments are never
     * touched by the clamp.
     */
    public static double trainStep(Params w, Params m, Params v, Params grad, int[] pairs, int heads, boolean layerNorm,
                                   ReferenceMlp.StepHyper hp, String clampGroup, int step) {
        if (clampGroup != null) Params.checkGroup(clampGroup);
        double loss = lossAndGradient(w, pairs, w.p, heads, layerNorm, hp.temperature(), grad);
        double[][] wt = w.tensors(), gt = grad.tensors(), mt = m.tensors(), vt = v.tensors();
        for (int j = 0; j < wt.length; j++)
            ReferenceMlp.adamW(wt[j], gt[j], mt[j], vt[j], hp.lr(), hp.weightDecay(), true, hp.decayAfter(), step);
        if (!Double.isNaN(hp.clampTarget()) && step >= hp.clampFrom()) {
            if (clampGroup == null) clamp(w, hp.clampTarget());
            else clampGroup(w, clampGroup, hp.clampTarget());
        }
        return loss;
    }

    /** {@link #trainStep(Params, Params, Params, Params, int[], int, boolean, ReferenceMlp.StepHyper, String, int)} with the total-norm clamp. */
    public static double trainStep(Params w, Params m, Params v, Params grad, int[] pairs, int heads, boolean layerNorm,
                                   ReferenceMlp.StepHyper hp, int step) {
        return trainStep(w, m, v, grad, pairs, heads, layerNorm, hp, null, step);
    }

    /** Scales every tensor by target/‖W‖. */
    public static void clamp(Params w, double target) {
        double f = target / w.weightNorm();
        for (double[] t : w.tensors()) ReferenceMlp.scale(t, f);
    }

    /** Scales the tensors of one group by target/‖group‖; the other tensors are left alone. */
    public static void clampGroup(Params w, String group, double target) {
        double f = target / w.groupNorm(group);
        double[][] t = w.tensors();
        for (int j = 0; j < t.length; j++) if (Params.GROUPS[j].equals(group)) ReferenceMlp.scale(t[j], f);
    }

    // ------------------------------------------------------------------------------------------
    // Small dense helpers (row-major, unpadded)
    // ------------------------------------------------------------------------------------------

    /** out = x[off .. off+rows)·W, W rows×cols. */
    private static double[] vecMat(double[] x, int off, double[] wMat, int rows, int cols) {
        double[] out = new double[cols];
        for (int r = 0; r < rows; r++) {
            double xr = x[off + r];
            for (int c = 0; c < cols; c++) out[c] += xr * wMat[r * cols + c];
        }
        return out;
    }

    /** out = W·g, W rows×cols, g cols: the gradient of x in x·W. */
    private static double[] matVec(double[] wMat, double[] g, int rows, int cols) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += wMat[r * cols + c] * g[c];
            out[r] = s;
        }
        return out;
    }

    /** G += x[off .. off+rows) ⊗ g, G rows×cols: the gradient of W in x·W. */
    private static void outerAdd(double[] gMat, double[] x, int off, double[] g, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            double xr = x[off + r];
            for (int c = 0; c < cols; c++) gMat[r * cols + c] += xr * g[c];
        }
    }

    /** out = (x − mean)/√(var + eps) over x[off .. off+len); returns 1/√(var + eps). */
    private static double layerNorm(double[] x, int off, int len, double[] out, int outOff, double eps) {
        double mean = 0;
        for (int i = 0; i < len; i++) mean += x[off + i];
        mean /= len;
        double var = 0;
        for (int i = 0; i < len; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        var /= len;
        double rstd = 1 / Math.sqrt(var + eps);
        for (int i = 0; i < len; i++) out[outOff + i] = (x[off + i] - mean) * rstd;
        return rstd;
    }

    private static double copy(double[] x, int off, int len, double[] out, int outOff) {
        System.arraycopy(x, off, out, outOff, len);
        return 1;
    }

    /**
     * In place: g ← dL/dx from g = dL/dy for y = LN(x) (non-affine), given y and rstd:
     * dL/dx = rstd·(g − mean(g) − y·mean(g·y)).
     */
    private static void layerNormBackward(double[] y, int yOff, double rstd, double[] g, int gOff, int len) {
        double meanG = 0, meanGy = 0;
        for (int i = 0; i < len; i++) {
            meanG += g[gOff + i];
            meanGy += g[gOff + i] * y[yOff + i];
        }
        meanG /= len;
        meanGy /= len;
        for (int i = 0; i < len; i++) g[gOff + i] = rstd * (g[gOff + i] - meanG - y[yOff + i] * meanGy);
    }
}
