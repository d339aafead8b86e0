package dev.normclock.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact (erf-based) GELU, x·Φ(x), and its derivative Φ(x) + x·φ(x), on vectors. Φ comes from
 * erfc by the Chebyshev fit of Numerical Recipes (erfcc), whose *relative* error is below 1.2e-7
 * for every argument: unlike 1 + erf(x), it keeps full float precision in the left tail.
 */
final class Gelu {
    private static final VectorSpecies<Float> S = CpuGemm.S;
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    private Gelu() {
    }

    /** Φ(x), the standard normal CDF. */
    static FloatVector cdf(FloatVector x) {
        FloatVector z = x.abs().mul(INV_SQRT2);
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
        FloatVector erfc = t.mul(VecMath.exp(poly.sub(z.mul(z))));
        FloatVector half = erfc.mul(0.5f);
        return VecMath.whereNegative(x, half, half.neg().add(1f));
    }

    /** GELU'(x) = Φ(x) + x·φ(x), given Φ(x). */
    static FloatVector derivative(FloatVector x, FloatVector cdf) {
        FloatVector pdf = VecMath.exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
        return x.fma(pdf, cdf);
    }
}
