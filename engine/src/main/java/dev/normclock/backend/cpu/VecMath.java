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
    private static final float EXP_LO = -88f, EXP_HI = 88.72283f;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    // Shift counts as vectors: lanewise(shift, int) goes through a helper C2 does not inline,
    // and the boxed vectors it leaves behind allocate on every call.
    private static final IntVector SHIFT_23 = IntVector.broadcast(I, 23), SHIFT_31 = IntVector.broadcast(I, 31);
    private static final IntVector BIAS_127 = IntVector.broadcast(I, 127), ZERO = IntVector.zero(I);

    private VecMath() {
    }

    /** a where x < 0 (sign bit set, -0 included), b elsewhere: a select by bits, without a vector mask. */
    static FloatVector whereNegative(FloatVector x, FloatVector a, FloatVector b) {
        IntVector neg = ((IntVector) x.reinterpretAsInts()).lanewise(VectorOperators.ASHR, SHIFT_31);
        IntVector ia = (IntVector) a.reinterpretAsInts(), ib = (IntVector) b.reinterpretAsInts();
        return (FloatVector) ia.and(neg).or(ib.and(neg.not())).reinterpretAsFloats();
    }

    /** The lanes summed from first to last. */
    static float sumLanes(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /**
     * e^x to about 1 ulp: x = n·ln2 + r with Cody–Waite reduction, a degree-7 Taylor polynomial on
     * |r| ≤ ln2/2, and 2^n built in the exponent bits. Where 2^n would be subnormal (x below about
     * −87.3) the exponent field is 0 and the result exactly 0, so masked logits get exactly zero
     * probability; NaN stays NaN. No vector masks: C2 sometimes boxes them, which allocates.
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
        FloatVector scale = (FloatVector) k.add(BIAS_127).max(ZERO).lanewise(VectorOperators.LSHL, SHIFT_23).reinterpretAsFloats();
        return p.mul(scale);
    }
}
