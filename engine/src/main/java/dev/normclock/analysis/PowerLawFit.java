package dev.normclock.analysis;

/**
 * Power law y = c·x^β, fitted as the least-squares line ln y = ln c + β·ln x (so the errors are
 * taken as multiplicative). {@code r2} is that of the log–log fit. A NaN value gives an all-NaN
 * fit, as in {@link LinearFit#of}.
 *
 * @param beta  the exponent β
 * @param c     the prefactor c = exp(intercept of the log–log fit)
 * @param r2    r² of the log–log fit
 * @param logFit the underlying fit of ln y on ln x
 */
public record PowerLawFit(double beta, double c, double r2, LinearFit logFit) {

    /**
     * Fits y = c·x^β.
     *
     * @throws IllegalArgumentException for a non-positive x or y, or what {@link LinearFit#of} rejects
     */
    public static PowerLawFit of(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        double[] lx = new double[x.length];
        double[] ly = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            if (x[i] <= 0 || y[i] <= 0) throw new IllegalArgumentException("a power law needs x, y > 0; point " + i + " is x=" + x[i] + " y=" + y[i]);
            lx[i] = Math.log(x[i]);
            ly[i] = Math.log(y[i]);
        }
        LinearFit f = LinearFit.of(lx, ly);
        return new PowerLawFit(f.slope(), Math.exp(f.intercept()), f.r2(), f);
    }

    public int n() {
        return logFit.n();
    }

    public double predict(double x) {
        return c * Math.pow(x, beta);
    }

    /** Two-sided interval for β at {@code level} from the t-distribution with n − 2 degrees of freedom (n ≥ 3). */
    public Interval betaInterval(double level) {
        return logFit.slopeInterval(level);
    }
}
