package dev.normclock.backend.cpu;

import static dev.normclock.backend.cpu.PopulationArrays.fillGaussian;
import static dev.normclock.backend.cpu.PopulationArrays.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.normclock.backend.Tensor;
import dev.normclock.reference.ReferenceMlp;

/**
 * The attention model's CpuBackend primitives against plain double-precision references computed
 * from the same float inputs: LayerNorm rows forward and backward, the token rows and their
 * backward, the score table and its backward, the 3-token attention and its backward, GELU, and
 * the element-wise copy / row broadcast / product. Two of three slots are active; the third must
 * stay untouched. Errors are measured against 1e-5 of the largest magnitude of each output (or,
 * for exact operations, must be exactly 0).
 */
class AttentionPrimitivesTest {
    static final Map<String, Double> WORST = new TreeMap<>();
    static final int[] ACTIVE = {0, 2};

    @AfterAll
    static void report() {
        System.out.println("Attention primitives vs double references, worst |err| / (1e-5·max|ref|):");
        WORST.forEach((k, v) -> System.out.printf("  %-40s %.3e%n", k, v));
    }

    static void check(double[] got, double[] ref, String what) {
        double max = 0;
        for (double x : ref) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]) / (1e-5 * Math.max(max, 1e-30));
            WORST.merge(what, err, Math::max);
            assertTrue(err <= 1, what + "[" + i + "]: " + got[i] + " vs " + ref[i]);
        }
    }

    static void untouched(Tensor t, float[] before, String what) {
        PopulationArrays.assertRawEquals(before, t, 1, what);
    }

    @Test
    void layerNormForwardAndBackward() {
        int rows = 70, cols = 20;
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared(); CpuBackend be = new CpuBackend(2)) {
            Tensor x = Tensor.allocate(arena, 3, rows, cols), y = Tensor.allocate(arena, 3, rows, cols), rstd = Tensor.allocate(arena, 3, rows, 1);
            Tensor g = Tensor.allocate(arena, 3, rows, cols), add = Tensor.allocate(arena, 3, rows, cols);
            double[][] xs = new double[3][], gs = new double[3][], adds = new double[3][];
            for (int m = 0; m < 3; m++) {
                xs[m] = fillGaussian(x, m, rnd, 2.0);
                for (int i = 0; i < rows; i++) x.set(m, i, 0, x.get(m, i, 0) + 3f); // a mean away from 0
                xs[m] = read(x, m);
                gs[m] = fillGaussian(g, m, rnd, 1.0);
                adds[m] = fillGaussian(add, m, rnd, 1.0);
            }
            PopulationArrays.fillRaw(y, 1, 7f);
            float[] yBefore = PopulationArrays.rawBlock(y, 1);
            be.layerNorm(x, y, rstd, 1e-5f, ACTIVE);
            untouched(y, yBefore, "layerNorm");
            for (int m : ACTIVE) {
                double[] refY = new double[rows * cols], refR = new double[rows];
                for (int i = 0; i < rows; i++) {
                    double mean = 0, var = 0;
                    for (int c = 0; c < cols; c++) mean += xs[m][i * cols + c];
                    mean /= cols;
                    for (int c = 0; c < cols; c++) var += Math.pow(xs[m][i * cols + c] - mean, 2);
                    var /= cols;
                    refR[i] = 1 / Math.sqrt(var + 1e-5);
                    for (int c = 0; c < cols; c++) refY[i * cols + c] = (xs[m][i * cols + c] - mean) * refR[i];
                }
                check(read(y, m), refY, "layerNorm y");
                check(read(rstd, m), refR, "layerNorm rstd");
                PopulationArrays.assertPaddingZero(y, m, "layerNorm");
            }
            double[][] ys = {read(y, 0), null, read(y, 2)}, rs = {read(rstd, 0), null, read(rstd, 2)};
            for (boolean withAdd : new boolean[]{false, true}) {
                for (int m : ACTIVE) g.fromArray(m, toFloat(gs[m]));
                be.layerNormBackward(y, rstd, g, withAdd ? add : null, ACTIVE);
                for (int m : ACTIVE) {
                    double[] ref = new double[rows * cols];
                    for (int i = 0; i < rows; i++) {
                        double mg = 0, mgy = 0;
                        for (int c = 0; c < cols; c++) {
                            mg += gs[m][i * cols + c];
                            mgy += gs[m][i * cols + c] * ys[m][i * cols + c];
                        }
                        mg /= cols;
                        mgy /= cols;
                        for (int c = 0; c < cols; c++)
                            ref[i * cols + c] = rs[m][i] * (gs[m][i * cols + c] - mg - ys[m][i * cols + c] * mgy) + (withAdd ? adds[m][i * cols + c] : 0);
                    }
                    check(read(g, m), ref, "layerNormBackward" + (withAdd ? " + add" : ""));
                }
            }
        }
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test
    void tokenRowsAndBackward() {
        int p = 9, d = 18;
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofShared(); CpuBackend be = new CpuBackend(2)) {
            Tensor e = Tensor.allocate(arena, 3, p + 1, d), pos = Tensor.allocate(arena, 3, 3, d), x = Tensor.allocate(arena, 3, 2 * p + 1, d);
            Tensor dx = Tensor.allocate(arena, 3, 2 * p + 1, d), extra = Tensor.allocate(arena, 3, 1, d);
            Tensor dE = Tensor.allocate(arena, 3, p + 1, d), dPos = Tensor.allocate(arena, 3, 3, d);
            double[][] es = new double[3][], ps = new double[3][], dxs = new double[3][], ex = new double[3][];
            for (int m = 0; m < 3; m++) {
                es[m] = fillGaussian(e, m, rnd, 1);
                ps[m] = fillGaussian(pos, m, rnd, 1);
                dxs[m] = fillGaussian(dx, m, rnd, 1);
                ex[m] = fillGaussian(extra, m, rnd, 1);
            }
            be.tokenRows(e, pos, p, x, ACTIVE);
            be.tokenRowsBackward(dx, extra, p, dE, dPos, ACTIVE);
            for (int m : ACTIVE) {
                double[] refX = new double[(2 * p + 1) * d], refE = new double[(p + 1) * d], refPos = new double[3 * d];
                for (int r = 0; r <= 2 * p; r++) {
                    int tok = r < p ? r : r < 2 * p ? r - p : p, t = r < p ? 0 : r < 2 * p ? 1 : 2;
                    for (int c = 0; c < d; c++) {
                        refX[r * d + c] = (float) (es[m][tok * d + c] + ps[m][t * d + c]);
                        double gr = dxs[m][r * d + c] + (r == 2 * p ? ex[m][c] : 0);
                        refE[tok * d + c] += gr;
                        refPos[t * d + c] += gr;
                    }
                }
                check(read(x, m), refX, "tokenRows");
                check(read(dE, m), refE, "tokenRowsBackward dE");
                check(read(dPos, m), refPos, "tokenRowsBackward dPos");
            }
        }
    }

    @Test
    void attentionScoresForwardAndBackward() {
        int p = 37, heads = 3, dh = 5, d = heads * dh, rows = 2 * p + 1;
        double scale = 1 / Math.sqrt(dh);
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared(); CpuBackend be = new CpuBackend(2)) {
            Tensor q = Tensor.allocate(arena, 3, 1, d), k = Tensor.allocate(arena, 3, rows, d), v = Tensor.allocate(arena, 3, rows, d);
            Tensor s = Tensor.allocate(arena, 3, rows, heads), ds = Tensor.allocate(arena, 3, rows, heads);
            Tensor dq = Tensor.allocate(arena, 3, 1, d), dk = Tensor.allocate(arena, 3, rows, d), dv = Tensor.allocate(arena, 3, rows, d);
            int[][] pairs = new int[3][];
            int n = 100;
            Tensor att = Tensor.allocate(arena, 3, n, 3 * heads), out = Tensor.allocate(arena, 3, n, d), dOut = Tensor.allocate(arena, 3, n, d);
            double[][] qs = new double[3][], ks = new double[3][], vs = new double[3][], dOuts = new double[3][];
            for (int m = 0; m < 3; m++) {
                qs[m] = fillGaussian(q, m, rnd, 1);
                ks[m] = fillGaussian(k, m, rnd, 1);
                vs[m] = fillGaussian(v, m, rnd, 1);
                dOuts[m] = fillGaussian(dOut, m, rnd, 1);
                pairs[m] = new int[n];
                for (int i = 0; i < n; i++) pairs[m][i] = rnd.nextInt(p * p);
            }
            be.attentionScores(q, k, heads, s, ACTIVE);
            be.attentionForward(s, v, pairs, p, heads, att, out, ACTIVE);
            be.attentionBackward(dOut, att, v, pairs, p, heads, ds, dv, ACTIVE);
            be.attentionScoresBackward(q, k, ds, heads, dq, dk, ACTIVE);
            for (int m : ACTIVE) {
                double[] refS = new double[rows * heads];
                for (int r = 0; r < rows; r++)
                    for (int h = 0; h < heads; h++) {
                        double dot = 0;
                        for (int c = h * dh; c < (h + 1) * dh; c++) dot += qs[m][c] * ks[m][r * d + c];
                        refS[r * heads + h] = dot * scale;
                    }
                double[] sGot = read(s, m);
                check(sGot, refS, "attentionScores");
                // forward and backward per example from the float score table
                double[] refAtt = new double[n * 3 * heads], refOut = new double[n * d], refDs = new double[rows * heads], refDv = new double[rows * d];
                double[] attGot = read(att, m);
                for (int i = 0; i < n; i++) {
                    int[] row = {pairs[m][i] / p, p + pairs[m][i] % p, 2 * p};
                    for (int h = 0; h < heads; h++) {
                        double[] e = new double[3], a = new double[3], dA = new double[3];
                        double mx = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int t = 0; t < 3; t++) mx = Math.max(mx, sGot[row[t] * heads + h]);
                        for (int t = 0; t < 3; t++) sum += e[t] = Math.exp(sGot[row[t] * heads + h] - mx);
                        for (int t = 0; t < 3; t++) refAtt[i * 3 * heads + 3 * h + t] = a[t] = e[t] / sum;
                        double mean = 0;
                        for (int t = 0; t < 3; t++) {
                            for (int c = h * dh; c < (h + 1) * dh; c++) {
                                refOut[i * d + c] += a[t] * vs[m][row[t] * d + c];
                                dA[t] += dOuts[m][i * d + c] * vs[m][row[t] * d + c];
                                refDv[row[t] * d + c] += a[t] * dOuts[m][i * d + c];
                            }
                            mean += a[t] * dA[t];
                        }
                        for (int t = 0; t < 3; t++) refDs[row[t] * heads + h] += a[t] * (dA[t] - mean);
                    }
                }
                check(attGot, refAtt, "attentionForward α");
                check(read(out, m), refOut, "attentionForward out");
                check(read(dv, m), refDv, "attentionBackward dValues");
                double[] dsGot = read(ds, m);
                check(dsGot, refDs, "attentionBackward dScores");
                double[] refDq = new double[d], refDk = new double[rows * d];
                for (int r = 0; r < rows; r++)
                    for (int h = 0; h < heads; h++)
                        for (int c = h * dh; c < (h + 1) * dh; c++) {
                            refDq[c] += dsGot[r * heads + h] * scale * ks[m][r * d + c];
                            refDk[r * d + c] = dsGot[r * heads + h] * scale * qs[m][c];
                        }
                check(read(dq, m), refDq, "attentionScoresBackward dq");
                check(read(dk, m), refDk, "attentionScoresBackward dKeys");
            }
        }
    }

    @Test
    void geluAndElementwise() {
        int rows = 80, cols = 21;
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared(); CpuBackend be = new CpuBackend(2)) {
            Tensor x = Tensor.allocate(arena, 3, rows, cols), act = Tensor.allocate(arena, 3, rows, cols), slope = Tensor.allocate(arena, 3, rows, cols);
            Tensor y = Tensor.allocate(arena, 3, rows, cols), row = Tensor.allocate(arena, 3, 1, cols), c = Tensor.allocate(arena, 3, rows, cols);
            double[][] xs = new double[3][], ys = new double[3][], rs = new double[3][];
            for (int m = 0; m < 3; m++) {
                xs[m] = fillGaussian(x, m, rnd, 3);
                ys[m] = fillGaussian(y, m, rnd, 1);
                rs[m] = fillGaussian(row, m, rnd, 1);
            }
            be.gelu(x, act, slope, ACTIVE);
            be.copy(x, c, ACTIVE);
            for (int m : ACTIVE) {
                double[] refA = new double[rows * cols], refS = new double[rows * cols];
                for (int i = 0; i < refA.length; i++) {
                    refA[i] = ReferenceMlp.gelu(xs[m][i]);
                    refS[i] = ReferenceMlp.geluDerivative(xs[m][i]);
                }
                check(read(act, m), refA, "gelu");
                check(read(slope, m), refS, "gelu slope");
                PopulationArrays.assertPaddingZero(slope, m, "gelu slope");
                double[] got = read(c, m);
                for (int i = 0; i < got.length; i++) assertEquals(xs[m][i], got[i], 0.0, "copy");
            }
            be.addRow(c, row, ACTIVE);
            be.multiply(c, y, ACTIVE);
            for (int m : ACTIVE) {
                double[] got = read(c, m);
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++)
                        assertEquals((float) ((float) (xs[m][i * cols + j] + rs[m][j]) * ys[m][i * cols + j]), got[i * cols + j], 0.0, "addRow, multiply");
            }
            be.gelu(x, x, null, ACTIVE); // in place
            for (int m : ACTIVE) {
                double[] got = read(x, m), want = read(act, m);
                for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 0.0, "gelu in place");
            }
        }
    }
}
