package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar inner loops of the attention model's primitives (one row, or one model's tables, per
 * call; indices in floats). Reductions accumulate in double in a fixed order and every operation
 * is exactly rounded — exp is {@link StrictMath#exp}, the same bits interpreted or compiled — so
 * results never depend on threads or JIT timing. These loops are small next to the model's GEMMs
 * (the per-example work is O(d), the GEMMs O(d·mlp)).
 */
final class AttentionKernels {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private AttentionKernels() {
    }

    /** y = (x − mean)·rstd over cols floats; returns rstd = 1/√(var + eps). */
    static float layerNorm(MemorySegment x, long ix, MemorySegment y, long iy, int cols, float eps) {
        double mean = 0;
        for (int c = 0; c < cols; c++) mean += x.getAtIndex(F, ix + c);
        mean /= cols;
        double var = 0;
        for (int c = 0; c < cols; c++) {
            double u = x.getAtIndex(F, ix + c) - mean;
            var += u * u;
        }
        var /= cols;
        double rstd = 1 / Math.sqrt(var + eps);
        for (int c = 0; c < cols; c++) y.setAtIndex(F, iy + c, (float) ((x.getAtIndex(F, ix + c) - mean) * rstd));
        return (float) rstd;
    }

    /** g ← rstd·(g − mean(g) − y·mean(g⊙y)) (+ add) over cols floats. */
    static void layerNormBackward(MemorySegment y, long iy, float rstd, MemorySegment g, long ig, MemorySegment add, long ia, int cols) {
        double mg = 0, mgy = 0;
        for (int c = 0; c < cols; c++) {
            double gc = g.getAtIndex(F, ig + c);
            mg += gc;
            mgy += gc * y.getAtIndex(F, iy + c);
        }
        mg /= cols;
        mgy /= cols;
        for (int c = 0; c < cols; c++) {
            double v = rstd * (g.getAtIndex(F, ig + c) - mg - y.getAtIndex(F, iy + c) * mgy);
            if (add != null) v += add.getAtIndex(F, ia + c);
            g.setAtIndex(F, ig + c, (float) v);
        }
    }

    /** scores[r, h] = q_h·keys[r]_h·scale for rows r. */
    static void scores(MemorySegment q, long iq, MemorySegment k, long ik, int ldk, int rows, int heads, int dh, double scale,
                       MemorySegment s, long is, int lds) {
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++) {
                double dot = 0;
                long kr = ik + (long) r * ldk + h * dh;
                for (int c = 0; c < dh; c++) dot += (double) q.getAtIndex(F, iq + h * dh + c) * k.getAtIndex(F, kr + c);
                s.setAtIndex(F, is + (long) r * lds + h, (float) (dot * scale));
            }
    }

    /** dKeys[r]_h = dS[r, h]·q_h·scale, dq_h = Σ_r dS[r, h]·keys[r]_h·scale. */
    static void scoresBackward(MemorySegment q, long iq, MemorySegment k, long ik, int ldk, MemorySegment ds, long ids, int ldds,
                               int rows, int heads, int dh, double scale, MemorySegment dq, long idq, MemorySegment dk, long idk, int lddk) {
        double[] acc = new double[heads * dh];
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++) {
                double g = ds.getAtIndex(F, ids + (long) r * ldds + h) * scale;
                long kr = ik + (long) r * ldk + h * dh, dkr = idk + (long) r * lddk + h * dh;
                for (int c = 0; c < dh; c++) {
                    acc[h * dh + c] += g * k.getAtIndex(F, kr + c);
                    dk.setAtIndex(F, dkr + c, (float) (g * q.getAtIndex(F, iq + h * dh + c)));
                }
            }
        for (int c = 0; c < heads * dh; c++) dq.setAtIndex(F, idq + c, (float) acc[c]);
    }

    /** One example: rows (ra, rb, rc) of the tables; α into att (3·heads), out (d). */
    static void attend(MemorySegment s, long is, int lds, MemorySegment v, long iv, int ldv, int ra, int rb, int rc, int heads, int dh,
                       MemorySegment att, long iatt, MemorySegment out, long iout) {
        long sa = is + (long) ra * lds, sb = is + (long) rb * lds, sc = is + (long) rc * lds;
        long va = iv + (long) ra * ldv, vb = iv + (long) rb * ldv, vc = iv + (long) rc * ldv;
        for (int h = 0; h < heads; h++) {
            double s0 = s.getAtIndex(F, sa + h), s1 = s.getAtIndex(F, sb + h), s2 = s.getAtIndex(F, sc + h);
            double mx = Math.max(s0, Math.max(s1, s2));
            double e0 = StrictMath.exp(s0 - mx), e1 = StrictMath.exp(s1 - mx), e2 = StrictMath.exp(s2 - mx), sum = e0 + e1 + e2;
            float a0 = (float) (e0 / sum), a1 = (float) (e1 / sum), a2 = (float) (e2 / sum);
            att.setAtIndex(F, iatt + 3 * h, a0);
            att.setAtIndex(F, iatt + 3 * h + 1, a1);
            att.setAtIndex(F, iatt + 3 * h + 2, a2);
            for (int c = h * dh; c < (h + 1) * dh; c++)
                out.setAtIndex(F, iout + c, (float) ((double) a0 * v.getAtIndex(F, va + c) + (double) a1 * v.getAtIndex(F, vb + c)
                        + (double) a2 * v.getAtIndex(F, vc + c)));
        }
    }

    /**
     * One model's attention backward over all its examples in order: dScores (rows × heads) and
     * dValues (rows × d) accumulated in double, then stored.
     */
    static void attendBackward(MemorySegment dOut, long idO, int ldO, MemorySegment att, long iatt, int ldatt,
                               MemorySegment v, long iv, int ldv, int[] pairs, int p, int heads, int dh,
                               MemorySegment ds, long ids, int ldds, MemorySegment dv, long idv, int lddv) {
        int rows = 2 * p + 1, d = heads * dh;
        double[] gs = new double[rows * heads], gv = new double[rows * d];
        int[] row = new int[3];
        double[] dAtt = new double[3], a = new double[3];
        for (int i = 0; i < pairs.length; i++) {
            row[0] = pairs[i] / p;
            row[1] = p + pairs[i] % p;
            row[2] = 2 * p;
            long o = idO + (long) i * ldO, at = iatt + (long) i * ldatt;
            for (int h = 0; h < heads; h++) {
                double mean = 0;
                for (int t = 0; t < 3; t++) {
                    a[t] = att.getAtIndex(F, at + 3 * h + t);
                    long vr = iv + (long) row[t] * ldv;
                    double dot = 0;
                    int gvr = row[t] * d;
                    for (int c = h * dh; c < (h + 1) * dh; c++) {
                        double g = dOut.getAtIndex(F, o + c);
                        dot += g * v.getAtIndex(F, vr + c);
                        gv[gvr + c] += a[t] * g;
                    }
                    dAtt[t] = dot;
                    mean += a[t] * dot;
                }
                for (int t = 0; t < 3; t++) gs[row[t] * heads + h] += a[t] * (dAtt[t] - mean);
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) ds.setAtIndex(F, ids + (long) r * ldds + h, (float) gs[r * heads + h]);
            for (int c = 0; c < d; c++) dv.setAtIndex(F, idv + (long) r * lddv + c, (float) gv[r * d + c]);
        }
    }
}
