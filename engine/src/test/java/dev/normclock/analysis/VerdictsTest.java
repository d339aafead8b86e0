package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The verdict rules: agreement must be shown (the difference's interval inside the margin), a
 * difference is one whose interval excludes 0, and a wide or mostly undefined estimate is
 * inconclusive — never "agrees".
 */
class VerdictsTest {
    static Estimate normal(double mean, double sd, double undefinedShare) {
        SplittableRandom r = new SplittableRandom(7);
        double[] d = new double[3000];
        for (int i = 0; i < d.length; i++) {
            double u = 1 - r.nextDouble(), v = r.nextDouble();
            d[i] = i < undefinedShare * d.length ? Double.NaN : mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        }
        return new Estimate(mean, d);
    }

    @Test
    void agreementIsShownNotMerelyNotRefuted() {
        Estimate paper = Estimate.quoted(7.49, 7.16, 7.69);
        assertEquals("agrees", Verdicts.compare(normal(7.5, 0.2, 0), paper, Verdicts.Scale.LINEAR, 0.2, false).verdict());
        // the old rule (overlapping intervals) would pass this: ours [5.0, 8.0] overlaps [7.16, 7.69]
        Verdicts.Judgement wide = Verdicts.compare(normal(6.5, 0.75, 0), paper, Verdicts.Scale.LINEAR, 0.2, false);
        assertEquals("inconclusive", wide.verdict(), wide.toString());
        assertTrue(wide.differenceLo() < 0 && wide.differenceHi() > 0);
    }

    @Test
    void aDifferenceIsAnIntervalThatExcludesZero() {
        Verdicts.Judgement j = Verdicts.compare(normal(9.0, 0.2, 0), Estimate.exact(7.64), Verdicts.Scale.LINEAR, 0.2, false);
        assertEquals("differs", j.verdict());
        assertTrue(j.differenceLo() > 0, j.toString());
        // a ratio on a log scale: 2.82 against 3.36 with tight intervals differs beyond a factor 1.1 …
        assertEquals("differs", Verdicts.compare(normal(2.82, 0.05, 0), normal(3.36, 0.05, 0), Verdicts.Scale.LOG, 0.1, false).verdict());
        // … and is a small difference within a factor 1.25
        assertEquals("agrees (small difference)",
                Verdicts.compare(normal(2.82, 0.05, 0), normal(3.36, 0.05, 0), Verdicts.Scale.LOG, 0.25, false).verdict());
        assertEquals("agrees", Verdicts.compare(normal(18.0, 1.0, 0), normal(18.7, 1.5, 0), Verdicts.Scale.LOG, 0.5, false).verdict());
    }

    @Test
    void mostlyUndefinedResamplesDecideNothing() {
        Verdicts.Judgement j = Verdicts.compare(normal(7.5, 0.05, 0.3), Estimate.exact(7.5), Verdicts.Scale.LINEAR, 0.2, false);
        assertEquals("inconclusive", j.verdict());
        assertEquals(0.3, j.undefinedShare(), 1e-9);
    }

    @Test
    void boundsAreJudgedOnTheWholeInterval() {
        assertEquals("agrees", Verdicts.bound(normal(0.98, 0.005, 0), 0.95, true).verdict());
        assertEquals("differs", Verdicts.bound(normal(0.90, 0.01, 0), 0.95, true).verdict());
        assertEquals("inconclusive", Verdicts.bound(normal(0.955, 0.02, 0), 0.95, true).verdict());
        assertEquals("agrees", Verdicts.bound(normal(0.01, 0.005, 0), 0.05, false).verdict(), "a CV at most 5 %");
        assertEquals("differs", Verdicts.bound(normal(0.09, 0.01, 0), 0.05, false).verdict());
    }

    @Test
    void paperBsRecoveryInterpolatesAlongTheLogitScale() {
        // T0 = 4000 (base), T1 = 13000 (up, τ = 1, L 14); up cells at L 12 and 9 with medians 9000 and 6000; L0 = 10
        double[] median = {4000, 13000, 9000, 6000}, scale = {10, 14, 12, 9};
        assertEquals((13000 - 7000) / 9000.0, StudyAnalysis.recoveryOf(median, scale), 1e-12);
        assertTrue(Double.isNaN(StudyAnalysis.recoveryOf(median, new double[]{8, 14, 12, 9})), "no extrapolation below the up cells' L");
        assertEquals(1.0, StudyAnalysis.recoveryOf(new double[]{4000, 13000, 4000}, new double[]{10, 14, 10}), 1e-12,
                "a τ that brings L back to L0 and T back to T0 recovers all of the delay");
    }

    @Test
    void binomialIntervalsBoundAShare() {
        Interval i = Claims.binomialInterval(0, 6);
        assertEquals(0, i.lo(), 1e-12);
        assertTrue(i.hi() > 0.3 && i.hi() < 0.5, "0/6 does not rule out a share of a third: " + i);
    }

    @Test
    void theDifferenceOfTwoSharesHasNewcombesInterval() {
        // Newcombe (1998), Statistics in Medicine 17:873, table II, method 10
        Interval a = Claims.shareDifference(56, 70, 48, 80);
        assertEquals(0.0524, a.lo(), 5e-4);
        assertEquals(0.3339, a.hi(), 5e-4);
        Interval b = Claims.shareDifference(9, 10, 3, 10);
        assertEquals(0.1705, b.lo(), 5e-4);
        assertEquals(0.8090, b.hi(), 5e-4);
        // 1 of 6 against 0 of 12 (p = 31 at ρ = 0.85): not a difference, and too few seeds to show agreement
        Interval p31 = Claims.shareDifference(1, 6, 0, 12);
        assertTrue(p31.lo() < 0 && p31.hi() > 0.5, p31.toString());
        assertTrue(Claims.shareDifference(6, 6, 0, 12).lo() > 0);
    }
}
