package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of the element-wise kernels, one row (or column strip) per call. They are kept
 * as small methods taking only scalars, segments and arrays: C2 then compiles each with the
 * vector helpers inlined. Inside a large lambda those helpers hit C2's inlining limits and every
 * vector crossing the call is boxed, which made the GELU kernel several times slower.
 * Offsets are in bytes.
 *
 * <p>Every operation here is exactly rounded (add, mul, fma, div, sqrt, conversions), so results
 * are the same bits interpreted or compiled; that is why exp is written out (Cody–Waite
 * reduction, a degree-7 Taylor polynomial on |r| ≤ ln2/2, 2^n built in the exponent bits, exactly
 * 0 where 2^n would be subnormal, below about −87.3) instead of the Vector API's EXP, whose last
 * bit differs between its intrinsic and its Java fallback. Java's max (NaN and signed-zero rules)
 * compiles to six instructions, so clamps are a compare and a blend.
 */
final class RowKernels {
    private static final VectorSpecies<Float> S = CpuGemm.S;
    private static final int L = CpuGemm.L;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final IntVector SHIFT_31 = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 31),
            SHIFT_23 = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 23), BIAS_127 = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 127),
            INT_ZERO = IntVector.zero(IntVector.SPECIES_PREFERRED);

    private RowKernels() {
    }

    /**
     * act = GELU(x) and, unless slope is null, slope = GELU'(x)·keep over one row, x = pa + pb + bias
     * (keep is 1 on real columns, 0 on padding). GELU is exact: Φ(−|x|) = erfc(z)/2, z = |x|/√2,
     * with erfc(z) = t·Q(t)·e^(−z²), t = 1/(1 + z/2), where Q is a degree-10 fit of erfcx(z)/t on
     * t ∈ [0.15, 1] (relative error 4e-9; below t = 0.15, |x| > 13.9, e^(−z²) is already 0 in float).
     * The left tail thus keeps full float precision (unlike 1 + erf), and e^(−z²) serves the
     * slope Φ + x·φ too: φ = e^(−z²)/√(2π).
     *
     * <p>The whole computation is written out in this one method: with Φ and exp as separate
     * methods C2 compiled them on their own first, then would not inline them here, and every
     * vector crossing those calls ran in the Vector API's allocating Java fallback. Polynomials
     * follow Estrin's scheme, half the dependent steps of Horner's rule.
     */
    static void geluWithSlope(MemorySegment pa, long ra, MemorySegment pb, long rb, MemorySegment bias, long rbias,
                              MemorySegment act, long rq, MemorySegment slope, long rs, float[] keep, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector x = FloatVector.fromMemorySegment(S, pa, ra + o, NO).add(FloatVector.fromMemorySegment(S, pb, rb + o, NO))
                    .add(FloatVector.fromMemorySegment(S, bias, rbias + o, NO));
            FloatVector z = x.abs().mul(0.70710677f);
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector t2 = t.mul(t), t4 = t2.mul(t2), t8 = t4.mul(t4);
            FloatVector q = t2.fma(FloatVector.broadcast(S, 3.764652461e-02f), t.fma(-2.021317631e-01f, 4.101262987e-01f))
                    .fma(t8, t.fma(-3.323203325e-01f, 1.846668310e-02f).fma(t2, t.fma(1.006945688e-02f, 6.550009549e-02f))
                            .fma(t4, t.fma(1.826616973e-01f, 2.456883788e-01f).fma(t2, t.fma(2.822023332e-01f, 2.820906341e-01f))));
            // e^(−z²): Cody–Waite reduction, a degree-7 Taylor polynomial on |r| ≤ ln2/2, and 2^n from
            // the rounding's own bits (x1t = 1.5·2^23 + n, n ≥ −127; n = −127 gives exactly 0)
            FloatVector a1 = z.mul(z).neg();
            FloatVector x1c = a1.blend(-88f, a1.compare(VectorOperators.LT, -88f));
            FloatVector x1t = x1c.mul(1.442695041f).add(12582912f), x1n = x1t.sub(12582912f);
            FloatVector x1r = x1n.fma(FloatVector.broadcast(S, -0.693359375f), x1c);
            x1r = x1n.fma(FloatVector.broadcast(S, 2.12194440e-4f), x1r);
            FloatVector r2 = x1r.mul(x1r), r4 = r2.mul(r2);
            FloatVector x1p = x1r.fma(1f / 5040, 1f / 720).fma(r2, x1r.fma(1f / 120, 1f / 24))
                    .fma(r4, x1r.fma(1f / 6, 0.5f).fma(r2, x1r.add(1f)));
            FloatVector e = x1p.mul((FloatVector) ((IntVector) x1t.reinterpretAsInts()).add(BIAS_127)
                    .lanewise(VectorOperators.LSHL, SHIFT_23).reinterpretAsFloats());
            FloatVector half = t.mul(q).mul(e).mul(0.5f);
            IntVector neg = ((IntVector) x.reinterpretAsInts()).lanewise(VectorOperators.ASHR, SHIFT_31);
            FloatVector cdf = (FloatVector) ((IntVector) half.reinterpretAsInts()).and(neg)
                    .or(((IntVector) half.neg().add(1f).reinterpretAsInts()).and(neg.not())).reinterpretAsFloats();
            x.mul(cdf).intoMemorySegment(act, rq + o, NO);
            if (slope == null) continue; // evaluation needs no slope
            x.fma(e.mul(0.3989423f), cdf).mul(FloatVector.fromArray(S, keep, j)).intoMemorySegment(slope, rs + o, NO);
        }
    }

    /**
     * One strip of 16 columns (at byte offset col) of the first layer's backward: dx = dAct ⊙ slope
     * per example, summed into dPa[a], dPb[b] (p rows each, overwritten) and dBias. Examples are
     * summed in order, so the sums do not depend on threads.
     */
    static void scatterColumn(MemorySegment dAct, long dAct0, MemorySegment slope, long slope0, long rowBytes, int[] pairs, int p,
                              MemorySegment dPa, long dPa0, MemorySegment dPb, long dPb0, long tokenRowBytes,
                              MemorySegment dBias, long dBias0, long col) {
        FloatVector zero = FloatVector.zero(S);
        for (int t = 0; t < p; t++) {
            zero.intoMemorySegment(dPa, dPa0 + t * tokenRowBytes + col, NO);
            zero.intoMemorySegment(dPb, dPb0 + t * tokenRowBytes + col, NO);
        }
        FloatVector sum = zero;
        for (int i = 0; i < pairs.length; i++) {
            long row = i * rowBytes + col;
            FloatVector d = FloatVector.fromMemorySegment(S, dAct, dAct0 + row, NO).mul(FloatVector.fromMemorySegment(S, slope, slope0 + row, NO));
            long ia = dPa0 + (pairs[i] / p) * tokenRowBytes + col, ib = dPb0 + (pairs[i] % p) * tokenRowBytes + col;
            FloatVector.fromMemorySegment(S, dPa, ia, NO).add(d).intoMemorySegment(dPa, ia, NO);
            FloatVector.fromMemorySegment(S, dPb, ib, NO).add(d).intoMemorySegment(dPb, ib, NO);
            sum = sum.add(d);
        }
        sum.intoMemorySegment(dBias, dBias0 + col, NO);
    }

    /** Sets the first width floats (a multiple of L) of each of rows rows to 0. */
    static void zeroColumns(MemorySegment x, long x0, long rowBytes, int rows, int width) {
        FloatVector zero = FloatVector.zero(S);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j += L) zero.intoMemorySegment(x, x0 + r * rowBytes + j * 4L, NO);
    }

    /**
     * Examples i0 … i1 − 1 of the first layer's backward over width columns: dx = dAct ⊙ slope
     * (dAct from a block with rows of blockRowBytes, slope from slope0 for example i0), added to
     * dPa[a], dPb[b] and dBias in example order.
     */
    static void scatterRows(MemorySegment block, long blockRowBytes, MemorySegment slope, long slope0, long slopeRowBytes,
                            int[] pairs, int i0, int i1, int p, MemorySegment dPa, long dPa0, MemorySegment dPb, long dPb0, long tokenRowBytes,
                            MemorySegment dBias, long dBias0, int width) {
        for (int i = i0; i < i1; i++) {
            long rb = (i - i0) * blockRowBytes, rs = slope0 + (i - i0) * slopeRowBytes;
            long ia = dPa0 + (pairs[i] / p) * tokenRowBytes, ib = dPb0 + (pairs[i] % p) * tokenRowBytes;
            for (int j = 0; j < width; j += L) {
                long o = j * 4L;
                FloatVector d = FloatVector.fromMemorySegment(S, block, rb + o, NO).mul(FloatVector.fromMemorySegment(S, slope, rs + o, NO));
                FloatVector.fromMemorySegment(S, dPa, ia + o, NO).add(d).intoMemorySegment(dPa, ia + o, NO);
                FloatVector.fromMemorySegment(S, dPb, ib + o, NO).add(d).intoMemorySegment(dPb, ib + o, NO);
                FloatVector.fromMemorySegment(S, dBias, dBias0 + o, NO).add(d).intoMemorySegment(dBias, dBias0 + o, NO);
            }
        }
    }

    /** out = a ⊙ b over one row (out may be a or b): one rounding per element. */
    static void multiply(MemorySegment a, long ia, MemorySegment b, long ib, MemorySegment out, long io, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector.fromMemorySegment(S, a, ia + o, NO).mul(FloatVector.fromMemorySegment(S, b, ib + o, NO)).intoMemorySegment(out, io + o, NO);
        }
    }

    /** A gather's index map: lane r reads element r·stride. */
    static int[] lanesApart(int stride) {
        int[] idx = new int[L];
        for (int r = 0; r < L; r++) idx[r] = r * stride;
        return idx;
    }

    /**
     * dst = srcᵀ (dst offset and ldd in floats) from src copied into a heap array (rows of lds
     * floats): L rows of src at a time, which stay in L1 across the columns, one gather per
     * destination row; idx must be {0, lds, 2·lds, …}. About 2 cycles an element, a third of
     * scalar loops over the segments.
     */
    static void transpose(float[] src, int lds, int rows, int cols, int[] idx, MemorySegment dst, long d0, int ldd) {
        int full = rows - rows % L;
        for (int r = 0; r < full; r += L)
            for (int c = 0; c < cols; c++)
                FloatVector.fromArray(S, src, r * lds + c, idx, 0).intoMemorySegment(dst, (d0 + (long) c * ldd + r) * 4L, NO);
        for (int c = 0; c < cols; c++)
            for (int r = full; r < rows; r++) dst.set(ValueLayout.JAVA_FLOAT, (d0 + (long) c * ldd + r) * 4L, src[r * lds + c]);
    }

    /*
     * The softmax cross-entropy, a block of L rows at a time with one row per lane: every reduction
     * over the classes is then a vertical operation taken in column order, as the scalar definition
     * sums, with no horizontal step. The block's scratch is one float array: the rows (L·ld floats
     * from ROWS), the block by columns (ld·L from COLS) and per-lane results (from LANES). Each
     * pass is a method with one simple loop, and vectors never cross a call: in one large method
     * C2 boxed the loop-carried vectors of some loops but not others.
     */

    /** Offsets into the cross-entropy scratch. */
    static int colsAt(int ld) {
        return L * ld;
    }

    static int lanesAt(int ld) {
        return 2 * L * ld;
    }

    /** Lanes results: the max, Σ s², the first argmax, Σ exp, 1/Σ exp (in units of L). */
    static final int MAX = 0, SQUARES = 1, ARGMAX = 2, TOTAL = 3, INVERSE = 4;

    static int crossEntropyScratchSize(int ld) {
        return warpAt(ld) + 2 * WARP * L;
    }

    /** Where the warp-order sum keeps its partial sums: two sets of WARP vectors, after the lanes results. */
    private static int warpAt(int ld) {
        return 2 * L * ld + 5 * L;
    }

    /** The width of a CUDA warp, the most partial sums the warp-order sum keeps. */
    private static final int WARP = 32;

    /** Rows row0 + r·rowBytes (r < count; later lanes repeat the last row) of (logits + bias)/τ into the scratch. */
    static void scaledRows(MemorySegment logits, long row0, long rowBytes, int count, MemorySegment bias, long rbias, float tau,
                           float[] scratch, int ld) {
        for (int r = 0; r < L; r++) {
            long row = row0 + Math.min(r, count - 1) * rowBytes;
            for (int j = 0; j < ld; j += L)
                FloatVector.fromMemorySegment(S, logits, row + j * 4L, NO).add(FloatVector.fromMemorySegment(S, bias, rbias + j * 4L, NO))
                        .div(tau).intoArray(scratch, r * ld + j);
        }
    }

    /** Columns into the scratch by columns (padding columns 0); per lane the max, its first column and Σ s². */
    static void columnsMaxSquares(float[] scratch, int classes, int ld, int[] idxRows) {
        int cols = colsAt(ld), lanes = lanesAt(ld);
        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), ss = FloatVector.zero(S), arg = FloatVector.zero(S);
        for (int c = 0; c < classes; c++) {
            FloatVector z = FloatVector.fromArray(S, scratch, c, idxRows, 0);
            z.intoArray(scratch, cols + c * L);
            var above = z.compare(VectorOperators.GT, best); // strict: the first maximum stays, as torch.argmax
            best = best.blend(z, above);
            arg = arg.blend(c, above); // class indices are exact in float
            ss = z.fma(z, ss);
        }
        best.intoArray(scratch, lanes + MAX * L);
        ss.intoArray(scratch, lanes + SQUARES * L);
        arg.intoArray(scratch, lanes + ARGMAX * L);
        FloatVector zero = FloatVector.zero(S);
        for (int c = classes; c < ld; c++) zero.intoArray(scratch, cols + c * L);
    }

    /** Each column s ← exp(s − max), in place. */
    static void columnsExp(float[] scratch, int classes, int ld) {
        int cols = colsAt(ld);
        FloatVector best = FloatVector.fromArray(S, scratch, lanesAt(ld) + MAX * L);
        for (int c = 0; c < classes; c++) {
            FloatVector a = FloatVector.fromArray(S, scratch, cols + c * L).sub(best);
            FloatVector xc = a.blend(-88f, a.compare(VectorOperators.LT, -88f)); // a ≤ 0 (or NaN)
            FloatVector xn = xc.mul(1.442695041f).add(12582912f).sub(12582912f);
            FloatVector xr = xn.fma(FloatVector.broadcast(S, -0.693359375f), xc);
            xr = xn.fma(FloatVector.broadcast(S, 2.12194440e-4f), xr);
            FloatVector xp = xr.fma(1f / 5040, 1f / 720);
            xp = xp.fma(xr, FloatVector.broadcast(S, 1f / 120));
            xp = xp.fma(xr, FloatVector.broadcast(S, 1f / 24));
            xp = xp.fma(xr, FloatVector.broadcast(S, 1f / 6));
            xp = xp.fma(xr, FloatVector.broadcast(S, 0.5f));
            xp = xp.fma(xr, FloatVector.broadcast(S, 1f));
            xp = xp.fma(xr, FloatVector.broadcast(S, 1f));
            xp.mul((FloatVector) ((IntVector) xn.convert(VectorOperators.F2I, 0)).add(BIAS_127).max(INT_ZERO)
                    .lanewise(VectorOperators.LSHL, SHIFT_23).reinterpretAsFloats()).intoArray(scratch, cols + c * L);
        }
    }

    /** Per lane Σ exp over the columns, in column order. */
    static void columnsTotal(float[] scratch, int classes, int ld) {
        int cols = colsAt(ld);
        FloatVector total = FloatVector.zero(S);
        for (int c = 0; c < classes; c++) total = total.add(FloatVector.fromArray(S, scratch, cols + c * L));
        total.intoArray(scratch, lanesAt(ld) + TOTAL * L);
    }

    /**
     * Per lane Σ exp over the columns with the top class (the first argmax, whose term is exp(0) = 1)
     * added last, the others in column order: a row's total rounds to 1 only when all the other
     * terms together do not reach half an ulp of 1 (see dev.normclock.backend.SoftmaxSum).
     */
    static void columnsTotalTopLast(float[] scratch, int classes, int ld) {
        int cols = colsAt(ld);
        FloatVector arg = FloatVector.fromArray(S, scratch, lanesAt(ld) + ARGMAX * L), total = FloatVector.zero(S), top = FloatVector.zero(S);
        for (int c = 0; c < classes; c++) {
            FloatVector e = FloatVector.fromArray(S, scratch, cols + c * L);
            var isTop = arg.compare(VectorOperators.EQ, c);
            total = total.add(e.blend(0f, isTop));
            top = top.blend(e, isTop);
        }
        total.add(top).intoArray(scratch, lanesAt(ld) + TOTAL * L);
    }

    /**
     * Per lane Σ exp over the columns in the order of PyTorch's CUDA log-softmax for up to 1024
     * classes (its persistent warp kernel, which the papers' float32 runs used): with w the warp's
     * width, min(32, the power of two at or above the class count), thread t of the warp sums the
     * classes t, t + w, t + 2w, … in that order from 0, then the w partial sums meet in a butterfly
     * (offsets w/2, w/4, …, 1: each thread adds its partner's sum to its own). The top class's 1.0
     * then meets sums of other terms, not each term alone (see dev.normclock.backend.SoftmaxSum).
     */
    static void columnsTotalWarp(float[] scratch, int classes, int ld) {
        int cols = colsAt(ld), pow2 = Integer.highestOneBit(Math.max(1, classes - 1)) << (classes > 1 ? 1 : 0);
        int warp = Math.min(WARP, pow2);
        // lanes are rows, so each thread's partial sum is one vector: thread t's at part + t·L, in the
        // scratch's warp region (two sets, read from one and written to the other at each butterfly step)
        int part = warpAt(ld), next = part + WARP * L;
        for (int t = 0; t < warp; t++) {
            FloatVector sum = FloatVector.zero(S);
            for (int c = t; c < classes; c += warp) sum = sum.add(FloatVector.fromArray(S, scratch, cols + c * L));
            sum.intoArray(scratch, part + t * L);
        }
        for (int offset = warp / 2; offset > 0; offset /= 2) {
            for (int t = 0; t < warp; t++)
                FloatVector.fromArray(S, scratch, part + t * L).add(FloatVector.fromArray(S, scratch, part + (t ^ offset) * L))
                        .intoArray(scratch, next + t * L);
            int swap = part;
            part = next;
            next = swap;
        }
        System.arraycopy(scratch, part, scratch, lanesAt(ld) + TOTAL * L, L);
    }

    /** Row r of the block from the scratch by columns, times mul, stored at row (padding columns 0). */
    static void storeRow(float[] scratch, int r, float mul, int ld, int[] idxCols, MemorySegment logits, long row) {
        int cols = colsAt(ld);
        for (int j = 0; j < ld; j += L)
            FloatVector.fromArray(S, scratch, cols + j * L + r, idxCols, 0).mul(mul).intoMemorySegment(logits, row + j * 4L, NO);
    }

    /**
     * One row of AdamW: moments, bias-corrected update, decoupled decay before (W·keep) or after
     * (W − lrWd·W) it, where enabled. Returns the row's Σ W² after the update.
     */
    static float adamW(MemorySegment w, long iw, MemorySegment g, long ig, MemorySegment m, long im, MemorySegment v, long iv,
                       int ld, float lr, boolean decayBefore, float keep, boolean decayAfter, float lrWd,
                       float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps, float[] lanes) {
        FloatVector ss = FloatVector.zero(S);
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector wv = FloatVector.fromMemorySegment(S, w, iw + o, NO), gv = FloatVector.fromMemorySegment(S, g, ig + o, NO);
            if (decayBefore) wv = wv.mul(keep);
            FloatVector mv = FloatVector.fromMemorySegment(S, m, im + o, NO).mul(b1).add(gv.mul(omb1));
            FloatVector vv = FloatVector.fromMemorySegment(S, v, iv + o, NO).mul(b2).add(gv.mul(gv).mul(omb2));
            FloatVector upd = mv.div(bc1).div(vv.div(bc2).lanewise(VectorOperators.SQRT).add(eps));
            wv = wv.sub(upd.mul(lr));
            if (decayAfter) wv = wv.sub(wv.mul(lrWd));
            mv.intoMemorySegment(m, im + o, NO);
            vv.intoMemorySegment(v, iv + o, NO);
            wv.intoMemorySegment(w, iw + o, NO);
            ss = wv.fma(wv, ss);
        }
        ss.intoArray(lanes, 0);
        return sumInOrder(lanes);
    }

    /** x += y over one row of ld floats. */
    static void addInto(MemorySegment x, long ix, MemorySegment y, long iy, int ld) {
        for (int j = 0; j < ld; j += L)
            FloatVector.fromMemorySegment(S, x, ix + j * 4L, NO).add(FloatVector.fromMemorySegment(S, y, iy + j * 4L, NO)).intoMemorySegment(x, ix + j * 4L, NO);
    }

    /** x ⊙= y over one row of ld floats. */
    static void multiplyInto(MemorySegment x, long ix, MemorySegment y, long iy, int ld) {
        for (int j = 0; j < ld; j += L)
            FloatVector.fromMemorySegment(S, x, ix + j * 4L, NO).mul(FloatVector.fromMemorySegment(S, y, iy + j * 4L, NO)).intoMemorySegment(x, ix + j * 4L, NO);
    }

    /** Σ x² over one row, lanes summed in a fixed order (lanes is scratch of L floats). */
    static float sumSquares(MemorySegment x, long row, int ld, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < ld; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, row + j * 4L, NO);
            acc = v.fma(v, acc);
        }
        acc.intoArray(lanes, 0);
        return sumInOrder(lanes);
    }

    /**
     * Lanes summed first to last. reduceLanes(ADD) leaves the order open, and the interpreter and
     * compiled code do use different orders, which would make results depend on JIT timing.
     */
    private static float sumInOrder(float[] lanes) {
        float s = 0;
        for (int i = 0; i < L; i++) s += lanes[i];
        return s;
    }
}
