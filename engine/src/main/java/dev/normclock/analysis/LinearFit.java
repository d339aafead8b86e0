package dev.normclock.analysis;

/**
 * Ordinary least squares y = intercept + slope·x, computed from centred sums for accuracy.
 * Standard errors are the classical ones, with the residual variance SSres/(n−2); they are NaN for
 * n = 2 (no degrees of freedom left). r2 = 1 − SSres/SStot is NaN when all y are equal.
 *
 * <p>A NaN in x or y gives a fit whose every number is NaN (rather than an exception) so that a
 * bootstrap statistic built on it reports an undefined resample; infinite values are rejected.
 */
public record LinearFit(double slope, double intercept, double r2, int n, double slopeStdErr, double interceptStdErr) {

    /**
     * Least-squares fit of y on x.
     *
     * @throws IllegalArgumentException if the lengths differ, n &lt; 2, all x are equal, or a value is infinite
     */
    public static LinearFit of(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        int n = x.length;
        if (n < 2) throw new IllegalArgumentException("a linear fit needs at least 2 points, got " + n);
        boolean hasNaN = false;
        for (int i = 0; i < n; i++) {
            if (Double.isInfinite(x[i]) || Double.isInfinite(y[i]))
                throw new IllegalArgumentException("infinite value at point " + i + ": x=" + x[i] + " y=" + y[i]);
            hasNaN |= Double.isNaN(x[i]) || Double.isNaN(y[i]);
        }
        if (hasNaN) return new LinearFit(Double.NaN, Double.NaN, Double.NaN, n, Double.NaN, Double.NaN);
        double mx = mean(x);
        double my = mean(y);
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if (sxx == 0) throw new IllegalArgumentException("all " + n + " x values are equal (" + x[0] + "): the slope is undefined");
        double slope = sxy / sxx;
        double intercept = my - slope * mx;
        double ssRes = 0;
        for (int i = 0; i < n; i++) {
            double r = y[i] - (intercept + slope * x[i]);
            ssRes += r * r;
        }
        double r2 = syy == 0 ? Double.NaN : 1 - ssRes / syy;
        double sigma2 = n > 2 ? ssRes / (n - 2) : Double.NaN;
        double slopeSe = Math.sqrt(sigma2 / sxx);
        double interceptSe = Math.sqrt(sigma2 * (1.0 / n + mx * mx / sxx));
        return new LinearFit(slope, intercept, r2, n, slopeSe, interceptSe);
    }

    public double predict(double x) {
        return intercept + slope * x;
    }

    /**
     * Two-sided interval for the slope at {@code level} from the t-distribution with n − 2 degrees
     * of freedom (needs n ≥ 3).
     */
    public Interval slopeInterval(double level) {
        if (n < 3) throw new IllegalArgumentException("a slope interval needs at least 3 points, got " + n);
        double t = SpecialFunctions.studentTQuantile((1 + level) / 2, n - 2);
        return Interval.analytic(slope - t * slopeStdErr, slope + t * slopeStdErr, level);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double d : v) s += d;
        return s / v.length;
    }
}
