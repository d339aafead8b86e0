package dev.normclock.analysis;

import java.util.Arrays;

/**
 * Two-sided Mann–Whitney U (Wilcoxon rank-sum) test of whether two cells' first-passage times
 * differ in distribution, with censored seeds.
 *
 * <p><b>Censoring.</b> Censored seeds of both samples rank above every observed value and tie with
 * each other. This is exact when both budgets are at least every observed time of both samples
 * (then a censored seed really is slower than every observed one); if one cell had a shorter budget
 * than a time observed in the other, the ranking is an assumption.
 *
 * <p><b>Statistic.</b> Mid-ranks for ties; U = R_a − n_a(n_a+1)/2, the count of pairs with a &gt; b
 * plus half the ties (R's {@code W} for {@code wilcox.test(a, b)}).
 *
 * <p><b>p-value.</b> With no ties and both n ≤ {@value #EXACT_MAX_N}, the exact permutation
 * distribution of U (by dynamic programming), two-sided as R does it: min(1, 2·min(P(U ≤ u),
 * P(U ≥ u))). Otherwise the normal approximation with tie-corrected variance
 * σ² = n_a n_b/12 · ((N+1) − Σ(t³−t)/(N(N−1))) and continuity correction
 * z = (U − n_a n_b/2 − sign(U − n_a n_b/2)·½)/σ, p = 2·min(Φ(z), 1 − Φ(z)) — R's
 * {@code wilcox.test(..., exact = FALSE, correct = TRUE)}. When every value ties (e.g. both cells
 * fully censored) σ = 0; then z = 0 and p = 1.
 */
public final class RankTest {
    /** Largest sample size (each sample) for which the exact p-value is used when there are no ties. */
    public static final int EXACT_MAX_N = 10;

    private RankTest() {
    }

    /**
     * @param u     the U statistic of sample a
     * @param z     the normal-approximation z (with continuity correction), reported also when the
     *              p-value is exact
     * @param p     two-sided p-value
     * @param n1    size of sample a
     * @param n2    size of sample b
     * @param exact whether p comes from the exact distribution
     */
    public record Result(double u, double z, double p, int n1, int n2, boolean exact) {
    }

    /** The test with the exact p-value where it applies (no ties, both n ≤ 10). */
    public static Result mannWhitney(CensoredSample a, CensoredSample b) {
        return mannWhitney(a, b, true);
    }

    /** The test; {@code allowExact = false} forces the normal approximation. */
    public static Result mannWhitney(CensoredSample a, CensoredSample b, boolean allowExact) {
        int n1 = a.size();
        int n2 = b.size();
        if (n1 == 0 || n2 == 0) throw new IllegalArgumentException("both samples need at least one seed, got " + n1 + " and " + n2);
        int total = n1 + n2;
        // Sort keys: observed values by value, every censored value as +∞ (all tie).
        double[] key = new double[total];
        for (int i = 0; i < n1; i++) key[i] = a.isCensored(i) ? Double.POSITIVE_INFINITY : a.value(i);
        for (int j = 0; j < n2; j++) key[n1 + j] = b.isCensored(j) ? Double.POSITIVE_INFINITY : b.value(j);
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Double.compare(key[p], key[q]));
        double[] rank = new double[total];
        double tieSum = 0; // Σ (t³ − t) over tie groups
        boolean ties = false;
        for (int start = 0; start < total; ) {
            int end = start;
            while (end + 1 < total && key[order[end + 1]] == key[order[start]]) end++;
            double mid = (start + end) / 2.0 + 1; // mean of ranks start+1 .. end+1
            for (int k = start; k <= end; k++) rank[order[k]] = mid;
            double t = end - start + 1;
            if (t > 1) {
                ties = true;
                tieSum += t * t * t - t;
            }
            start = end + 1;
        }
        double rankSumA = 0;
        for (int i = 0; i < n1; i++) rankSumA += rank[i];
        double u = rankSumA - n1 * (n1 + 1) / 2.0;
        double mean = n1 * (double) n2 / 2;
        double sigma = Math.sqrt(n1 * (double) n2 / 12 * ((total + 1) - tieSum / ((double) total * (total - 1))));
        double z;
        double pNormal;
        if (sigma == 0) {
            z = 0;
            pNormal = 1;
        } else {
            double diff = u - mean;
            z = (diff - Math.signum(diff) * 0.5) / sigma;
            pNormal = Math.min(1, 2 * Math.min(SpecialFunctions.normalCdf(z), SpecialFunctions.normalCdf(-z)));
        }
        if (allowExact && !ties && n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N) {
            return new Result(u, z, exactTwoSided((int) u, n1, n2), n1, n2, true);
        }
        return new Result(u, z, pNormal, n1, n2, false);
    }

    /** Exact two-sided p of U = u under H0 for sizes m, n without ties (R's convention). */
    static double exactTwoSided(int u, int m, int n) {
        double[] dist = uDistribution(m, n);
        double p;
        if (u > m * n / 2.0) {
            p = 0;
            for (int k = u; k < dist.length; k++) p += dist[k];
        } else {
            p = 0;
            for (int k = 0; k <= u; k++) p += dist[k];
        }
        return Math.min(1, 2 * p);
    }

    /**
     * Null distribution P(U = k), k = 0..m·n, of the Mann–Whitney U for sizes m, n without ties,
     * from the recursion c(k; m, n) = c(k − n; m − 1, n) + c(k; m, n − 1) on the number of orderings.
     */
    static double[] uDistribution(int m, int n) {
        // counts[i][j][k]: orderings of i a's and j b's with U = k; iterate keeping a 2-D slice per i.
        double[][] prev = new double[n + 1][]; // i - 1
        for (int j = 0; j <= n; j++) prev[j] = new double[]{1}; // i = 0: U = 0 only
        for (int i = 1; i <= m; i++) {
            double[][] cur = new double[n + 1][];
            cur[0] = new double[]{1}; // j = 0: U = 0 only
            for (int j = 1; j <= n; j++) {
                double[] c = new double[i * j + 1];
                // The largest value is an a (it beats all j b's: U gains j) or a b (U unchanged).
                double[] withA = prev[j];
                for (int k = 0; k < withA.length; k++) c[k + j] += withA[k];
                double[] withB = cur[j - 1];
                for (int k = 0; k < withB.length; k++) c[k] += withB[k];
                cur[j] = c;
            }
            prev = cur;
        }
        double[] counts = prev[n];
        double total = 0;
        for (double c : counts) total += c;
        double[] p = new double[counts.length];
        for (int k = 0; k < counts.length; k++) p[k] = counts[k] / total;
        return p;
    }
}
