package dev.normclock.analysis;

/**
 * A two-sided confidence interval [lo, hi] at {@code level} (e.g. 0.95). For a bootstrap interval,
 * {@code resamples} is the number of resamples drawn and {@code undefined} how many of them gave
 * an undefined (NaN) statistic and were left out of the percentiles; an analytic interval (e.g.
 * from the t-distribution) has both 0. lo and hi are NaN when no resample was defined.
 */
public record Interval(double lo, double hi, double level, int resamples, int undefined) {

    public Interval {
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        if (resamples < 0 || undefined < 0 || undefined > resamples)
            throw new IllegalArgumentException("bad counts: resamples=" + resamples + " undefined=" + undefined);
        if (lo > hi) throw new IllegalArgumentException("lo > hi: " + lo + " > " + hi);
    }

    /** An interval from a closed-form formula (no resampling). */
    public static Interval analytic(double lo, double hi, double level) {
        return new Interval(lo, hi, level, 0, 0);
    }

    /** True when both ends are numbers (some resample was defined). */
    public boolean isDefined() {
        return !Double.isNaN(lo) && !Double.isNaN(hi);
    }

    public boolean contains(double x) {
        return x >= lo && x <= hi;
    }

    public double width() {
        return hi - lo;
    }

    /** Fraction of resamples with an undefined statistic; 0 for an analytic interval. */
    public double undefinedFraction() {
        return resamples == 0 ? 0 : (double) undefined / resamples;
    }
}
