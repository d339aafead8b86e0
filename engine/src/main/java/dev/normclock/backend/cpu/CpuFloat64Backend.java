package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.WorkPool;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend in double precision: Paper B's precision audit. Every primitive does in double
 * what {@link CpuBackend} does in float (the exact erf-based GELU included, through
 * {@link DoubleErfc}), on float64 tensors. It is written for clarity rather than speed: plain
 * loops, with the Vector API only where the step spends its time: the GEMM and the GELU's erfc
 * (computed one value at a time, the erfc took most of a step at p = 59). Every output element
 * belongs to one task and every sum runs in a fixed order, so results are the same bits for any
 * thread count, as on the float backend.
 *
 * <p>Hyperparameters (learning rate, weight decay, τ, the loss's 1/n) arrive as the same float
 * values the float32 backend gets, so that a float32/float64 comparison differs in its arithmetic
 * alone. Per-row losses are reported as floats: a double loss that is positive but below the
 * smallest float is reported as that smallest float, so a row counts as softmax-collapsed (loss
 * exactly 0) only when it is collapsed in double.
 */
public final class CpuFloat64Backend implements Backend {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;
    private static final int ROW_CHUNK = 32;
    /** Columns of C one GEMM pass keeps in registers. */
    private static final int GEMM_COLS = 4 * L;
    private static final double SQRT_HALF = Math.sqrt(0.5), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private final WorkPool pool;

    public CpuFloat64Backend(int threads) {
        this.pool = new WorkPool(threads);
    }

    @Override
    public String name() {
        return "cpu-float64";
    }

    @Override
    public Precision precision() {
        return Precision.FLOAT64;
    }

    @Override
    public int parallelism() {
        return pool.threads();
    }

    private static double get(Tensor t, long index) {
        return t.seg.getAtIndex(D, index);
    }

    private static void put(Tensor t, long index, double v) {
        t.seg.setAtIndex(D, index, v);
    }

    private void rowChunks(int rows, int[] models, WorkPool.RowTask body) {
        pool.forEachRowChunk(rows, ROW_CHUNK, models, body);
    }

    private void eachModel(int[] models, java.util.function.IntConsumer body) {
        pool.forEach(models.length, (task, w) -> body.accept(models[task]));
    }

    private static void check(Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && t.precision != Precision.FLOAT64)
                throw new IllegalArgumentException("the float64 backend was given a " + t.precision.label() + " tensor");
    }

    // ------------------------------------------------------------------------------------------
    // GEMM
    // ------------------------------------------------------------------------------------------

    /**
     * Rows of C by blocks of GEMM_COLS columns: the block's accumulators stay in registers while k
     * runs in order, each step an FMA of A[i, k] with row k of B. B's and C's padding columns are
     * zero, so whole vectors over the padded width need no tails.
     */
    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, Tensor c, int k, boolean accumulate, int[] models) {
        check(a, b, c);
        if (b.ld != c.ld) throw new IllegalArgumentException("B and C must share their padded width");
        int n = c.ld;
        long sAi = transposeA ? 1 : a.ld, sAk = transposeA ? a.ld : 1;
        rowChunks(c.rows, models, (model, i0, i1) -> {
            long a0 = a.offset + model * a.modelStride, b0 = b.offset + model * b.modelStride, c0 = c.offset + model * c.modelStride;
            int i = i0;
            // four rows at a time where the columns allow it: each B vector loaded serves four rows
            for (; i + 4 <= i1 && n % GEMM_COLS == 0; i += 4)
                for (int j = 0; j < n; j += GEMM_COLS)
                    gemmRows4(a.seg, a0 + i * sAi, sAi, sAk, b.seg, b0 + j, b.ld, c.seg, c0 + (long) i * c.ld + j, c.ld, k, accumulate);
            for (; i < i1; i++) {
                long ai = a0 + i * sAi, ci = c0 + (long) i * c.ld;
                for (int j = 0; j < n; j += GEMM_COLS) {
                    int width = Math.min(GEMM_COLS, n - j);
                    if (width == GEMM_COLS) gemmBlock4(a.seg, ai, sAk, b.seg, b0 + j, b.ld, c.seg, ci + j, k, accumulate);
                    else for (int v = 0; v < width; v += L) gemmBlock1(a.seg, ai, sAk, b.seg, b0 + j + v, b.ld, c.seg, ci + j + v, k, accumulate);
                }
            }
        });
    }

    private static DoubleVector load(MemorySegment c, long byteOffset, boolean accumulate) {
        return accumulate ? DoubleVector.fromMemorySegment(S, c, byteOffset, NO) : DoubleVector.zero(S);
    }

    /** Four rows × GEMM_COLS columns of C; each element sums its k terms in order, as {@link #gemmBlock4} does. */
    private static void gemmRows4(MemorySegment a, long ai, long sAi, long sAk, MemorySegment b, long bj, int ldb, MemorySegment c, long cj,
                                  int ldc, int k, boolean accumulate) {
        long c0 = cj * 8, c1 = (cj + ldc) * 8, c2 = (cj + 2L * ldc) * 8, c3 = (cj + 3L * ldc) * 8, w = L * 8L;
        DoubleVector s00 = load(c, c0, accumulate), s01 = load(c, c0 + w, accumulate), s02 = load(c, c0 + 2 * w, accumulate), s03 = load(c, c0 + 3 * w, accumulate);
        DoubleVector s10 = load(c, c1, accumulate), s11 = load(c, c1 + w, accumulate), s12 = load(c, c1 + 2 * w, accumulate), s13 = load(c, c1 + 3 * w, accumulate);
        DoubleVector s20 = load(c, c2, accumulate), s21 = load(c, c2 + w, accumulate), s22 = load(c, c2 + 2 * w, accumulate), s23 = load(c, c2 + 3 * w, accumulate);
        DoubleVector s30 = load(c, c3, accumulate), s31 = load(c, c3 + w, accumulate), s32 = load(c, c3 + 2 * w, accumulate), s33 = load(c, c3 + 3 * w, accumulate);
        for (int kk = 0; kk < k; kk++) {
            long bk = (bj + (long) kk * ldb) * 8, ak = ai + kk * sAk;
            DoubleVector b0 = DoubleVector.fromMemorySegment(S, b, bk, NO), b1 = DoubleVector.fromMemorySegment(S, b, bk + L * 8L, NO);
            DoubleVector b2 = DoubleVector.fromMemorySegment(S, b, bk + 2 * L * 8L, NO), b3 = DoubleVector.fromMemorySegment(S, b, bk + 3 * L * 8L, NO);
            DoubleVector x = DoubleVector.broadcast(S, a.getAtIndex(D, ak));
            s00 = b0.fma(x, s00); s01 = b1.fma(x, s01); s02 = b2.fma(x, s02); s03 = b3.fma(x, s03);
            x = DoubleVector.broadcast(S, a.getAtIndex(D, ak + sAi));
            s10 = b0.fma(x, s10); s11 = b1.fma(x, s11); s12 = b2.fma(x, s12); s13 = b3.fma(x, s13);
            x = DoubleVector.broadcast(S, a.getAtIndex(D, ak + 2 * sAi));
            s20 = b0.fma(x, s20); s21 = b1.fma(x, s21); s22 = b2.fma(x, s22); s23 = b3.fma(x, s23);
            x = DoubleVector.broadcast(S, a.getAtIndex(D, ak + 3 * sAi));
            s30 = b0.fma(x, s30); s31 = b1.fma(x, s31); s32 = b2.fma(x, s32); s33 = b3.fma(x, s33);
        }
        s00.intoMemorySegment(c, c0, NO); s01.intoMemorySegment(c, c0 + w, NO); s02.intoMemorySegment(c, c0 + 2 * w, NO); s03.intoMemorySegment(c, c0 + 3 * w, NO);
        s10.intoMemorySegment(c, c1, NO); s11.intoMemorySegment(c, c1 + w, NO); s12.intoMemorySegment(c, c1 + 2 * w, NO); s13.intoMemorySegment(c, c1 + 3 * w, NO);
        s20.intoMemorySegment(c, c2, NO); s21.intoMemorySegment(c, c2 + w, NO); s22.intoMemorySegment(c, c2 + 2 * w, NO); s23.intoMemorySegment(c, c2 + 3 * w, NO);
        s30.intoMemorySegment(c, c3, NO); s31.intoMemorySegment(c, c3 + w, NO); s32.intoMemorySegment(c, c3 + 2 * w, NO); s33.intoMemorySegment(c, c3 + 3 * w, NO);
    }

    private static void gemmBlock4(MemorySegment a, long ai, long sAk, MemorySegment b, long bj, int ldb, MemorySegment c, long cj,
                                   int k, boolean accumulate) {
        DoubleVector s0, s1, s2, s3;
        if (accumulate) {
            s0 = DoubleVector.fromMemorySegment(S, c, cj * 8, NO);
            s1 = DoubleVector.fromMemorySegment(S, c, (cj + L) * 8, NO);
            s2 = DoubleVector.fromMemorySegment(S, c, (cj + 2 * L) * 8, NO);
            s3 = DoubleVector.fromMemorySegment(S, c, (cj + 3 * L) * 8, NO);
        } else {
            s0 = s1 = s2 = s3 = DoubleVector.zero(S);
        }
        for (int kk = 0; kk < k; kk++) {
            DoubleVector x = DoubleVector.broadcast(S, a.getAtIndex(D, ai + kk * sAk));
            long bk = (bj + (long) kk * ldb) * 8;
            s0 = DoubleVector.fromMemorySegment(S, b, bk, NO).fma(x, s0);
            s1 = DoubleVector.fromMemorySegment(S, b, bk + L * 8L, NO).fma(x, s1);
            s2 = DoubleVector.fromMemorySegment(S, b, bk + 2 * L * 8L, NO).fma(x, s2);
            s3 = DoubleVector.fromMemorySegment(S, b, bk + 3 * L * 8L, NO).fma(x, s3);
        }
        s0.intoMemorySegment(c, cj * 8, NO);
        s1.intoMemorySegment(c, (cj + L) * 8, NO);
        s2.intoMemorySegment(c, (cj + 2 * L) * 8, NO);
        s3.intoMemorySegment(c, (cj + 3 * L) * 8, NO);
    }

    private static void gemmBlock1(MemorySegment a, long ai, long sAk, MemorySegment b, long bj, int ldb, MemorySegment c, long cj,
                                   int k, boolean accumulate) {
        DoubleVector s = accumulate ? DoubleVector.fromMemorySegment(S, c, cj * 8, NO) : DoubleVector.zero(S);
        for (int kk = 0; kk < k; kk++) {
            DoubleVector x = DoubleVector.broadcast(S, a.getAtIndex(D, ai + kk * sAk));
            s = DoubleVector.fromMemorySegment(S, b, (bj + (long) kk * ldb) * 8, NO).fma(x, s);
        }
        s.intoMemorySegment(c, cj * 8, NO);
    }

    @Override
    public void transpose(Tensor src, Tensor dst, int[] models) {
        check(src, dst);
        eachModel(models, model -> {
            for (int r = 0; r < src.rows; r++)
                for (int c = 0; c < src.cols; c++) put(dst, dst.at(model, c, r), get(src, src.at(model, r, c)));
        });
    }

    // ------------------------------------------------------------------------------------------
    // GELU
    // ------------------------------------------------------------------------------------------

    /** GELU(x) = x·Φ(x), Φ(x) = erfc(−x/√2)/2. */
    static double gelu(double x) {
        return 0.5 * x * DoubleErfc.erfc(-x * SQRT_HALF);
    }

    /** GELU'(x) = Φ(x) + x·φ(x). */
    static double geluSlope(double x) {
        return 0.5 * DoubleErfc.erfc(-x * SQRT_HALF) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    /** One row: act = GELU(x), slope = GELU'(x) (unless null), x[c] given by the caller. */
    private interface Pre {
        double at(int c);
    }

    /** A row's pre-activations from the caller, written into {@code v} (the chunk's buffer), then the GELU over it. */
    private static void geluRow(Pre x, double[] v, int cols, Tensor act, long actRow, Tensor slope, long slopeRow) {
        for (int c = 0; c < cols; c++) v[c] = x.at(c);
        geluRow(v, cols, act, actRow, slope, slopeRow);
    }

    private static void geluRow(double[] v, int cols, Tensor act, long actRow, Tensor slope, long slopeRow) {
        int c = 0;
        // whole vectors through the vector erfc; the tail (a column count that is not a multiple of
        // the vector length) through the scalar one: a column's arithmetic never depends on the thread
        for (int bound = S.loopBound(cols); c < bound; c += L) {
            DoubleVector pre = DoubleVector.fromArray(S, v, c);
            DoubleVector phi = DoubleErfc.erfc(pre.mul(-SQRT_HALF)).mul(0.5);
            pre.mul(phi).intoMemorySegment(act.seg, (actRow + c) * 8, NO);
            if (slope != null)
                phi.add(pre.mul(INV_SQRT_2PI).mul(pre.mul(-0.5).mul(pre).lanewise(VectorOperators.EXP)))
                        .intoMemorySegment(slope.seg, (slopeRow + c) * 8, NO);
        }
        for (; c < cols; c++) {
            double phi = 0.5 * DoubleErfc.erfc(-v[c] * SQRT_HALF);
            put(act, actRow + c, v[c] * phi);
            if (slope != null) put(slope, slopeRow + c, phi + v[c] * INV_SQRT_2PI * Math.exp(-0.5 * v[c] * v[c]));
        }
    }

    @Override
    public void hiddenForward(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, int[] models) {
        check(pa, pb, bias, act, slope);
        int n = pairs[models[0]].length, cols = act.cols;
        rowChunks(n, models, (model, i0, i1) -> {
            long bRow = bias.rowAt(model, 0);
            double[] v = new double[cols];
            int bound = S.loopBound(cols);
            for (int i = i0; i < i1; i++) {
                long ra = pa.rowAt(model, pairs[model][i] / p), rb = pb.rowAt(model, pairs[model][i] % p);
                // (Pa + Pb) + b1 in that order, in lanes and in the tail alike
                int c = 0;
                for (; c < bound; c += L)
                    DoubleVector.fromMemorySegment(S, pa.seg, (ra + c) * 8, NO).add(DoubleVector.fromMemorySegment(S, pb.seg, (rb + c) * 8, NO))
                            .add(DoubleVector.fromMemorySegment(S, bias.seg, (bRow + c) * 8, NO)).intoArray(v, c);
                for (; c < cols; c++) v[c] = get(pa, ra + c) + get(pb, rb + c) + get(bias, bRow + c);
                geluRow(v, cols, act, act.rowAt(model, i), slope, slope == null ? 0 : slope.rowAt(model, i));
            }
        });
    }

    @Override
    public void hiddenBackward(Tensor dAct, Tensor slope, int[][] pairs, int p, Tensor dPa, Tensor dPb, Tensor dBias, int[] models) {
        check(dAct, slope, dPa, dPb, dBias);
        int cols = slope.cols;
        eachModel(models, model -> {
            dPa.zero(model);
            dPb.zero(model);
            dBias.zero(model);
            long rBias = dBias.rowAt(model, 0);
            int[] pr = pairs[model];
            for (int i = 0; i < pr.length; i++) {
                long ra = dPa.rowAt(model, pr[i] / p), rb = dPb.rowAt(model, pr[i] % p), rd = dAct.rowAt(model, i), rs = slope.rowAt(model, i);
                for (int c = 0; c < cols; c++) {
                    double dx = get(dAct, rd + c) * get(slope, rs + c);
                    put(dPa, ra + c, get(dPa, ra + c) + dx);
                    put(dPb, rb + c, get(dPb, rb + c) + dx);
                    put(dBias, rBias + c, get(dBias, rBias + c) + dx);
                }
            }
        });
    }

    @Override
    public void biasGelu(Tensor pre, Tensor bias, Tensor act, Tensor slope, int[] models) {
        check(pre, bias, act, slope);
        int cols = act.cols;
        rowChunks(pre.rows, models, (model, i0, i1) -> {
            long bRow = bias.rowAt(model, 0);
            double[] v = new double[cols];
            for (int i = i0; i < i1; i++) {
                long r = pre.rowAt(model, i);
                geluRow(c -> get(pre, r + c) + get(bias, bRow + c), v, cols, act, act.rowAt(model, i), slope, slope == null ? 0 : slope.rowAt(model, i));
            }
        });
    }

    @Override
    public void geluBackward(Tensor dAct, Tensor slope, Tensor dPre, int[] models) {
        check(dAct, slope, dPre);
        int cols = dAct.cols;
        rowChunks(dAct.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long rd = dAct.rowAt(model, i), rs = slope.rowAt(model, i), ro = dPre.rowAt(model, i);
                for (int c = 0; c < cols; c++) put(dPre, ro + c, get(dAct, rd + c) * get(slope, rs + c));
            }
        });
    }

    @Override
    public void gelu(Tensor x, Tensor act, Tensor slope, int[] models) {
        check(x, act, slope);
        int cols = act.cols;
        rowChunks(x.rows, models, (model, i0, i1) -> {
            double[] v = new double[cols];
            for (int i = i0; i < i1; i++) {
                long r = x.rowAt(model, i);
                geluRow(c -> get(x, r + c), v, cols, act, act.rowAt(model, i), slope, slope == null ? 0 : slope.rowAt(model, i));
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // Losses
    // ------------------------------------------------------------------------------------------

    /** A double loss as the float the interface reports, never rounding a positive loss to 0 (see the class comment). */
    private static float reported(double loss) {
        float f = (float) loss;
        return f == 0f && loss > 0 ? Float.MIN_VALUE : f;
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        check(logits, bias);
        int n = labels[models[0]].length, classes = logits.cols;
        rowChunks(n, models, (model, i0, i1) -> {
            double tau = temperature[model], g = gradScale[model] / tau;
            long rb = bias.rowAt(model, 0);
            double[] z = new double[classes];
            for (int i = i0; i < i1; i++) {
                int y = labels[model][i], argmax = 0;
                long row = logits.rowAt(model, i);
                double best = Double.NEGATIVE_INFINITY, ss = 0;
                for (int c = 0; c < classes; c++) {
                    double v = get(logits, row + c) + get(bias, rb + c);
                    if (v > best) {
                        best = v;
                        argmax = c;
                    }
                    z[c] = v / tau;
                    ss += z[c] * z[c];
                }
                double mx = best / tau, total = 0, zy = z[y];
                for (int c = 0; c < classes; c++) {
                    z[c] = Math.exp(z[c] - mx);
                    total += z[c];
                }
                // ln Σ exp(z/τ − max) − (z_y/τ − max): exactly 0 only when every other term rounds away
                rowLoss[model][i] = reported(Math.log(total) - (zy - mx));
                rowCorrect[model][i] = argmax == y;
                rowScale[model][i] = (float) Math.sqrt(ss);
                if (gradScale[model] <= 0) continue;
                for (int c = 0; c < classes; c++) put(logits, row + c, (z[c] / total - (c == y ? 1 : 0)) * g);
            }
        });
    }

    @Override
    public void squaredError(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        check(logits, bias);
        int n = labels[models[0]].length, classes = logits.cols;
        rowChunks(n, models, (model, i0, i1) -> {
            double tau = temperature[model], scale = gradScale[model], g = 2 * scale / tau;
            long rb = bias.rowAt(model, 0);
            for (int i = i0; i < i1; i++) {
                int y = labels[model][i], argmax = 0;
                long row = logits.rowAt(model, i);
                double best = Double.NEGATIVE_INFINITY, loss = 0, ss = 0;
                for (int c = 0; c < classes; c++) {
                    double v = get(logits, row + c) + get(bias, rb + c);
                    if (v > best) {
                        best = v;
                        argmax = c;
                    }
                    double zt = v / tau, r = zt - (c == y ? 1 : 0);
                    loss += r * r;
                    ss += zt * zt;
                    if (scale > 0) put(logits, row + c, r * g);
                }
                rowLoss[model][i] = reported(loss);
                rowCorrect[model][i] = argmax == y;
                rowScale[model][i] = (float) Math.sqrt(ss);
            }
        });
    }

    @Override
    public void columnSums(Tensor x, Tensor out, int[] models) {
        check(x, out);
        eachModel(models, model -> {
            for (int c = 0; c < x.cols; c++) {
                double s = 0;
                for (int r = 0; r < x.rows; r++) s += get(x, x.at(model, r, c));
                put(out, out.at(model, 0, c), s);
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // Optimiser and norms
    // ------------------------------------------------------------------------------------------

    @Override
    public void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
                      double[][] sumSquares, int[] models) {
        int tensors = params.length;
        double bc1 = 1 - Math.pow(Hyper.BETA1, step), bc2 = 1 - Math.pow(Hyper.BETA2, step);
        pool.forEach(models.length * tensors, (task, w) -> {
            int model = models[task / tensors], ti = task % tensors;
            Tensor pt = params[ti], gt = grads[ti], mt = m1[ti], vt = m2[ti];
            check(pt, gt, mt, vt);
            double lr = hyper.lr[model], wd = hyper.weightDecay[model];
            boolean decay = decayed[ti] && wd != 0, after = hyper.decayAfter[model];
            double ss = 0;
            for (int r = 0; r < pt.rows; r++) {
                long ip = pt.rowAt(model, r), ig = gt.rowAt(model, r), im = mt.rowAt(model, r), iv = vt.rowAt(model, r);
                for (int c = 0; c < pt.cols; c++) {
                    double wv = get(pt, ip + c), g = get(gt, ig + c);
                    if (decay && !after) wv *= 1 - lr * wd;
                    double mv = Hyper.BETA1 * get(mt, im + c) + (1 - Hyper.BETA1) * g;
                    double vv = Hyper.BETA2 * get(vt, iv + c) + (1 - Hyper.BETA2) * g * g;
                    wv -= lr * (mv / bc1) / (Math.sqrt(vv / bc2) + Hyper.EPS);
                    if (decay && after) wv -= lr * wd * wv;
                    put(mt, im + c, mv);
                    put(vt, iv + c, vv);
                    put(pt, ip + c, wv);
                    ss += wv * wv;
                }
            }
            sumSquares[model][ti] = ss;
        });
    }

    @Override
    public void scale(Tensor[] tensors, double[] factor, int[] models) {
        int count = tensors.length;
        pool.forEach(models.length * count, (task, w) -> {
            int model = models[task / count];
            Tensor t = tensors[task % count];
            check(t);
            for (int r = 0; r < t.rows; r++) {
                long row = t.rowAt(model, r);
                for (int c = 0; c < t.cols; c++) put(t, row + c, get(t, row + c) * factor[model]);
            }
        });
    }

    @Override
    public void sumSquares(Tensor t, double[] out, int[] models) {
        check(t);
        eachModel(models, model -> {
            double ss = 0;
            for (int r = 0; r < t.rows; r++) {
                long row = t.rowAt(model, r);
                for (int c = 0; c < t.cols; c++) ss += get(t, row + c) * get(t, row + c);
            }
            out[model] = ss;
        });
    }

    // ------------------------------------------------------------------------------------------
    // The attention model's primitives
    // ------------------------------------------------------------------------------------------

    @Override
    public void copy(Tensor src, Tensor dst, int[] models) {
        check(src, dst);
        if (src.ld != dst.ld || src.rows != dst.rows) throw new IllegalArgumentException("copy needs equal shapes");
        eachModel(models, model -> MemorySegment.copy(src.seg, src.bytes(src.rowAt(model, 0)), dst.seg, dst.bytes(dst.rowAt(model, 0)),
                src.bytes((long) src.rows * src.ld)));
    }

    @Override
    public void addRow(Tensor x, Tensor row, int[] models) {
        check(x, row);
        rowChunks(x.rows, models, (model, i0, i1) -> {
            long r = row.rowAt(model, 0);
            for (int i = i0; i < i1; i++) {
                long xi = x.rowAt(model, i);
                for (int c = 0; c < x.cols; c++) put(x, xi + c, get(x, xi + c) + get(row, r + c));
            }
        });
    }

    @Override
    public void multiply(Tensor x, Tensor y, int[] models) {
        check(x, y);
        rowChunks(x.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long xi = x.rowAt(model, i), yi = y.rowAt(model, i);
                for (int c = 0; c < x.cols; c++) put(x, xi + c, get(x, xi + c) * get(y, yi + c));
            }
        });
    }

    @Override
    public void layerNorm(Tensor x, Tensor y, Tensor rstd, double eps, int[] models) {
        check(x, y, rstd);
        int cols = x.cols;
        rowChunks(x.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long xi = x.rowAt(model, i), yi = y.rowAt(model, i);
                double mean = 0, var = 0;
                for (int c = 0; c < cols; c++) mean += get(x, xi + c);
                mean /= cols;
                for (int c = 0; c < cols; c++) {
                    double u = get(x, xi + c) - mean;
                    var += u * u;
                }
                double r = 1 / Math.sqrt(var / cols + eps);
                for (int c = 0; c < cols; c++) put(y, yi + c, (get(x, xi + c) - mean) * r);
                put(rstd, rstd.rowAt(model, i), r);
            }
        });
    }

    @Override
    public void layerNormBackward(Tensor y, Tensor rstd, Tensor g, Tensor add, int[] models) {
        check(y, rstd, g, add);
        int cols = y.cols;
        rowChunks(y.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long yi = y.rowAt(model, i), gi = g.rowAt(model, i), ai = add == null ? 0 : add.rowAt(model, i);
                double r = get(rstd, rstd.rowAt(model, i)), mg = 0, mgy = 0;
                for (int c = 0; c < cols; c++) {
                    mg += get(g, gi + c);
                    mgy += get(g, gi + c) * get(y, yi + c);
                }
                mg /= cols;
                mgy /= cols;
                for (int c = 0; c < cols; c++) {
                    double v = r * (get(g, gi + c) - mg - get(y, yi + c) * mgy);
                    if (add != null) v += get(add, ai + c);
                    put(g, gi + c, v);
                }
            }
        });
    }

    @Override
    public void tokenRows(Tensor e, Tensor pos, int p, Tensor x, int[] models) {
        check(e, pos, x);
        int d = e.cols;
        eachModel(models, model -> {
            for (int r = 0; r <= 2 * p; r++) {
                int tok = r < p ? r : r < 2 * p ? r - p : p, t = r < p ? 0 : r < 2 * p ? 1 : 2;
                long ie = e.rowAt(model, tok), ip = pos.rowAt(model, t), ix = x.rowAt(model, r);
                for (int c = 0; c < d; c++) put(x, ix + c, get(e, ie + c) + get(pos, ip + c));
            }
        });
    }

    @Override
    public void tokenRowsBackward(Tensor dx, Tensor extra, int p, Tensor dE, Tensor dPos, int[] models) {
        check(dx, extra, dE, dPos);
        int d = dE.cols;
        eachModel(models, model -> {
            for (int c = 0; c < d; c++) {
                double s0 = 0, s1 = 0;
                for (int t = 0; t < p; t++) {
                    double a = dx.getDouble(model, t, c), b = dx.getDouble(model, p + t, c);
                    s0 += a;
                    s1 += b;
                    dE.set(model, t, c, a + b);
                }
                double eq = dx.getDouble(model, 2 * p, c) + extra.getDouble(model, 0, c);
                dE.set(model, p, c, eq);
                dPos.set(model, 0, c, s0);
                dPos.set(model, 1, c, s1);
                dPos.set(model, 2, c, eq);
            }
        });
    }

    @Override
    public void attentionScores(Tensor q, Tensor keys, int heads, Tensor scores, int[] models) {
        check(q, keys, scores);
        int dh = keys.cols / heads;
        double scale = 1 / Math.sqrt(dh);
        rowChunks(keys.rows, models, (model, i0, i1) -> {
            long iq = q.rowAt(model, 0);
            for (int r = i0; r < i1; r++) {
                long kr = keys.rowAt(model, r);
                for (int h = 0; h < heads; h++) {
                    double dot = 0;
                    for (int c = h * dh; c < (h + 1) * dh; c++) dot += get(q, iq + c) * get(keys, kr + c);
                    put(scores, scores.at(model, r, h), dot * scale);
                }
            }
        });
    }

    @Override
    public void attentionScoresBackward(Tensor q, Tensor keys, Tensor dScores, int heads, Tensor dq, Tensor dKeys, int[] models) {
        check(q, keys, dScores, dq, dKeys);
        int dh = keys.cols / heads, d = heads * dh;
        double scale = 1 / Math.sqrt(dh);
        eachModel(models, model -> {
            long iq = q.rowAt(model, 0);
            double[] acc = new double[d];
            for (int r = 0; r < keys.rows; r++) {
                long kr = keys.rowAt(model, r), dkr = dKeys.rowAt(model, r);
                for (int h = 0; h < heads; h++) {
                    double g = dScores.getDouble(model, r, h) * scale;
                    for (int c = h * dh; c < (h + 1) * dh; c++) {
                        acc[c] += g * get(keys, kr + c);
                        put(dKeys, dkr + c, g * get(q, iq + c));
                    }
                }
            }
            long idq = dq.rowAt(model, 0);
            for (int c = 0; c < d; c++) put(dq, idq + c, acc[c]);
        });
    }

    @Override
    public void attentionForward(Tensor scores, Tensor values, int[][] pairs, int p, int heads, Tensor att, Tensor out, int[] models) {
        check(scores, values, att, out);
        int n = pairs[models[0]].length, dh = values.cols / heads;
        rowChunks(n, models, (model, i0, i1) -> {
            int[] rows = new int[3];
            double[] s = new double[3];
            for (int i = i0; i < i1; i++) {
                rows[0] = pairs[model][i] / p;
                rows[1] = p + pairs[model][i] % p;
                rows[2] = 2 * p;
                long ia = att.rowAt(model, i), io = out.rowAt(model, i);
                for (int h = 0; h < heads; h++) {
                    for (int t = 0; t < 3; t++) s[t] = scores.getDouble(model, rows[t], h);
                    double mx = Math.max(s[0], Math.max(s[1], s[2])), sum = 0;
                    for (int t = 0; t < 3; t++) sum += s[t] = Math.exp(s[t] - mx);
                    for (int t = 0; t < 3; t++) put(att, ia + 3 * h + t, s[t] / sum);
                    for (int c = h * dh; c < (h + 1) * dh; c++) {
                        double v = 0;
                        for (int t = 0; t < 3; t++) v += get(att, ia + 3 * h + t) * values.getDouble(model, rows[t], c);
                        put(out, io + c, v);
                    }
                }
            }
        });
    }

    @Override
    public void attentionBackward(Tensor dOut, Tensor att, Tensor values, int[][] pairs, int p, int heads, Tensor dScores,
                                  Tensor dValues, int[] models) {
        check(dOut, att, values, dScores, dValues);
        int dh = values.cols / heads, d = heads * dh, tableRows = 2 * p + 1;
        eachModel(models, model -> {
            double[] gs = new double[tableRows * heads], gv = new double[tableRows * d], dAtt = new double[3], a = new double[3];
            int[] rows = new int[3];
            int[] pr = pairs[model];
            for (int i = 0; i < pr.length; i++) {
                rows[0] = pr[i] / p;
                rows[1] = p + pr[i] % p;
                rows[2] = 2 * p;
                long o = dOut.rowAt(model, i), at = att.rowAt(model, i);
                for (int h = 0; h < heads; h++) {
                    double mean = 0;
                    for (int t = 0; t < 3; t++) {
                        a[t] = get(att, at + 3 * h + t);
                        long vr = values.rowAt(model, rows[t]);
                        double dot = 0;
                        for (int c = h * dh; c < (h + 1) * dh; c++) {
                            double g = get(dOut, o + c);
                            dot += g * get(values, vr + c);
                            gv[rows[t] * d + c] += a[t] * g;
                        }
                        dAtt[t] = dot;
                        mean += a[t] * dot;
                    }
                    for (int t = 0; t < 3; t++) gs[rows[t] * heads + h] += a[t] * (dAtt[t] - mean);
                }
            }
            for (int r = 0; r < tableRows; r++) {
                for (int h = 0; h < heads; h++) dScores.set(model, r, h, gs[r * heads + h]);
                for (int c = 0; c < d; c++) dValues.set(model, r, c, gv[r * d + c]);
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
