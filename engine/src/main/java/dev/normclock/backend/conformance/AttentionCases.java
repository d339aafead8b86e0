package dev.normclock.backend.conformance;

import java.util.List;

/**
 * The attention model's primitives: the element-wise copy, row broadcast and product, LayerNorm
 * and its backward, the token rows, the score table, the 3-token attention and their backward
 * passes. Those that are one float operation per element are held to it; the others to 1e-5 of
 * their output's largest magnitude per model, the rule they were tested with before the suite.
 */
final class AttentionCases {
    private AttentionCases() {
    }

    private static final String LARGEST = "|err| ≤ 1e-5·max|output| of the model";
    private static final int P = 11, D = 18;

    static List<Case> cases() {
        return List.of(
                new Case("copy", "copy", "exact", t -> {
                    Twin src = t.gaussian(80, 21, 1), dst = t.output(80, 21);
                    t.run((be, r) -> be.copy(src.of(r), dst.of(r), Trial.LISTED), dst);
                    t.compare("copy", dst, (m, i, j) -> 0);
                }),
                new Case("addRow", "addRow", "|err| ≤ u·|x + row| (one float addition)", t -> {
                    Twin x = t.gaussian(80, 21, 1), row = t.gaussian(1, 21, 1);
                    t.run((be, r) -> be.addRow(x.of(r), row.of(r), Trial.LISTED), x);
                    t.compare("addRow", x, (m, i, j) -> Rules.U * Math.abs(x.at(m, i, j)));
                }),
                new Case("multiply", "multiply", "|err| ≤ u·|x·y| (one float product)", t -> {
                    Twin x = t.gaussian(80, 21, 1), y = t.gaussian(80, 21, 1);
                    t.run((be, r) -> be.multiply(x.of(r), y.of(r), Trial.LISTED), x);
                    t.compare("multiply", x, (m, i, j) -> Rules.U * Math.abs(x.at(m, i, j)));
                }),
                new Case("layerNorm", "layerNorm", LARGEST + ", for y and rstd", AttentionCases::layerNorm),
                layerNormBackward(false), layerNormBackward(true),
                new Case("tokenRows", "tokenRows", "|err| ≤ u·|E[token] + pos[t]| (one float addition)", AttentionCases::tokenRows),
                new Case("tokenRowsBackward", "tokenRowsBackward", "|err| ≤ 1e-6·Σ|terms| of each sum", AttentionCases::tokenRowsBackward),
                new Case("attentionScores", "attentionScores", LARGEST, AttentionCases::attentionScores),
                new Case("attentionScoresBackward", "attentionScoresBackward", LARGEST + ", for dq and dKeys", AttentionCases::attentionScoresBackward),
                new Case("attentionForward", "attentionForward", LARGEST + ", for α and out", AttentionCases::attentionForward),
                new Case("attentionBackward", "attentionBackward", LARGEST + ", for dScores and dValues", AttentionCases::attentionBackward));
    }

    /** 1e-5 of the largest magnitude of model m's reference output. */
    private static Trial.Tolerance largest(Twin out) {
        double[] max = new double[Trial.MODELS];
        for (int m : Trial.LISTED)
            for (double v : out.ref().toDoubleArray(m)) max[m] = Math.max(max[m], Math.abs(v));
        return (m, r, c) -> Rules.ATTENTION * max[m];
    }

    /** Rows with a mean away from 0 (every row its own offset, column 0 more), each model its own spread. */
    private static void layerNorm(Trial t) {
        int rows = 70, cols = 20;
        Twin x = t.input(rows, cols, (m, r, c) -> t.gauss(2 + m) + 0.1 * r + (c == 0 ? 3 : 0));
        Twin y = t.output(rows, cols), rstd = t.output(rows, 1);
        t.run((be, r) -> be.layerNorm(x.of(r), y.of(r), rstd.of(r), 1e-5, Trial.LISTED), y, rstd);
        t.compare("layerNorm y", y, largest(y));
        t.compare("layerNorm rstd", rstd, largest(rstd));
    }

    /** The backward from a forward's y and rstd (computed in double, then rounded to float). */
    private static Case layerNormBackward(boolean withAdd) {
        String name = withAdd ? "layerNormBackward + add" : "layerNormBackward";
        return new Case("layerNormBackward", name, LARGEST, t -> {
            int rows = 70, cols = 20;
            double[][][] ys = new double[Trial.MODELS][rows][cols], rs = new double[Trial.MODELS][rows][1];
            for (int m : Trial.LISTED)
                for (int i = 0; i < rows; i++) {
                    double[] x = new double[cols];
                    double mean = 0, var = 0;
                    for (int c = 0; c < cols; c++) mean += x[c] = (float) (t.gauss(2) + (c == 0 ? 3 : 0));
                    mean /= cols;
                    for (double v : x) var += (v - mean) * (v - mean);
                    rs[m][i][0] = 1 / Math.sqrt(var / cols + 1e-5);
                    for (int c = 0; c < cols; c++) ys[m][i][c] = (x[c] - mean) * rs[m][i][0];
                }
            Twin y = t.input(rows, cols, (m, r, c) -> ys[m][r][c]), rstd = t.input(rows, 1, (m, r, c) -> rs[m][r][c]);
            Twin g = t.gaussian(rows, cols, 1), add = withAdd ? t.gaussian(rows, cols, 1) : null;
            t.run((be, r) -> be.layerNormBackward(y.of(r), rstd.of(r), g.of(r), add == null ? null : add.of(r), Trial.LISTED), g);
            t.compare(name, g, largest(g));
        });
    }

