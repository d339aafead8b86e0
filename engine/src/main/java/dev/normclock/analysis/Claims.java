package dev.normclock.analysis;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Builds the claims of an analysis: our estimate beside the paper's, judged by {@link Verdicts}.
 * Our resamples and the paper's come from two fixed seeds, so every run gives the same verdicts
 * and the two sides are drawn independently.
 */
final class Claims {
    /** Bootstrap seeds of our estimates and of the paper's. */
    static final long OURS = Bootstrap.DEFAULT_SEED, THEIRS = Bootstrap.DEFAULT_SEED + 1;

    private Claims() {
    }

    /** A statistic of several cells with its bootstrap draws (each cell's seeds resampled). */
    static Estimate estimate(List<CensoredSample> cells, ToDoubleFunction<List<CensoredSample>> stat, long seed) {
        return new Estimate(stat.applyAsDouble(cells), Bootstrap.draws(cells, stat, seed));
    }

    /** A statistic of one sample of numbers with its bootstrap draws. */
    static Estimate estimate(double[] data, ToDoubleFunction<double[]> stat, long seed) {
        return new Estimate(stat.applyAsDouble(data), Bootstrap.draws(data, stat, seed));
    }

    static double median(double[] v) {
        return dev.normclock.train.Medians.median(v);
    }

    /**
     * A statistic of several samples of numbers (e.g. each cell's norms at grok) with its bootstrap
     * draws, each sample's values resampled within it, sample by sample in list order.
     */
    static Estimate estimateWithin(List<double[]> samples, ToDoubleFunction<List<double[]>> stat, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        double[] draws = new double[Bootstrap.DEFAULT_RESAMPLES];
        for (int b = 0; b < draws.length; b++) {
            List<double[]> r = new java.util.ArrayList<>(samples.size());
            for (double[] c : samples) {
                double[] v = new double[c.length];
                for (int i = 0; i < v.length; i++) v[i] = c[rng.nextInt(c.length)];
                r.add(v);
            }
            draws[b] = stat.applyAsDouble(r);
        }
        return new Estimate(stat.applyAsDouble(samples), draws);
    }

    /** Wilson's 95 % interval of a share k / n. */
    static Interval binomialInterval(int k, int n) {
        if (n == 0) return Interval.analytic(Double.NaN, Double.NaN, 0.95);
        double z = 1.959963984540054, p = (double) k / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return Interval.analytic(Math.max(0, centre - half), Math.min(1, centre + half), 0.95);
    }

    /**
     * The 95 % interval of a difference of two shares, k1/n1 − k2/n2, by Newcombe's hybrid score
     * method (his method 10): it combines the two Wilson intervals, so it stays inside [−1, 1] and
     * is not degenerate at 0/n, where the Wald interval is.
     */
    static Interval shareDifference(int k1, int n1, int k2, int n2) {
        if (n1 == 0 || n2 == 0) return Interval.analytic(Double.NaN, Double.NaN, 0.95);
        double p1 = (double) k1 / n1, p2 = (double) k2 / n2, d = p1 - p2;
        Interval a = binomialInterval(k1, n1), b = binomialInterval(k2, n2);
        double lo = d - Math.sqrt(sq(p1 - a.lo()) + sq(b.hi() - p2));
        double hi = d + Math.sqrt(sq(a.hi() - p1) + sq(p2 - b.lo()));
        return Interval.analytic(Math.max(-1, lo), Math.min(1, hi), 0.95);
    }

    private static double sq(double x) {
        return x * x;
    }

    /**
     * Our estimate against the paper's (null: the paper has no such number, and the claim says so).
     * See {@link Verdicts#compare} for the margin.
     */
    static StudyResult.Claim compare(String id, String experiment, String statement, Estimate ours, Estimate paper, String paperText,
                                     Verdicts.Scale scale, double margin, boolean absolute, String scope) {
        Interval oi = ours.interval();
        if (paper == null || Double.isNaN(paper.value()))
            return new StudyResult.Claim(id, experiment, statement, n(ours.value()), n(oi.lo()), n(oi.hi()), paperText, null, null, null,
                    "no paper value", "", null, null, ours.undefinedShare(), scope);
        Verdicts.Judgement j = Verdicts.compare(ours, paper, scale, margin, absolute);
        Interval pi = paper.interval();
        boolean spread = paper.draws().length > 1;
        return new StudyResult.Claim(id, experiment, statement, n(ours.value()), n(oi.lo()), n(oi.hi()), paperText, paper.value(),
                spread ? n(pi.lo()) : null, spread ? n(pi.hi()) : null, j.verdict(), j.rule(), j.differenceLo(), j.differenceHi(),
                j.undefinedShare(), scope);
    }

    /** Our estimate against a bound (e.g. R² ≥ 0.95, CV ≤ 5 %); the paper's number, if any, is shown beside it. */
    static StudyResult.Claim bound(String id, String experiment, String statement, Estimate ours, String paperText, double paperValue,
                                   double bound, boolean atLeast, String scope) {
        Interval oi = ours.interval();
        Verdicts.Judgement j = Verdicts.bound(ours, bound, atLeast);
        return new StudyResult.Claim(id, experiment, statement, n(ours.value()), n(oi.lo()), n(oi.hi()), paperText, n(paperValue), null, null,
                j.verdict(), j.rule(), null, null, j.undefinedShare(), scope);
    }

    static Double n(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
