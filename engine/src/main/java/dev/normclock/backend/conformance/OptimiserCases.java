package dev.normclock.backend.conformance;

import java.util.List;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;

/** Sums and the optimiser: columnSums, AdamW with decoupled decay in both orders, the norm projection's scale, sumSquares. */
final class OptimiserCases {
    private OptimiserCases() {
    }

    private static final String ADAM_RULE = "w: 16u·|w| + 1e-5·lr; m1: 4u·(|m1 before| + |g|); m2: 2e-5·m2; "
            + "Σw²: 1e-5 of the reference's and 1e-6 of the Σw² of its own result; a slot's unwritten Σw² stays";

    static List<Case> cases() {
        return List.of(
                new Case("columnSums", "columnSums", "|err| ≤ 1e-6·Σ_rows |x|", OptimiserCases::columnSums),
                adamW(1, false), adamW(7, true), adamW(1000, false),
                new Case("adamW", "adamW at step 1: the moments (1 − β1)·g and (1 − β2)·g²", "m1, m2: 4u of their value (β's complements exact to float)",
                        OptimiserCases::adamWMoments),
                new Case("scale", "scale", "|err| ≤ u·|x·factor| (one float product; the factors are floats)", OptimiserCases::scale),
                new Case("sumSquares", "sumSquares", "|err| ≤ 1e-6·Σx²; a slot's unwritten sum stays", OptimiserCases::sumSquares));
    }

    private static void columnSums(Trial t) {
        for (int[] s : new int[][]{{75, 37}, {3, 41}, {130, 16}}) {
            Twin x = t.input(s[0], s[1], (m, r, c) -> t.gauss(1 + m)), out = t.output(1, s[1]);
            t.run((be, r) -> be.columnSums(x.of(r), out.of(r), Trial.LISTED), out);
            t.compare("columnSums " + s[0] + "×" + s[1], out, (m, r, c) -> {
                double mag = 0;
                for (int i = 0; i < s[0]; i++) mag += Math.abs(x.at(m, i, c));
                return Rules.SUM * mag;
            });
        }
    }

    /** Per slot: a large lr·λ (1 − lr·λ = −80) among them, λ = 0 for slot 3, both decay orders (swapped when {@code swap}). */
    private static Hyper hyper(boolean swap) {
        Hyper h = new Hyper(Trial.MODELS);
        float[] lr = {1e-2f, 9f, 1e-3f, 3e-3f, 1e-3f}, wd = {1f, 9f, 1f, 0f, 2f};
        boolean[] after = {false, true, false, true, true};
        for (int m = 0; m < Trial.MODELS; m++) {
            h.lr[m] = lr[m];
            h.weightDecay[m] = wd[m];
            h.decayAfter[m] = after[m] != swap;
        }
        return h;
    }

    private static Case adamW(int step, boolean swap) {
        return new Case("adamW", "adamW at step " + step + (swap ? ", decay orders swapped" : ""), ADAM_RULE, t -> {
            int[][] shapes = {{7, 13}, {41, 37}, {1, 37}};
            boolean[] decayed = {true, true, false};
            int count = shapes.length;
            Twin[] w = new Twin[count], g = new Twin[count], m1 = new Twin[count], m2 = new Twin[count];
            for (int j = 0; j < count; j++) {
                int rows = shapes[j][0], cols = shapes[j][1];
                w[j] = t.gaussian(rows, cols, 0.5);
                g[j] = t.gaussian(rows, cols, 1e-2);
                m1[j] = step > 1 ? t.gaussian(rows, cols, 1e-3) : t.input(rows, cols, (m, r, c) -> 0);
                m2[j] = step > 1 ? t.input(rows, cols, (m, r, c) -> Math.abs(t.gauss(1e-4))) : t.input(rows, cols, (m, r, c) -> 0);
            }
            double[][][] m1Before = values(m1);
            Hyper hyper = hyper(swap);
            double[][][] ss = {new double[Trial.MODELS][count], new double[Trial.MODELS][count]};
            java.util.Arrays.fill(ss[1][Trial.IDLE], -1);
            Twin[] written = new Twin[3 * count];
            for (int j = 0; j < count; j++) {
                written[j] = w[j];
                written[count + j] = m1[j];
                written[2 * count + j] = m2[j];
            }
            t.run((be, r) -> be.adamW(side(w, r), side(g, r), side(m1, r), side(m2, r), decayed, hyper, step, ss[r ? 0 : 1], Trial.LISTED), written);
            for (int j = 0; j < count; j++) {
                int jj = j;
                String at = "adamW step " + step + " tensor " + j;
                t.compare(at + " w", w[j], (m, r, c) -> 16 * Rules.U * Math.abs(w[jj].at(m, r, c)) + 1e-5 * hyper.lr[m]);
                t.compare(at + " m1", m1[j], (m, r, c) -> 4 * Rules.U * (Math.abs(m1Before[jj][m][r * shapes[jj][1] + c]) + Math.abs(g[jj].at(m, r, c))));
                // 2e-5 of v, as the former test had it; the step-1 case holds v's coefficient to 4u
                t.compare(at + " m2", m2[j], (m, r, c) -> 2e-5 * m2[jj].at(m, r, c));
                for (int m : Trial.LISTED) {
                    t.compare(at + " Σw² slot " + m, ss[0][m][j], ss[1][m][j], 1e-5 * ss[0][m][j]);
                    double own = 0; // the returned norm is of the float weights after the update
                    for (double v : w[j].cand().toDoubleArray(m)) own += v * v;
                    t.compare(at + " Σw² slot " + m + " against its own weights", own, ss[1][m][j], 1e-6 * own);
                }
                if (ss[1][Trial.IDLE][j] != -1) t.violation(at + ": the idle slot's Σw² was written");
            }
        });
    }