    private static void tokenRows(Trial t) {
        Twin e = t.gaussian(P + 1, D, 1), pos = t.gaussian(3, D, 1), x = t.output(2 * P + 1, D);
        t.run((be, r) -> be.tokenRows(e.of(r), pos.of(r), P, x.of(r), Trial.LISTED), x);
        t.compare("tokenRows", x, (m, r, c) -> Rules.U * Math.abs(x.at(m, r, c)));
    }

    private static void tokenRowsBackward(Trial t) {
        Twin dx = t.gaussian(2 * P + 1, D, 1), extra = t.gaussian(1, D, 1), dE = t.output(P + 1, D), dPos = t.output(3, D);
        t.run((be, r) -> be.tokenRowsBackward(dx.of(r), extra.of(r), P, dE.of(r), dPos.of(r), Trial.LISTED), dE, dPos);
        // dE[t] = dx[t] + dx[p + t]; dE[p] = dPos[2] = dx[2p] + extra; dPos[0], dPos[1] sum p rows each
        t.compare("tokenRowsBackward dE", dE, (m, tok, c) -> Rules.SUM * (tok < P ? Math.abs(dx.at(m, tok, c)) + Math.abs(dx.at(m, P + tok, c))
                : Math.abs(dx.at(m, 2 * P, c)) + Math.abs(extra.at(m, 0, c))));
        t.compare("tokenRowsBackward dPos", dPos, (m, pos, c) -> {
            if (pos == 2) return Rules.SUM * (Math.abs(dx.at(m, 2 * P, c)) + Math.abs(extra.at(m, 0, c)));
            double s = 0;
            for (int tok = 0; tok < P; tok++) s += Math.abs(dx.at(m, pos * P + tok, c));
            return Rules.SUM * s;
        });
    }

    private static final int PA = 37, HEADS = 3, DH = 5, DA = HEADS * DH, TABLE = 2 * PA + 1, N = 100;

    private static void attentionScores(Trial t) {
        Twin q = t.gaussian(1, DA, 1), keys = t.gaussian(TABLE, DA, 1), scores = t.output(TABLE, HEADS);
        t.run((be, r) -> be.attentionScores(q.of(r), keys.of(r), HEADS, scores.of(r), Trial.LISTED), scores);
        t.compare("attentionScores", scores, largest(scores));
    }

    private static void attentionScoresBackward(Trial t) {
        Twin q = t.gaussian(1, DA, 1), keys = t.gaussian(TABLE, DA, 1), dScores = t.gaussian(TABLE, HEADS, 1);
        Twin dq = t.output(1, DA), dKeys = t.output(TABLE, DA);
        t.run((be, r) -> be.attentionScoresBackward(q.of(r), keys.of(r), dScores.of(r), HEADS, dq.of(r), dKeys.of(r), Trial.LISTED), dq, dKeys);
        t.compare("attentionScoresBackward dq", dq, largest(dq));
        t.compare("attentionScoresBackward dKeys", dKeys, largest(dKeys));
    }

    private static void attentionForward(Trial t) {
        Twin scores = t.gaussian(TABLE, HEADS, 1.5), values = t.gaussian(TABLE, DA, 1);
        Twin att = t.output(N, 3 * HEADS), out = t.output(N, DA);
        int[][] pairs = GeluCases.pairs(t, PA, N);
        t.run((be, r) -> be.attentionForward(scores.of(r), values.of(r), pairs, PA, HEADS, att.of(r), out.of(r), Trial.LISTED), att, out);
        t.compare("attentionForward α", att, largest(att));
        t.compare("attentionForward out", out, largest(out));
    }

    /** α as a forward pass leaves it: per example and head a softmax over the three positions. */
    private static void attentionBackward(Trial t) {
        Twin att = t.input(N, 3 * HEADS, (m, i, c) -> 0);
        for (int m : Trial.LISTED) {
            double[][] a = new double[N][3 * HEADS];
            for (int i = 0; i < N; i++)
                for (int h = 0; h < HEADS; h++) {
                    double sum = 0;
                    for (int k = 0; k < 3; k++) sum += a[i][3 * h + k] = Math.exp(t.gauss(1.5));
                    for (int k = 0; k < 3; k++) a[i][3 * h + k] /= sum;
                }
            t.fill(att, m, (mm, i, c) -> a[i][c]);
        }
        Twin dOut = t.gaussian(N, DA, 1), values = t.gaussian(TABLE, DA, 1);
        Twin dScores = t.output(TABLE, HEADS), dValues = t.output(TABLE, DA);
        int[][] pairs = GeluCases.pairs(t, PA, N);
        t.run((be, r) -> be.attentionBackward(dOut.of(r), att.of(r), values.of(r), pairs, PA, HEADS, dScores.of(r), dValues.of(r), Trial.LISTED),
                dScores, dValues);
        t.compare("attentionBackward dScores", dScores, largest(dScores));
        t.compare("attentionBackward dValues", dValues, largest(dValues));
    }
}
