package dev.normclock.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.normclock.reference.ReferenceAttention.Activations;
import dev.normclock.reference.ReferenceAttention.Params;

/**
 * The attention reference's hand-written backward pass against central finite differences of its
 * own loss for every tensor, with and without LayerNorm and temperature; the scale invariance the
 * LayerNorm control has; the optimiser (decay of every tensor) and the clamps; and a tiny training
 * run that memorises.
 */
class ReferenceAttentionGradientTest {
    private static final int P = 7, D = 8, HEADS = 2, MLP = 12;

    /**
     * The papers' init at small sizes, with Wq and Wk enlarged so that the attention softmax is far
     * from uniform (scores of order 1) and pos enlarged to the size of E, so that every path carries
     * a gradient of the same order.
     */
    static Params testParams(long seed) {
        Params w = ReferenceAttention.init(P, D, HEADS, MLP, seed);
        ReferenceMlp.scale(w.wq, 3);
        ReferenceMlp.scale(w.wk, 3);
        ReferenceMlp.scale(w.pos, 8);
        ReferenceMlp.scale(w.u, 2);
        return w;
    }

    static int[] randomPairs(int p, int n, Random rnd) {
        return ReferenceMlpGradientTest.randomPairs(p, n, rnd);
    }

    private static double maxAbs(double[] t) {
        double m = 0;
        for (double x : t) m = Math.max(m, Math.abs(x));
        return m;
    }

