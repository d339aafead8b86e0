package dev.normclock.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector math whose results do not depend on whether the JIT has compiled the caller yet. The
 * Vector API leaves the order of {@code reduceLanes(ADD)} unspecified and its EXP may differ in
 * the last bit between interpreted and compiled code, which would make a run's bits depend on
 * JIT timing. These use only exactly rounded operations (add, mul, fma, conversions).
 */
final class VecMath {
    private static final VectorSpecies<Float> S = CpuGemm.S;
    private static final float EXP_LO = -87.33654f, EXP_HI = 88.72283f;

    private VecMath() {
    }

    /** The lanes summed from first to last. */
    static float sumLanes(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /**
     * e^x to about 1 ulp: x = n·ln2 + r with Cody–Waite reduction, a degree-7 Taylor polynomial on
     * |r| ≤ ln2/2, and 2^n built in the exponent bits. Below −87.34 the result is 0 (so masked
     * logits give exactly zero probability); NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = xc.mul(1.442695041f).add(12582912f).sub(12582912f); // round to nearest via 1.5·2²³
        FloatVector r = n.fma(FloatVector.broadcast(S, -0.693359375f), xc);
        r = n.fma(FloatVector.broadcast(S, 2.12194440e-4f), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 5040);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector k = (IntVector) n.convert(VectorOperators.F2I, 0);
        FloatVector scale = (FloatVector) k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, EXP_LO));
    }
}
