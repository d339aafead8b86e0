package dev.normclock.analysis;

import java.util.Arrays;

/**
 * Per-seed first-passage times (T_grok, T_mem, ...) of one cell, where a seed that did not reach
 * the event within its budget is <em>censored</em>: all that is known is T &gt; budget. Censored
 * seeds are kept, never dropped, because dropping them biases every summary towards fast seeds.
 *
 * <p>For a censored seed, {@code values[i]} holds a lower bound (its budget) or +∞ when the bound
 * is unknown; no statistic here uses that number except to order it above the observed values.
 * Arrays are copied in and out, so a sample is immutable.
 *
 * @param values   per-seed times; finite for observed seeds
 * @param censored per-seed flag, true when the seed did not reach the event
 */
public record CensoredSample(double[] values, boolean[] censored) {

    public CensoredSample {
        if (values.length != censored.length)
            throw new IllegalArgumentException("values and censored differ in length: " + values.length + " vs " + censored.length);
        values = values.clone();
        censored = censored.clone();
        for (int i = 0; i < values.length; i++) {
            if (!censored[i] && !Double.isFinite(values[i]))
                throw new IllegalArgumentException("observed value " + i + " is not finite: " + values[i]);
            if (censored[i] && Double.isNaN(values[i]))
                throw new IllegalArgumentException("censored value " + i + " is NaN; use its budget or +Infinity");
        }
    }

    /** A sample from values and censored flags (both copied). */
    public static CensoredSample of(double[] values, boolean[] censored) {
        return new CensoredSample(values, censored);
    }

    /** A fully observed sample. */
    public static CensoredSample observed(double... values) {
        return new CensoredSample(values, new boolean[values.length]);
    }

    /** A sample from logged steps where −1 means "not reached" (censored, stored as +∞). */
    public static CensoredSample fromSteps(int[] steps) {
        double[] v = new double[steps.length];
        boolean[] c = new boolean[steps.length];
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] == -1) {
                c[i] = true;
                v[i] = Double.POSITIVE_INFINITY;
            } else if (steps[i] < 0) {
                throw new IllegalArgumentException("step " + i + " is negative but not -1: " + steps[i]);
            } else {
                v[i] = steps[i];
            }
        }
        return new CensoredSample(v, c);
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    @Override
    public boolean[] censored() {
        return censored.clone();
    }

    public double value(int i) {
        return values[i];
    }

    public boolean isCensored(int i) {
        return censored[i];
    }

    public int size() {
        return values.length;
    }

    /** Number of seeds that reached the event (not censored). */
    public int reached() {
        int r = 0;
        for (boolean c : censored) if (!c) r++;
        return r;
    }

    /** Fraction of seeds that reached the event; NaN for an empty sample. */
    public double fraction() {
        return size() == 0 ? Double.NaN : (double) reached() / size();
    }

    /** The observed (non-censored) values, sorted ascending. */
    public double[] observedSorted() {
        double[] v = new double[reached()];
        int k = 0;
        for (int i = 0; i < values.length; i++) if (!censored[i]) v[k++] = values[i];
        Arrays.sort(v);
        return v;
    }

    /**
     * The papers' median: the middle value, or the mean of the two middle values for an even
     * count, with censored seeds sorted above every observed value. NaN when a middle value is
     * censored (then the median is only known to exceed the budget; see {@link #medianIsCensored()})
     * and for an empty sample.
     */
    public double median() {
        int n = size();
        if (n == 0 || medianIsCensored()) return Double.NaN;
        double[] obs = observedSorted();
        return n % 2 == 1 ? obs[n / 2] : (obs[n / 2 - 1] + obs[n / 2]) / 2;
    }

    /** True when a middle value of a non-empty sample is censored: at most ⌊n/2⌋ seeds reached the event. */
    public boolean medianIsCensored() {
        int n = size();
        if (n == 0) return false;
        int highestMiddle = n / 2; // index of the upper middle value (the middle one for odd n)
        return highestMiddle >= reached();
    }

    /** The sample of seeds {@code idx[0], idx[1], ...} (indices may repeat: a bootstrap draw). */
    public CensoredSample resample(int[] idx) {
        double[] v = new double[idx.length];
        boolean[] c = new boolean[idx.length];
        for (int i = 0; i < idx.length; i++) {
            v[i] = values[idx[i]];
            c[i] = censored[idx[i]];
        }
        return new CensoredSample(v, c);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CensoredSample s && Arrays.equals(values, s.values) && Arrays.equals(censored, s.censored);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + Arrays.hashCode(censored);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("CensoredSample[");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) b.append(", ");
            b.append(censored[i] ? ">" + values[i] : Double.toString(values[i]));
        }
        return b.append(']').toString();
    }
}
