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
 * bit differs between its intrinsic and its Java fallback.
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
     * (keep is 1 on real columns, 0 on padding). GELU is exact: Φ(x) = erfc(−x/√2)/2 with erfc by
     * the Chebyshev fit of Numerical Recipes (erfcc), whose relative error is below 1.2e-7 for every
     * argument, so the left tail keeps full float precision (unlike 1 + erf).
     *
     * <p>The whole computation is written out in this one method: with Φ and exp as separate
     * methods C2 compiled them on their own first, then would not inline them here, and every
     * vector crossing those calls ran in the Vector API's allocating Java fallback.
     */
    static void geluWithSlope(MemorySegment pa, long ra, MemorySegment pb, long rb, MemorySegment bias, long rbias,
                              MemorySegment act, long rq, MemorySegment slope, long rs, float[] keep, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector x = FloatVector.fromMemorySegment(S, pa, ra + o, NO).add(FloatVector.fromMemorySegment(S, pb, rb + o, NO))
                    .add(FloatVector.fromMemorySegment(S, bias, rbias + o, NO));
            FloatVector z = x.abs().mul(0.70710677f);
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector poly = t.fma(0.17087277f, -0.82215223f);
            poly = poly.fma(t, FloatVector.broadcast(S, 1.48851587f));
            poly = poly.fma(t, FloatVector.broadcast(S, -1.13520398f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.27886807f));
            poly = poly.fma(t, FloatVector.broadcast(S, -0.18628806f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.09678418f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.37409196f));
            poly = poly.fma(t, FloatVector.broadcast(S, 1.00002368f));
            poly = poly.fma(t, FloatVector.broadcast(S, -1.26551223f));
            FloatVector a1 = poly.sub(z.mul(z));
            FloatVector x1c = a1.max(-88f); // a1 ≤ poly ≤ 3e-8: no upper clamp needed
            FloatVector x1n = x1c.mul(1.442695041f).add(12582912f).sub(12582912f);
            FloatVector x1r = x1n.fma(FloatVector.broadcast(S, -0.693359375f), x1c);
            x1r = x1n.fma(FloatVector.broadcast(S, 2.12194440e-4f), x1r);
            FloatVector x1p = x1r.fma(1f / 5040, 1f / 720);
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 1f / 120));
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 1f / 24));
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 1f / 6));
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 0.5f));
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 1f));
            x1p = x1p.fma(x1r, FloatVector.broadcast(S, 1f));
            FloatVector e1 = x1p.mul((FloatVector) ((IntVector) x1n.convert(VectorOperators.F2I, 0)).add(BIAS_127).max(INT_ZERO)
                    .lanewise(VectorOperators.LSHL, SHIFT_23).reinterpretAsFloats());
            FloatVector half = t.mul(e1).mul(0.5f);
            IntVector neg = ((IntVector) x.reinterpretAsInts()).lanewise(VectorOperators.ASHR, SHIFT_31);
            FloatVector cdf = (FloatVector) ((IntVector) half.reinterpretAsInts()).and(neg)
                    .or(((IntVector) half.neg().add(1f).reinterpretAsInts()).and(neg.not())).reinterpretAsFloats();
            x.mul(cdf).intoMemorySegment(act, rq + o, NO);
            if (slope == null) continue; // evaluation needs no slope
            // e^(−x²/2) = e1·e^(−poly): poly lies in [−1.2656, 0] for every t, where a degree-10 Taylor
            // polynomial of e^(−u) about the midpoint is good to 3e-10, so the second exponential costs
            // ten FMAs instead of a range-reduced exp.
            FloatVector v = poly.sub(-0.6327511f);
            FloatVector q = v.fma(5.1884457e-07f, -5.1884457e-06f);
            q = q.fma(v, FloatVector.broadcast(S, 4.6696012e-05f));
            q = q.fma(v, FloatVector.broadcast(S, -3.7356809e-04f));
            q = q.fma(v, FloatVector.broadcast(S, 2.6149766e-03f));
            q = q.fma(v, FloatVector.broadcast(S, -1.5689860e-02f));
            q = q.fma(v, FloatVector.broadcast(S, 7.8449299e-02f));
            q = q.fma(v, FloatVector.broadcast(S, -3.1379720e-01f));
            q = q.fma(v, FloatVector.broadcast(S, 9.4139159e-01f));
            q = q.fma(v, FloatVector.broadcast(S, -1.8827832f));
            q = q.fma(v, FloatVector.broadcast(S, 1.8827832f));
            FloatVector e2 = e1.mul(q);
            FloatVector pdf = e2.mul(0.3989423f);
            x.fma(pdf, cdf).mul(FloatVector.fromArray(S, keep, j)).intoMemorySegment(slope, rs + o, NO);
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

    /** out = a ⊙ b over one row (out may be a or b): one rounding per element. */
    static void multiply(MemorySegment a, long ia, MemorySegment b, long ib, MemorySegment out, long io, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector.fromMemorySegment(S, a, ia + o, NO).mul(FloatVector.fromMemorySegment(S, b, ib + o, NO)).intoMemorySegment(out, io + o, NO);
        }
    }

    /** dst = srcᵀ (indices in floats), in 16 × 16 tiles so that both sides stay in cache. */
    static void transpose(MemorySegment src, long s0, int lds, int rows, int cols, MemorySegment dst, long d0, int ldd) {
        for (int r0 = 0; r0 < rows; r0 += 16)
            for (int c0 = 0; c0 < cols; c0 += 16) {
                int r1 = Math.min(rows, r0 + 16), c1 = Math.min(cols, c0 + 16);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT, d0 + (long) c * ldd + r, src.getAtIndex(ValueLayout.JAVA_FLOAT, s0 + (long) r * lds + c));
            }
    }

    /** s = (logits + bias)/τ + padding (−∞ on padding columns); returns max s. */
    static float scaledLogits(MemorySegment logits, long row, MemorySegment bias, long rbias, float tau, float[] padding,
                              float[] s, int ld) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector z = FloatVector.fromMemorySegment(S, logits, row + o, NO).add(FloatVector.fromMemorySegment(S, bias, rbias + o, NO))
                    .div(tau).add(FloatVector.fromArray(S, padding, j));
            z.intoArray(s, j);
            max = max.max(z);
        }
        return max.reduceLanes(VectorOperators.MAX); // exact in any order
    }

    /**
     * s = exp(s − max); returns Σ s, summed in column order. (A vector accumulator carried
     * around this loop was boxed by C2, so the sum is taken from s afterwards.)
     */
    static float expShifted(float[] s, float max, int ld) {
        for (int j = 0; j < ld; j += L) {
            FloatVector a = FloatVector.fromArray(S, s, j).sub(max);
            FloatVector xc = a.max(-88f); // a = s − max ≤ 0 (or NaN)
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
            FloatVector e = xp.mul((FloatVector) ((IntVector) xn.convert(VectorOperators.F2I, 0)).add(BIAS_127).max(INT_ZERO)
                    .lanewise(VectorOperators.LSHL, SHIFT_23).reinterpretAsFloats());
            e.intoArray(s, j);
        }
        float total = 0;
        for (int c = 0; c < ld; c++) total += s[c];
        return total;
    }

    /** logits row = s · scale (the softmax times the gradient scale; the label's −1 is added by the caller). */
    static void scaledStore(float[] s, float scale, MemorySegment logits, long row, int ld) {
        for (int j = 0; j < ld; j += L) FloatVector.fromArray(S, s, j).mul(scale).intoMemorySegment(logits, row + j * 4L, NO);
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
