package dev.normclock.train;

import java.util.Arrays;

/** Medians as the papers take them (the mean of the two middle values for an even count). */
public final class Medians {
    private Medians() {
    }

    public static double median(double[] values) {
        if (values.length == 0) return Double.NaN;
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Median where +∞ marks a censored value; NaN when the median falls on a censored value. */
    public static double censoredMedian(double[] values) {
        double m = median(values);
        return Double.isInfinite(m) ? Double.NaN : m;
    }
}
