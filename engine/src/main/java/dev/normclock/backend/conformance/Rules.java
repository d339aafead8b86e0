package dev.normclock.backend.conformance;

/**
 * The tolerances of the suite and the magnitudes they are measured against, stated once. u is the
 * float unit roundoff 2⁻²⁴ ≈ 6e-8. Errors are of the candidate against the float64 backend run on
 * the same float inputs, so every rule allows for the candidate's float rounding, not for any error
 * of the reference (whose own error is ~1e-15 and is itself checked: its GELU against independent
 * erfc references, each model's step against plain per-example double references).
 */
final class Rules {
    private Rules() {
    }

    static final double U = 0x1p-24;
    /** A GEMM's error relative to Σ_k |a_ik·b_kj| (plus |c0| when accumulating), for K ≤ 256. */
    static final double GEMM = 1e-5;
    /** A sum's error relative to Σ|terms| (column sums, per-token gradient sums). */
    static final double SUM = 1e-6;
    /** GELU(x): relative error ≤ GELU·(1 + x²) for x < 0 (Φ's condition number grows as x²), GELU for x ≥ 0. */
    static final double GELU = 6e-7;
    /** GELU'(x): error ≤ GELU_SLOPE·(1 + x²)[x < 0]·(Φ(x) + |x|φ(x)) (both terms' sizes: the sum crosses zero at −0.75). */
    static final double GELU_SLOPE = 6e-7;
    /** The attention model's primitives: of the largest magnitude of the output, per model. */
    static final double ATTENTION = 1e-5;
    /**
     * Results smaller than this may be flushed to zero: GELU and GELU' reach the float subnormal
     * range near x = −13 (GELU(−13.2) ≈ −1e−38), and an implementation may flush its intermediates
     * there. On x ∈ [−12, 12] the values are ≥ 2e−32, so relative accuracy is still demanded.
     */
    static final double TINY = 1e-36;

    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    /** The standard normal density φ(x). */
    static double phi(double x) {
        return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    /** Φ(x) from the reference's GELU(x) = x·Φ(x). */
    static double cdf(double x, double gelu) {
        return x == 0 ? 0.5 : gelu / x;
    }

    /** GELU'(x) = Φ(x) + x·φ(x). */
    static double slope(double x, double gelu) {
        return cdf(x, gelu) + x * phi(x);
    }

    /** The tolerance of GELU(x) computed from an exact x; {@code gelu} is the reference's value. */
    static double geluTolerance(double x, double gelu) {
        return (x < 0 ? GELU * (1 + x * x) : GELU) * Math.abs(gelu) + TINY;
    }

    /** The tolerance of GELU'(x) computed from an exact x. */
    static double slopeTolerance(double x, double gelu) {
        double terms = cdf(x, gelu) + Math.abs(x) * phi(x);
        return GELU_SLOPE * (x < 0 ? 1 + x * x : 1) * terms + TINY;
    }

    /**
     * A candidate forms the pre-activation x in float (pa + pb + bias, or pre + bias): its x is off by
     * up to {@code dx}, which moves GELU by |GELU'(x)|·dx. The reference forms x in double, so the
     * rounding of x is allowed for here (the former double reference took x from the engine's own
     * float additions instead, which ties the rule to one order of summation).
     */
    static double geluTolerance(double x, double gelu, double dx) {
        return geluTolerance(x, gelu) + Math.abs(slope(x, gelu)) * dx;
    }

    /** As {@link #geluTolerance(double, double, double)} for GELU', which x's rounding moves by |GELU''(x)|·dx, GELU'' = φ·(2 − x²). */
    static double slopeTolerance(double x, double gelu, double dx) {
        return slopeTolerance(x, gelu) + phi(x) * Math.abs(2 - x * x) * dx;
    }

    /**
     * A float the interface reports (a row's loss or logit scale) is the reference's double rounded to
     * float too: half a unit of its own size on top of the rule.
     */
    static double reported(double tolerance, double value) {
        return tolerance + 0.5 * U * Math.abs(value);
    }
}