    /** Each slot's values, row-major (before a call overwrites them). */
    private static double[][][] values(Twin[] ts) {
        double[][][] out = new double[ts.length][Trial.MODELS][];
        for (int j = 0; j < ts.length; j++)
            for (int m : Trial.LISTED) out[j][m] = ts[j].ref().toDoubleArray(m);
        return out;
    }

    private static Tensor[] side(Twin[] ts, boolean reference) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = ts[i].of(reference);
        return out;
    }

    /**
     * m = β1·m + (1 − β1)·g and v = β2·v + (1 − β2)·g² with the coefficients correct to float
     * precision (a few u), as PyTorch's float32 arithmetic with Python-double β has them; a float
     * 1f − 0.999f would be 1.3e-5 off.
     */
    private static void adamWMoments(Trial t) {
        Twin w = t.input(1, 21, (m, r, c) -> 0), g = t.input(1, 21, (m, r, c) -> 1 + c / 16.0);
        Twin m1 = t.input(1, 21, (m, r, c) -> 0), m2 = t.input(1, 21, (m, r, c) -> 0);
        Hyper hyper = new Hyper(Trial.MODELS);
        java.util.Arrays.fill(hyper.lr, 1e-3f);
        double[][][] ss = new double[2][Trial.MODELS][1];
        t.run((be, r) -> be.adamW(new Tensor[]{w.of(r)}, new Tensor[]{g.of(r)}, new Tensor[]{m1.of(r)}, new Tensor[]{m2.of(r)}, new boolean[]{true},
                hyper, 1, ss[r ? 0 : 1], Trial.LISTED), w, m1, m2);
        t.compare("adamW step 1 m1", m1, (m, r, c) -> 4 * Rules.U * Math.abs(m1.at(m, r, c)));
        t.compare("adamW step 1 m2", m2, (m, r, c) -> 4 * Rules.U * Math.abs(m2.at(m, r, c)));
    }

    private static void scale(Trial t) {
        Twin[] ts = {t.gaussian(7, 13, 2), t.gaussian(41, 37, 2)};
        double[][][] before = values(ts);
        double[] factor = {0.5, 9, 1, 1.7f, -0.3f};
        t.run((be, r) -> be.scale(side(ts, r), factor, Trial.LISTED), ts);
        for (int j = 0; j < ts.length; j++) {
            int jj = j, cols = ts[j].cols();
            t.compare("scale tensor " + j, ts[j], (m, r, c) -> Rules.U * Math.abs(before[jj][m][r * cols + c] * factor[m]));
        }
    }

    private static void sumSquares(Trial t) {
        for (int[] s : new int[][]{{41, 37}, {1, 5}, {256, 130}}) {
            Twin x = t.input(s[0], s[1], (m, r, c) -> t.gauss(1 + m));
            double[][] out = new double[2][Trial.MODELS];
            out[1][Trial.IDLE] = -1;
            t.run((be, r) -> be.sumSquares(x.of(r), out[r ? 0 : 1], Trial.LISTED));
            for (int m : Trial.LISTED) t.compare("sumSquares " + s[0] + "×" + s[1] + " slot " + m, out[0][m], out[1][m], 1e-6 * out[0][m]);
            if (out[1][Trial.IDLE] != -1) t.violation("sumSquares wrote the idle slot's sum");
        }
    }
}
