package dev.normclock.analysis;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A number with its sampling spread: the value on all the seeds and its bootstrap draws (NaN where
 * a resample left the statistic undefined, e.g. a median censored by seeds that did not grok). A
 * paper's number is an estimate too: recomputed from its released seeds by the same statistic, or,
 * where only a quoted interval is known, draws from the normal distribution that interval implies.
 */
public record Estimate(double value, double[] draws) {

    public Estimate {
        if (draws.length == 0) throw new IllegalArgumentException("an estimate needs at least one draw");
    }

    /** A value without spread (a quoted number with no interval): one draw, the value itself. */
    public static Estimate exact(double value) {
        return new Estimate(value, new double[]{value});
    }

    /**
     * A quoted value with a 95 % interval: normal draws with σ = (hi − lo) / 3.92, from a fixed seed
     * so that the verdict is the same on every run.
     */
    public static Estimate quoted(double value, double lo, double hi) {
        double sigma = (hi - lo) / (2 * 1.959963984540054);
        SplittableRandom rng = new SplittableRandom(Bootstrap.DEFAULT_SEED ^ Double.doubleToLongBits(value));
        double[] d = new double[Bootstrap.DEFAULT_RESAMPLES];
        for (int i = 0; i < d.length; i++) d[i] = value + sigma * gaussian(rng);
        return new Estimate(value, d);
    }

    private static double gaussian(SplittableRandom rng) { // Box–Muller
        double u = 1 - rng.nextDouble(), v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Share of the draws that are undefined (NaN). */
    public double undefinedShare() {
        return (double) Arrays.stream(draws).filter(Double::isNaN).count() / draws.length;
    }

    /** The 95 % percentile interval of the defined draws. */
    public Interval interval() {
        return Bootstrap.interval(draws);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Estimate e && Double.compare(value, e.value) == 0 && Arrays.equals(draws, e.draws);
    }

    @Override
    public int hashCode() {
        return 31 * Double.hashCode(value) + Arrays.hashCode(draws);
    }

    @Override
    public String toString() {
        return "Estimate[" + value + ", " + draws.length + " draws]";
    }
}