    /**
     * Central differences with step 1e-6 against the analytic gradient. The error of a coordinate
     * is |fd − g| divided by the largest |g| of its tensor; the bound is 1e-7 (the finite
     * difference's own rounding error is about 1e-16·L/1e-6 ≈ 1e-10 absolute and its truncation
     * error h²·L''' ≈ 1e-12, against largest gradient entries of order 0.1 … 10; measured worst
     * errors 1e-9 … 1.2e-8, while dropping one term of the softmax or LayerNorm backward gives
     * errors of 4e-3 … 0.6). Checked per tensor: 12
     * random coordinates, plus the whole "=" row of E, every coordinate of pos and the "=" column
     * of U.
     */
    @ParameterizedTest
    @CsvSource({"false, 1.0", "false, 1.3", "true, 1.0", "true, 0.7"})
    void backwardMatchesCentralDifferences(boolean layerNorm, double tau) {
        Random rnd = new Random(31 + (layerNorm ? 1 : 0) + (long) (tau * 100));
        Params w = testParams(7 + (layerNorm ? 1 : 0));
        int[] pairs = randomPairs(P, 30, rnd);

        // the attention is not degenerate: some softmax weights far from 1/3
        double spread = 0;
        for (int pair : pairs) for (double a : ReferenceAttention.forward(w, pair, P, HEADS, layerNorm).att()) spread = Math.max(spread, Math.abs(a - 1.0 / 3));
        assertTrue(spread > 0.1, "attention weights stay near uniform (" + spread + ")");

        Params g = new Params(P, D, MLP);
        double loss = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, layerNorm, tau, g);
        assertEquals(loss, ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, layerNorm, tau, null), 0, "loss without gradient");

        double[][] wt = w.tensors(), gt = g.tensors();
        double worst = 0;
        int checked = 0;
        StringBuilder perTensor = new StringBuilder();
        for (int j = 0; j < wt.length; j++) {
            double gMax = maxAbs(gt[j]);
            assertTrue(gMax > 1e-4, Params.NAMES[j] + " has a non-trivial gradient (" + gMax + ")");
            List<Integer> coords = new ArrayList<>();
            for (int s = 0; s < 12; s++) coords.add(rnd.nextInt(wt[j].length));
            switch (Params.NAMES[j]) {
                case "E" -> { for (int i = 0; i < D; i++) coords.add(P * D + i); }          // the "=" row
                case "pos" -> { for (int i = 0; i < 3 * D; i++) coords.add(i); }
                case "U" -> { for (int i = 0; i < D; i++) coords.add(i * (P + 1) + P); }     // the "=" class
                default -> { }
            }
            double tensorWorst = 0;
            for (int i : coords) {
                double old = wt[j][i], h = 1e-6;
                wt[j][i] = old + h;
                double up = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, layerNorm, tau, null);
                wt[j][i] = old - h;
                double down = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, layerNorm, tau, null);
                wt[j][i] = old;
                double fd = (up - down) / (2 * h);
                double err = Math.abs(fd - gt[j][i]) / gMax;
                tensorWorst = Math.max(tensorWorst, err);
                checked++;
                assertTrue(err < 1e-7, Params.NAMES[j] + "[" + i + "] LN=" + layerNorm + " τ=" + tau + ": analytic " + gt[j][i]
                        + ", central difference " + fd + " (error " + err + " of the tensor's largest gradient " + gMax + ")");
            }
            worst = Math.max(worst, tensorWorst);
            perTensor.append(String.format(" %s %.1e", Params.NAMES[j], tensorWorst));
        }
        System.out.printf("attention reference vs central differences (LN=%b, τ=%.1f): %d coordinates, worst error %.2e of the tensor's max gradient;%s%n",
                layerNorm, tau, checked, worst, perTensor);
    }

    /** The "=" row of E and every row of pos get a gradient; rows of tokens absent from the batch get none. */
    @Test
    void gradientReachesEqualsRowAndOnlyUsedTokens() {
        Params w = testParams(3);
        int[] pairs = {1 * P + 2, 2 * P + 1, 4 * P + 4};                       // tokens 1, 2, 4 and "="
        Params g = new Params(P, D, MLP);
        ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, true, 1.0, g);
        for (int row = 0; row <= P; row++) {
            double n = 0;
            for (int i = 0; i < D; i++) n += Math.abs(g.e[row * D + i]);
            boolean used = row == 1 || row == 2 || row == 4 || row == P;
            assertEquals(used, n > 0, "E row " + row + " gradient " + n);
        }
        for (int t = 0; t < 3; t++) {
            double n = 0;
            for (int i = 0; i < D; i++) n += Math.abs(g.pos[t * D + i]);
            assertTrue(n > 1e-6, "pos row " + t);
        }
    }

    /** The loss is the mean cross-entropy of logits()/τ; accuracy takes the first maximum. */
    @Test
    void logitsAccuracyAndLossAgree() {
        Params w = testParams(5);
        int[] pairs = randomPairs(P, 20, new Random(2));
        double tau = 1.4, sum = 0;
        for (int pair : pairs) {
            double[] z = ReferenceAttention.logits(w, pair, P, HEADS, true);
            assertEquals(P + 1, z.length);
            double lse = 0;
            for (double zc : z) lse += Math.exp(zc / tau);
            sum += Math.log(lse) - z[ReferenceAttention.label(pair, P)] / tau;
        }
        assertEquals(sum / pairs.length, ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, true, tau, null), 1e-13);

        // all logits equal (U = 0): the first maximum is class 0, so exactly the pairs labelled 0 are right
        java.util.Arrays.fill(w.u, 0);
        int[] all = new int[P * P];
        for (int i = 0; i < all.length; i++) all[i] = i;
        assertEquals(1.0 / P, ReferenceAttention.accuracy(w, all, P, HEADS, false), 1e-15);
    }

    /**
     * The LayerNorm control's scale invariance. Scaling the residual stream's writers E, pos, Wo and
     * Wout by one c > 0 leaves the loss unchanged: x_t → c·x_t, so LN(x_t) (hence q, k, v, the
     * softmax and o) is unchanged; r1 = x_2 + o·Wo → c·r1, so LN(r1), the MLP's pre-activation
     * and GELU are unchanged; r2 = r1 + act·Wout → c·r2, so LN(r2) and the logits are unchanged.
     * With the LayerNorm epsilon set to 0 this is exact (to rounding: bound 1e-13·L); with the papers'
     * eps = 1e-5, LN(c·x) = LN(x)·√((var + eps)/(var + eps/c²)), a relative change of every LN output
     * below eps/(2·var), and the test bounds |ΔL| by L·eps/var_min (var_min the smallest variance
     * of any LN input in either model; measured |ΔL| is 4e-5 … 4e-4 against bounds of 1e-3 … 1e-2).
     *
     * <p>Scaling E and pos alone is not an invariance of this model: the attention block's outputs
     * (softmax weights, o) are unchanged, but the residual adds o·Wo to the un-normalised x_2, so
     * r1 and the loss change. Without LayerNorm none of this holds (the control of the test).
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.3, 3.0, 40.0})
    void layerNormLossIsInvariantToScalingTheResidualWriters(double c) {
        Params w = testParams(9);
        int[] pairs = randomPairs(P, 30, new Random(4));
        Params scaled = w.copy();
        for (double[] t : new double[][]{scaled.e, scaled.pos, scaled.wo, scaled.wout}) ReferenceMlp.scale(t, c);

        double exact = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, true, 1.0, null, 0);
        double exactScaled = ReferenceAttention.lossAndGradient(scaled, pairs, P, HEADS, true, 1.0, null, 0);
        assertEquals(exact, exactScaled, 1e-13 * exact, "eps = 0: exact invariance");

        double loss = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, true, 1.0, null);
        double lossScaled = ReferenceAttention.lossAndGradient(scaled, pairs, P, HEADS, true, 1.0, null);
        double varMin = Double.POSITIVE_INFINITY;                 // the smallest LN input variance, either model
        for (Params x : new Params[]{w, scaled})
            for (int pair : pairs) {
                Activations a = ReferenceAttention.forward(x, pair, P, HEADS, true);
                for (double r : new double[]{a.rstdX()[0], a.rstdX()[1], a.rstdX()[2], a.rstdR1(), a.rstdR2()})
                    varMin = Math.min(varMin, 1 / (r * r) - ReferenceAttention.LN_EPS);
            }
        assertEquals(loss, lossScaled, loss * ReferenceAttention.LN_EPS / varMin, "eps = 1e-5: invariance up to the eps term (min var " + varMin + ")");

        double free = ReferenceAttention.lossAndGradient(w, pairs, P, HEADS, false, 1.0, null);
        double freeScaled = ReferenceAttention.lossAndGradient(scaled, pairs, P, HEADS, false, 1.0, null);
        assertTrue(Math.abs(free - freeScaled) > 1e-2, "without LayerNorm the loss depends on the scale: " + free + " vs " + freeScaled);

        // E and pos alone: the attention block is unchanged, the loss is not
        Params embedOnly = w.copy();
        ReferenceMlp.scale(embedOnly.e, c);
        ReferenceMlp.scale(embedOnly.pos, c);
        for (int pair : pairs) {
            Activations a = ReferenceAttention.forward(w, pair, P, HEADS, true, 0), b = ReferenceAttention.forward(embedOnly, pair, P, HEADS, true, 0);
            assertArrayEquals(a.att(), b.att(), 1e-13, "softmax weights");
            assertArrayEquals(a.o(), b.o(), 1e-12, "head outputs");
        }
        double embedLoss = ReferenceAttention.lossAndGradient(embedOnly, pairs, P, HEADS, true, 1.0, null, 0);
        assertTrue(Math.abs(embedLoss - exact) > 1e-3, "scaling E and pos alone changes the loss: " + exact + " vs " + embedLoss);
        System.out.printf("LN invariance c=%.1f: |ΔL| eps=0 %.1e, eps=1e-5 %.1e (bound %.1e); E,pos only %.1e; no LN %.1e%n",
                c, Math.abs(exact - exactScaled), Math.abs(loss - lossScaled), loss * ReferenceAttention.LN_EPS / varMin, Math.abs(embedLoss - exact), Math.abs(free - freeScaled));
    }

    private static ReferenceMlp.StepHyper hyper(double lr, double decay, boolean after, double target, int from) {
        return new ReferenceMlp.StepHyper(lr, decay, after, 1.0, target, from);
    }

    /** Weight decay reaches every tensor: one step with λ vs the same step with λ = 0 differs by exactly the decay term. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weightDecayAppliesToEveryTensor(boolean decayAfter) {
        Params w0 = testParams(12);
        int[] pairs = randomPairs(P, 25, new Random(6));
        double lr = 1e-2, lambda = 0.5;
        Params a = w0.copy(), b = w0.copy(), g = new Params(P, D, MLP);
        ReferenceAttention.trainStep(a, new Params(P, D, MLP), new Params(P, D, MLP), g, pairs, HEADS, true, hyper(lr, lambda, decayAfter, Double.NaN, 1), 1);
        ReferenceAttention.trainStep(b, new Params(P, D, MLP), new Params(P, D, MLP), g, pairs, HEADS, true, hyper(lr, 0, decayAfter, Double.NaN, 1), 1);
        double[][] at = a.tensors(), bt = b.tensors(), wt = w0.tensors();
        for (int j = 0; j < at.length; j++)
            for (int i = 0; i < at[j].length; i++) {
                // before: W(1 − lrλ) − u vs W − u; after: (W − u)(1 − lrλ) vs W − u
                double expected = decayAfter ? bt[j][i] * (1 - lr * lambda) : bt[j][i] - lr * lambda * wt[j][i];
                assertEquals(expected, at[j][i], 1e-15, Params.NAMES[j] + "[" + i + "]");
            }
    }

    /**
     * The total-norm clamp puts ‖W‖ exactly at the target after the step by one common factor on
     * every tensor and leaves the Adam moments alone; before clampFrom it does nothing.
     */
    @Test
    void clampHoldsTheWeightNormAtTheTarget() {
        Params w0 = testParams(13);
        int[] pairs = randomPairs(P, 25, new Random(8));
        double target = 0.8 * w0.weightNorm();
        Params free = w0.copy(), fm = new Params(P, D, MLP), fv = new Params(P, D, MLP), g = new Params(P, D, MLP);
        Params held = w0.copy(), hm = new Params(P, D, MLP), hv = new Params(P, D, MLP);
        for (int step = 1; step <= 5; step++) {
            ReferenceAttention.trainStep(free, fm, fv, g, pairs, HEADS, false, hyper(1e-2, 1.0, false, Double.NaN, 1), step);
            // the same step from the same state (weights and moments) without the clamp
            Params unclamped = held.copy(), um = hm.copy(), uv = hv.copy();
            ReferenceAttention.trainStep(unclamped, um, uv, g, pairs, HEADS, false, hyper(1e-2, 1.0, false, Double.NaN, 1), step);
            ReferenceAttention.trainStep(held, hm, hv, g, pairs, HEADS, false, hyper(1e-2, 1.0, false, target, 3), step);
            assertArrayEquals(um.wq, hm.wq, 0, "first moment untouched by the clamp");
            assertArrayEquals(uv.u, hv.u, 0, "second moment untouched by the clamp");
            if (step < 3) {
                assertArrayEquals(free.u, held.u, 0, "no clamp before clampFrom, step " + step);
                continue;
            }
            assertEquals(target, held.weightNorm(), 1e-12 * target, "‖W‖ after step " + step);
            double f = target / unclamped.weightNorm();             // one scalar on every tensor
            double[][] ut = unclamped.tensors(), ht = held.tensors();
            for (int j = 0; j < ut.length; j++)
                for (int i = 0; i < ut[j].length; i++)
                    assertEquals(ut[j][i] * f, ht[j][i], 1e-14, Params.NAMES[j] + "[" + i + "] step " + step);
        }
    }

    /** A one-group clamp sets that group's norm to the target and leaves every other tensor as the free step made it. */
    @ParameterizedTest
    @ValueSource(strings = {"embed", "attn", "mlp", "unembed"})
    void groupClampHoldsOnlyThatGroup(String group) {
        Params w0 = testParams(14);
        int[] pairs = randomPairs(P, 25, new Random(9));
        double target = 1.3 * w0.groupNorm(group);
        Params free = w0.copy(), held = w0.copy(), g = new Params(P, D, MLP);
        Params fm = new Params(P, D, MLP), fv = new Params(P, D, MLP), hm = new Params(P, D, MLP), hv = new Params(P, D, MLP);
        ReferenceAttention.trainStep(free, fm, fv, g, pairs, HEADS, true, hyper(1e-2, 1.0, true, Double.NaN, 1), 1);
        ReferenceAttention.trainStep(held, hm, hv, g, pairs, HEADS, true, hyper(1e-2, 1.0, true, target, 1), group, 1);
        assertEquals(target, held.groupNorm(group), 1e-12 * target, group + " norm");
        double f = target / free.groupNorm(group);
        double[][] ft = free.tensors(), ht = held.tensors();
        double sq = 0;
        for (int j = 0; j < ft.length; j++) {
            boolean in = Params.GROUPS[j].equals(group);
            for (int i = 0; i < ft[j].length; i++)
                assertEquals(in ? ft[j][i] * f : ft[j][i], ht[j][i], in ? 1e-14 : 0, Params.NAMES[j] + "[" + i + "]");
            sq += ReferenceMlp.sumSquares(ht[j]);
        }
        double groups = 0;
        for (String gr : Params.GROUP_NAMES) groups += held.groupNorm(gr) * held.groupNorm(gr);
        assertEquals(Math.sqrt(sq), held.weightNorm(), 1e-12);
        assertEquals(held.weightNorm(), Math.sqrt(groups), 1e-12, "the group norms partition ‖W‖");
    }

    /** The papers' init: N(0, 1/fan_in) per tensor, pos with std 0.1/√d, reproducible by seed. */
    @Test
    void initHasThePapersScales() {
        int p = 11, d = 32, m = 64;
        Params w = ReferenceAttention.init(p, d, 4, m, 42);
        assertArrayEquals(w.e, ReferenceAttention.init(p, d, 4, m, 42).e, 0, "same seed, same draw");
        double[][] t = w.tensors();
        for (int j = 0; j < t.length; j++) {
            double var = ReferenceMlp.sumSquares(t[j]) / t[j].length;
            double expected = switch (Params.NAMES[j]) {
                case "pos" -> 0.01 / d;
                case "Wout" -> 1.0 / m;
                default -> 1.0 / d;
            };
            // sample variance of n draws: relative sd √(2/n); pos has 96 draws, the smallest
            assertEquals(expected, var, 5 * Math.sqrt(2.0 / t[j].length) * expected, Params.NAMES[j] + " variance");
        }
    }

    /** Full-batch AdamW at lr 1e-2 memorises a 60 % training split of p = 7 within a few hundred steps. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tinyTrainingRunMemorises(boolean layerNorm) {
        int p = 7, d = 16, heads = 4, mlp = 32;
        int[] train = randomPairs(p, 29, new Random(21));
        Params w = ReferenceAttention.init(p, d, heads, mlp, 1);
        Params m = new Params(p, d, mlp), v = new Params(p, d, mlp), g = new Params(p, d, mlp);
        var hp = new ReferenceMlp.StepHyper(1e-2, 0.1, false, 1.0, Double.NaN, 1);
        double first = Double.NaN, acc = 0;
        int step = 0;
        while (step < 400 && acc < 1.0) {
            step++;
            double loss = ReferenceAttention.trainStep(w, m, v, g, train, heads, layerNorm, hp, step);
            if (step == 1) first = loss;
            if (step % 10 == 0) acc = ReferenceAttention.accuracy(w, train, p, heads, layerNorm);
        }
        double last = ReferenceAttention.lossAndGradient(w, train, p, heads, layerNorm, 1.0, null);
        System.out.printf("tiny run LN=%b: train accuracy %.3f at step %d, loss %.3f → %.4f%n", layerNorm, acc, step, first, last);
        assertEquals(1.0, acc, "train accuracy after " + step + " steps");
        assertTrue(last < 0.5 * first, "loss " + first + " → " + last);
    }
}
