package dev.normclock.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap confidence intervals over seeds, reproducible: resampling indices come from
 * a {@link SplittableRandom} seeded with the given seed, drawn in a fixed order (resample by
 * resample, cell by cell, seed by seed), so the same inputs and seed give the same interval.
 *
 * <p>Each resample draws, within every cell independently, as many seeds as the cell has, with
 * replacement, and recomputes the statistic. A resample whose statistic is NaN (e.g. the median of
 * a resample where half the seeds are censored, or a fit through such a median) is counted in
 * {@link Interval#undefined()} and left out of the percentiles: the interval then describes the
 * statistic conditional on being defined, and a large undefined fraction is a warning that it is
 * not well determined. Infinite values are kept and sorted as usual.
 *
 * <p>Percentiles use R's type 7 (linear interpolation between order statistics, see
 * {@link #percentile}): the interval at level L is [q((1−L)/2), q((1+L)/2)] of the defined
 * resampled statistics.
 */
public final class Bootstrap {
    public static final int DEFAULT_RESAMPLES = 3000;
    public static final long DEFAULT_SEED = 20260613L;
    public static final double DEFAULT_LEVEL = 0.95;

    private Bootstrap() {
    }

    /** Percentile interval of {@code stat} over resamples of {@code data}. */
    public static Interval ci(double[] data, ToDoubleFunction<double[]> stat, int resamples, long seed, double level) {
        checkArgs(resamples, level);
        SplittableRandom rng = new SplittableRandom(seed);
        int n = data.length;
        double[] stats = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) r[i] = data[rng.nextInt(n)];
            stats[b] = stat.applyAsDouble(r);
        }
        return interval(stats, level);
    }

    /** {@link #ci(double[], ToDoubleFunction, int, long, double)} with 3000 resamples, seed 20260613, 95%. */
    public static Interval ci(double[] data, ToDoubleFunction<double[]> stat) {
        return ci(data, stat, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_LEVEL);
    }

    /**
     * Percentile interval of a statistic of several cells (e.g. the slope of ln median T_grok
     * against ρ): each resample redraws the seeds of every cell independently, keeping each cell's
     * size and the order of the cells, and passes the resampled cells to {@code stat}.
     */
    public static Interval ci(List<CensoredSample> cells, ToDoubleFunction<List<CensoredSample>> stat,
                              int resamples, long seed, double level) {
        checkArgs(resamples, level);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        for (int b = 0; b < resamples; b++) stats[b] = stat.applyAsDouble(resampleCells(cells, rng));
        return interval(stats, level);
    }

    /** The multi-cell {@code ci} with 3000 resamples, seed 20260613, 95%. */
    public static Interval ci(List<CensoredSample> cells, ToDoubleFunction<List<CensoredSample>> stat) {
        return ci(cells, stat, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_LEVEL);
    }

    /** The resampled statistics themselves (NaN where undefined), for a comparison of two estimates; see {@link #ci(double[], ToDoubleFunction)}. */
    public static double[] draws(double[] data, ToDoubleFunction<double[]> stat, long seed) {
        return draws(data, stat, seed, DEFAULT_RESAMPLES);
    }

    /** As {@link #draws(double[], ToDoubleFunction, long)} with the given number of resamples. */
    public static double[] draws(double[] data, ToDoubleFunction<double[]> stat, long seed, int resamples) {
        checkArgs(resamples, DEFAULT_LEVEL);
        SplittableRandom rng = new SplittableRandom(seed);
        int n = data.length;
        double[] stats = new double[resamples];
        for (int b = 0; b < stats.length; b++) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) r[i] = data[rng.nextInt(n)];
            stats[b] = stat.applyAsDouble(r);
        }
        return stats;
    }

    /** The resampled statistics of several cells (NaN where undefined); see {@link #ci(List, ToDoubleFunction)}. */
    public static double[] draws(List<CensoredSample> cells, ToDoubleFunction<List<CensoredSample>> stat, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] stats = new double[DEFAULT_RESAMPLES];
        for (int b = 0; b < stats.length; b++) stats[b] = stat.applyAsDouble(resampleCells(cells, rng));
        return stats;
    }

    /** The percentile interval of given draws (NaN ones counted as undefined). */
    public static Interval interval(double[] draws) {
        return interval(draws, DEFAULT_LEVEL);
    }

    /** Interval of the (censored) median of one cell; resamples with a censored median are undefined. */
    public static Interval medianCi(CensoredSample cell, int resamples, long seed, double level) {
        return ci(List.of(cell), cs -> cs.getFirst().median(), resamples, seed, level);
    }

    /** {@link #medianCi(CensoredSample, int, long, double)} with the defaults. */
    public static Interval medianCi(CensoredSample cell) {
        return medianCi(cell, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_LEVEL);
    }

    /** One bootstrap draw: every cell resampled with replacement to its own size, cell order kept. */
    public static List<CensoredSample> resampleCells(List<CensoredSample> cells, SplittableRandom rng) {
        List<CensoredSample> out = new ArrayList<>(cells.size());
        for (CensoredSample cell : cells) {
            int n = cell.size();
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = rng.nextInt(n);
            out.add(cell.resample(idx));
        }
        return List.copyOf(out);
    }

    /**
     * Type-7 sample quantile (R's default, NumPy's "linear") of ascending {@code sorted} at
     * probability p: with h = (n−1)p, x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
     */
    public static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        if (lo >= sorted.length - 1) return sorted[sorted.length - 1];
        double a = sorted[lo];
        double b = sorted[lo + 1];
        return a == b ? a : a + (h - lo) * (b - a);
    }

    private static Interval interval(double[] stats, double level) {
        double[] defined = Arrays.stream(stats).filter(s -> !Double.isNaN(s)).sorted().toArray();
        int undefined = stats.length - defined.length;
        double lo = percentile(defined, (1 - level) / 2);
        double hi = percentile(defined, (1 + level) / 2);
        return new Interval(lo, hi, level, stats.length, undefined);
    }

    private static void checkArgs(int resamples, double level) {
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), got " + level);
    }
}
