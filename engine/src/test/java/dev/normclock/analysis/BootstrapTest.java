package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class BootstrapTest {

    private static double[] normalSample(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return v;
    }

    private static double median(double[] v) {
        return CensoredSample.observed(v).median();
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    @Test
    void percentileIsType7() {
        // NumPy quantile(1..10, [0.025, 0.1, 0.975]) = [1.225, 1.9, 9.775] (R type 7 too).
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(1.225, Bootstrap.percentile(x, 0.025), 1e-14);
        assertEquals(1.9, Bootstrap.percentile(x, 0.1), 1e-14);
        assertEquals(9.775, Bootstrap.percentile(x, 0.975), 1e-14);
        assertEquals(1.0, Bootstrap.percentile(x, 0));
        assertEquals(10.0, Bootstrap.percentile(x, 1));
        assertEquals(5.5, Bootstrap.percentile(x, 0.5));
        assertEquals(Double.POSITIVE_INFINITY, Bootstrap.percentile(new double[]{1, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}, 0.9));
    }

    @Test
    void sameSeedGivesTheSameInterval() {
        double[] data = normalSample(40, 7);
        Interval a = Bootstrap.ci(data, BootstrapTest::median, 500, 99, 0.9);
        Interval b = Bootstrap.ci(data, BootstrapTest::median, 500, 99, 0.9);
        assertEquals(a, b);
        Interval c = Bootstrap.ci(data, BootstrapTest::median, 500, 100, 0.9);
        assertNotEquals(a, c);
        assertEquals(500, a.resamples());
        assertEquals(0, a.undefined());
        assertEquals(Bootstrap.ci(data, BootstrapTest::mean), Bootstrap.ci(data, BootstrapTest::mean, 3000, 20260613L, 0.95));
    }

    @Test
    void medianIntervalsCoverTheTrueMedianAtAboutTheirLevel() {
        // 200 normal samples of 51 seeds: the 95% interval of the median should contain the true
        // median 0 in roughly 95% of them (a binomial sd of 1.5 points; the bounds allow for the
        // percentile bootstrap's small-sample bias and the median's discreteness).
        int covered = 0;
        int trials = 200;
        for (int t = 0; t < trials; t++) {
            if (Bootstrap.ci(normalSample(51, 1000 + t), BootstrapTest::median, 500, t, 0.95).contains(0.0)) covered++;
        }
        assertTrue(covered >= 176 && covered <= 199, covered + " of " + trials);
    }

    @Test
    void medianIntervalOfALargeNormalSampleHasTheAsymptoticWidth() {
        // Asymptotic width 2 · 1.96 · √(π/2)/√n ≈ 0.155 for n = 1001; the interval is centred on the
        // sample median (0.0948 for this seed, 2.4 standard errors from 0 by chance).
        double[] data = normalSample(1001, 42);
        Interval ci = Bootstrap.ci(data, BootstrapTest::median);
        assertTrue(ci.width() > 0.11 && ci.width() < 0.2, ci.toString());
        assertTrue(ci.contains(median(data)), ci.toString());
    }

    @Test
    void meanIntervalAgreesWithNormalTheory() {
        double[] data = normalSample(400, 3);
        double m = mean(data);
        double s = Math.sqrt(Arrays.stream(data).map(v -> (v - m) * (v - m)).sum() / (data.length - 1));
        double half = 1.959963984540054 * s / Math.sqrt(data.length);
        Interval ci = Bootstrap.ci(data, BootstrapTest::mean);
        assertEquals(m - half, ci.lo(), 0.1 * half);
        assertEquals(m + half, ci.hi(), 0.1 * half);
    }

    @Test
    void multiCellResamplingKeepsCellSizesAndMembership() {
        List<CensoredSample> cells = List.of(
            CensoredSample.observed(1, 2, 3),
            CensoredSample.fromSteps(new int[]{10, 11, -1, 13, 14}),
            CensoredSample.observed(100, 101, 102, 103, 104, 105, 106, 107));
        AtomicInteger calls = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        Interval ci = Bootstrap.ci(cells, rs -> {
            calls.incrementAndGet();
            if (rs.size() != 3) problems.add("cell count " + rs.size());
            for (int k = 0; k < 3; k++) {
                if (rs.get(k).size() != cells.get(k).size()) problems.add("cell " + k + " size " + rs.get(k).size());
                for (int i = 0; i < rs.get(k).size(); i++) {
                    double v = rs.get(k).value(i);
                    boolean member = false;
                    for (int j = 0; j < cells.get(k).size(); j++)
                        member |= cells.get(k).value(j) == v && cells.get(k).isCensored(j) == rs.get(k).isCensored(i);
                    if (!member) problems.add("cell " + k + " got foreign value " + v);
                }
            }
            return rs.get(2).median() - rs.get(0).median();
        }, 200, 5, 0.95);
        assertEquals(200, calls.get());
        assertEquals(List.of(), problems);
        // The difference of medians lies between 100 − 3 and 107 − 1 in every resample.
        assertTrue(ci.lo() >= 97 && ci.hi() <= 106, ci.toString());
    }

    @Test
    void undefinedResamplesAreCountedAndLeftOut() {
        // One observed seed and two censored: the resampled median is defined only when at least two
        // of the three draws are the observed seed, probability 3·(1/3)²·(2/3) + (1/3)³ = 7/27.
        CensoredSample cell = CensoredSample.fromSteps(new int[]{500, -1, -1});
        Interval ci = Bootstrap.medianCi(cell);
        double expectedUndefined = 3000 * 20.0 / 27;
        double sd = Math.sqrt(3000 * (20.0 / 27) * (7.0 / 27));
        assertEquals(expectedUndefined, ci.undefined(), 4 * sd, ci.toString());
        assertEquals(500.0, ci.lo());
        assertEquals(500.0, ci.hi());
        // A fully censored cell: every resample undefined, interval NaN.
        Interval none = Bootstrap.medianCi(CensoredSample.fromSteps(new int[]{-1, -1}));
        assertEquals(3000, none.undefined());
        assertTrue(!none.isDefined());
    }

    @Test
    void delayLawSlopeIntervalOverCells() {
        // ln T = 1 + 7.5 ρ + N(0, 0.1²) per seed, 12 seeds at each of 4 ρ; α = slope of ln median T on ρ.
        double[] rho = {0.9, 1.0, 1.1, 1.2};
        Random r = new Random(11);
        List<CensoredSample> cells = new ArrayList<>();
        for (double p : rho) {
            double[] t = new double[12];
            for (int i = 0; i < t.length; i++) t[i] = Math.exp(1 + 7.5 * p + 0.1 * r.nextGaussian());
            cells.add(CensoredSample.observed(t));
        }
        java.util.function.ToDoubleFunction<List<CensoredSample>> alpha =
            cs -> LinearFit.of(rho, cs.stream().mapToDouble(c -> Math.log(c.median())).toArray()).slope();
        double estimate = alpha.applyAsDouble(cells);
        Interval ci = Bootstrap.ci(cells, alpha, 1000, Bootstrap.DEFAULT_SEED, 0.95);
        assertTrue(ci.contains(estimate), ci + " vs " + estimate);
        assertTrue(ci.contains(7.5), ci.toString());
        // Per-cell noise of the median ≈ 0.1·1.25/√12 ≈ 0.036 in ln T over a ρ span of 0.3: α ± ~0.5.
        assertTrue(ci.width() > 0.1 && ci.width() < 1.5, ci.toString());
        assertEquals(0, ci.undefined());
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.ci(new double[]{1}, BootstrapTest::mean, 0, 1, 0.95));
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.ci(new double[]{1}, BootstrapTest::mean, 10, 1, 1.0));
    }
}
