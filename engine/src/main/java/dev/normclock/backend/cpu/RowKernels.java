package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of the element-wise kernels, one row (or column strip) per call. They are kept
 * as small methods taking only scalars, segments and arrays: C2 then compiles each with the
 * vector helpers inlined. Inside a large lambda those helpers hit C2's inlining limits and every
 * vector crossing the call is boxed, which made the GELU kernel several times slower.
 * Offsets are in bytes.
 */
final class RowKernels {
    private static final VectorSpecies<Float> S = CpuGemm.S;
    private static final int L = CpuGemm.L;
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private RowKernels() {
    }

    /** act = GELU(pa + pb + bias) over one row of ld floats. */
    static void gelu(MemorySegment pa, long ra, MemorySegment pb, long rb, MemorySegment bias, long rbias,
                     MemorySegment act, long rq, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector x = FloatVector.fromMemorySegment(S, pa, ra + o, NO).add(FloatVector.fromMemorySegment(S, pb, rb + o, NO))
                    .add(FloatVector.fromMemorySegment(S, bias, rbias + o, NO));
            x.mul(Gelu.cdf(x)).intoMemorySegment(act, rq + o, NO);
        }
    }

    /** As {@link #gelu}, and slope = GELU'(x)·keep (keep is 1 on real columns, 0 on padding). */
    static void geluWithSlope(MemorySegment pa, long ra, MemorySegment pb, long rb, MemorySegment bias, long rbias,
                              MemorySegment act, long rq, MemorySegment slope, long rs, float[] keep, int ld) {
        for (int j = 0; j < ld; j += L) {
            long o = j * 4L;
            FloatVector x = FloatVector.fromMemorySegment(S, pa, ra + o, NO).add(FloatVector.fromMemorySegment(S, pb, rb + o, NO))
                    .add(FloatVector.fromMemorySegment(S, bias, rbias + o, NO));
            FloatVector cdf = Gelu.cdf(x);
            x.mul(cdf).intoMemorySegment(act, rq + o, NO);
            Gelu.derivative(x, cdf).mul(FloatVector.fromArray(S, keep, j)).intoMemorySegment(slope, rs + o, NO);
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

    /** s = exp(s − max); returns Σ s summed in a fixed order. */
    static float expShifted(float[] s, float max, int ld) {
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < ld; j += L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, s, j).sub(max));
            e.intoArray(s, j);
            sum = sum.add(e);
        }
        return VecMath.sumLanes(sum);
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
                       float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps) {
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
        return VecMath.sumLanes(ss);
    }

    /** Σ x² over one row, lanes summed in a fixed order. */
    static float sumSquares(MemorySegment x, long row, int ld) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < ld; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, row + j * 4L, NO);
            acc = v.fma(v, acc);
        }
        return VecMath.sumLanes(acc);
    }
}
