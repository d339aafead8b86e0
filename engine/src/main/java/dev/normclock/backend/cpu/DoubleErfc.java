package dev.normclock.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;

/**
 * erfc in double precision, fast enough for every hidden unit of a training step, for the
 * float64 backend's exact GELU. For z = |x|, with t = 2/(2 + z):
 * erfc(z) = t·exp(−z² + g(t)), and g(t) = ln(erfcx(z)/t) is smooth on t ∈ [0, 1], so a Chebyshev
 * series in 2t − 1 represents it to double precision everywhere on z ≥ 0 (the form Numerical
 * Recipes uses). Below zero, erfc(−z) = 2 − erfc(z) has no cancellation.
 *
 * <p>The series is not a table of published constants: its coefficients are computed here, once,
 * by Chebyshev interpolation of g at Gauss–Chebyshev nodes, with erfcx at each node from its
 * power series (z < 1) or its continued fraction evaluated from far out (z ≥ 1). The tests check
 * the result against the slow function and against an independent double reference: within
 * 3e-15 relative, the rounding of the node values (ten million times finer than float's).
 */
final class DoubleErfc {
    private static final int NODES = 64;
    /**
     * Terms kept: from about j = 24 the coefficients fall to the node values' own rounding (~1e-15)
     * and further terms add that noise back (64 terms: 1e-14 worst; 28: 2.6e-15).
     */
    private static final int TERMS = 28;
    private static final double[] C = coefficients();

    private DoubleErfc() {
    }

    /** erfc(x). */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 2 / (2 + z);
        double r = t * Math.exp(-z * z + series(2 * t - 1));
        return x >= 0 ? r : 2 - r;
    }

    /**
     * erfc of each lane: the same series and the same steps as {@link #erfc(double)}, so the two
     * differ only where the vector exp rounds differently from Math.exp (within an ulp of each).
     * The float64 backend's GELU spends most of a step here; lanes make it several times faster.
     */
    static DoubleVector erfc(DoubleVector x) {
        DoubleVector z = x.abs();
        DoubleVector t = DoubleVector.broadcast(x.species(), 2).div(z.add(2));
        DoubleVector y = t.mul(2).sub(1), y2 = y.mul(2);
        DoubleVector b1 = DoubleVector.zero(x.species()), b2 = b1;
        for (int j = C.length - 1; j >= 1; j--) {
            DoubleVector b0 = y2.mul(b1).sub(b2).add(C[j]);
            b2 = b1;
            b1 = b0;
        }
        DoubleVector series = y.mul(b1).sub(b2).add(0.5 * C[0]);
        DoubleVector r = t.mul(z.mul(z).neg().add(series).lanewise(VectorOperators.EXP));
        return r.blend(r.neg().add(2), x.compare(VectorOperators.LT, 0));
    }

    /** erfcx(z) = exp(z²)·erfc(z) for z ≥ 0 from the series alone, which does not underflow where erfc does. */
    static double scaledFromSeries(double z) {
        double t = 2 / (2 + z);
        return t * Math.exp(series(2 * t - 1));
    }

    /** Clenshaw's sum of c₀/2 + Σ c_j T_j(y). */
    private static double series(double y) {
        double b1 = 0, b2 = 0, y2 = 2 * y;
        for (int j = C.length - 1; j >= 1; j--) {
            double b0 = y2 * b1 - b2 + C[j];
            b2 = b1;
            b1 = b0;
        }
        return y * b1 - b2 + 0.5 * C[0];
    }

    /** The Chebyshev coefficients of g, cut where they reach the rounding of the values they came from. */
    private static double[] coefficients() {
        double[] f = new double[NODES];
        for (int k = 0; k < NODES; k++) {
            double y = Math.cos(Math.PI * (k + 0.5) / NODES), t = (y + 1) / 2, z = 2 / t - 2;
            f[k] = Math.log(scaledErfc(z) / t);
        }
        double[] c = new double[NODES];
        for (int j = 0; j < NODES; j++) {
            double s = 0;
            for (int k = 0; k < NODES; k++) s += f[k] * Math.cos(Math.PI * j * (k + 0.5) / NODES);
            c[j] = 2 * s / NODES;
        }
        return java.util.Arrays.copyOf(c, TERMS);
    }

    /** erfcx(z) = exp(z²)·erfc(z) for z ≥ 0, to about 1e-16 relative; slow, used to build the series. */
    static double scaledErfc(double z) {
        if (z < 1) { // 1 − erf(z) loses at most a factor 1/erfc(1) ≈ 6 here
            double term = z, sum = z, z2 = z * z;
            for (int n = 1; n < 60; n++) {
                term *= -z2 / n;
                sum += term / (2 * n + 1);
            }
            return Math.exp(z2) * (1 - 2 / Math.sqrt(Math.PI) * sum);
        }
        // √π·erfcx(z) = 1/(z + (1/2)/(z + (2/2)/(z + (3/2)/(z + …)))), evaluated from depth 6000 inwards:
        // its error falls like exp(−2z·√(2·depth)), far below double precision for z ≥ 1
        double f = z;
        for (int k = 6000; k >= 1; k--) f = z + (k / 2.0) / f;
        return 1 / (Math.sqrt(Math.PI) * f);
    }
}
