package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MannWhitneyTest {

    @Test
    void normalApproximationReproducesR() {
        // R: wilcox.test(x, y, exact = FALSE, correct = TRUE) -> W = 58, p-value = 0.1329
        // (SciPy mannwhitneyu(method='asymptotic'): 0.13291945818531892). y has ties (1.06, 1.29).
        CensoredSample x = CensoredSample.observed(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30);
        CensoredSample y = CensoredSample.observed(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29);
        RankTest.Result r = RankTest.mannWhitney(x, y);
        assertFalse(r.exact());
        assertEquals(58.0, r.u());
        assertEquals(0.13291945818531892, r.p(), 1e-12);
        assertEquals(9, r.n1());
        assertEquals(9, r.n2());
        // Swapping the samples gives U' = n1 n2 − U and the same p.
        RankTest.Result s = RankTest.mannWhitney(y, x);
        assertEquals(81 - 58.0, s.u());
        assertEquals(r.p(), s.p(), 1e-15);
        assertEquals(-r.z(), s.z(), 1e-15);
    }

    @Test
    void censoredSeedsRankAboveAndTieWithEachOther() {
        // a = {100, 200, >}, b = {150, >, >}. Ranks: 100→1, 150→2, 200→3, the three censored → 5.
        // U = (1 + 3 + 5) − 6 = 3 (pairs a > b: 200>150, >·>150, and the censored a ties two censored b: 2·½).
        // σ² = 9/12 · (7 − 24/30) = 4.65, z = (3 − 4.5 + 0.5)/√4.65, p = 2Φ(z) = 0.6428348264908044.
        RankTest.Result r = RankTest.mannWhitney(CensoredSample.fromSteps(new int[]{100, 200, -1}),
            CensoredSample.fromSteps(new int[]{150, -1, -1}));
        assertEquals(3.0, r.u());
        assertEquals(-1 / Math.sqrt(4.65), r.z(), 1e-15);
        assertEquals(0.6428348264908044, r.p(), 1e-13);
        assertFalse(r.exact()); // the censored seeds tie
    }

    @Test
    void allTiedGivesPOne() {
        RankTest.Result r = RankTest.mannWhitney(CensoredSample.fromSteps(new int[]{-1, -1, -1}), CensoredSample.fromSteps(new int[]{-1, -1}));
        assertEquals(3.0, r.u());
        assertEquals(0.0, r.z());
        assertEquals(1.0, r.p());
    }

    @Test
    void exactPValueWithoutTiesMatchesR() {
        // R's ?wilcox.test example: W = 35, exact one-sided p 0.1272 (SciPy exact two-sided 0.2544122544122544).
        CensoredSample a = CensoredSample.observed(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46);
        CensoredSample b = CensoredSample.observed(1.15, 0.88, 0.90, 0.74, 1.21);
        RankTest.Result r = RankTest.mannWhitney(a, b);
        assertTrue(r.exact());
        assertEquals(35.0, r.u());
        assertEquals(0.2544122544122544, r.p(), 1e-14);
        // Complete separation of 3 vs 3: 2 of the 20 orderings are as extreme -> p = 0.1.
        RankTest.Result sep = RankTest.mannWhitney(CensoredSample.observed(1, 2, 3), CensoredSample.observed(4, 5, 6));
        assertEquals(0.0, sep.u());
        assertEquals(0.1, sep.p(), 1e-15);
        // Forcing the normal approximation (SciPy asymptotic, continuity corrected: 0.24462360512698333).
        assertEquals(0.24462360512698333, RankTest.mannWhitney(a, b, false).p(), 1e-12);
    }

    @Test
    void uDistributionMatchesBruteForceEnumeration() {
        int m = 5;
        int n = 4;
        double[] dist = RankTest.uDistribution(m, n);
        // Enumerate every choice of which m of the m+n ranks belong to sample a.
        double[] count = new double[m * n + 1];
        int total = 0;
        for (int mask = 0; mask < 1 << (m + n); mask++) {
            if (Integer.bitCount(mask) != m) continue;
            int u = 0;
            for (int i = 0; i < m + n; i++)
                if ((mask >> i & 1) == 1)
                    for (int j = 0; j < i; j++) if ((mask >> j & 1) == 0) u++; // a at rank i beats b at lower j
            count[u]++;
            total++;
        }
        assertEquals(126, total);
        for (int k = 0; k <= m * n; k++) assertEquals(count[k] / total, dist[k], 1e-15, "P(U = " + k + ")");
    }
}
