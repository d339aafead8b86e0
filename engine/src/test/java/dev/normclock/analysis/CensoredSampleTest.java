package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CensoredSampleTest {

    @Test
    void medianOfObservedSamplesIsThePapersMedian() {
        assertEquals(3.0, CensoredSample.observed(5, 1, 3).median());
        assertEquals(2.5, CensoredSample.observed(4, 1, 3, 2).median()); // mean of the middle two
        assertEquals(7.0, CensoredSample.observed(7).median());
    }

    @Test
    void censoredSeedsSortAboveEveryObservedValue() {
        // 5 seeds, 2 censored: sorted 10, 20, 30, >, > -> median 30 (censored count does not matter).
        CensoredSample s = CensoredSample.fromSteps(new int[]{30, -1, 10, -1, 20});
        assertEquals(30.0, s.median());
        assertFalse(s.medianIsCensored());
        assertEquals(3, s.reached());
        assertEquals(0.6, s.fraction(), 1e-15);
        // 4 seeds, 1 censored: 10, 20, 30, > -> (20 + 30)/2.
        assertEquals(25.0, CensoredSample.fromSteps(new int[]{-1, 30, 20, 10}).median());
    }

    @Test
    void medianFallingOnACensoredSeedIsNaN() {
        // 4 seeds, 2 censored: the upper middle value is censored.
        CensoredSample even = CensoredSample.fromSteps(new int[]{10, -1, 20, -1});
        assertTrue(even.medianIsCensored());
        assertTrue(Double.isNaN(even.median()));
        // 5 seeds, 3 censored: the middle value is censored.
        CensoredSample odd = CensoredSample.fromSteps(new int[]{-1, 10, -1, 20, -1});
        assertTrue(odd.medianIsCensored());
        assertTrue(Double.isNaN(odd.median()));
        CensoredSample empty = CensoredSample.fromSteps(new int[0]);
        assertTrue(Double.isNaN(empty.median()));
        assertFalse(empty.medianIsCensored());
        assertTrue(Double.isNaN(empty.fraction()));
    }

    @Test
    void censoredBudgetsAreLowerBoundsNotValues() {
        // A budget given as the censored value must not pull the median: same answer as +∞.
        CensoredSample withBudget = CensoredSample.of(new double[]{5, 1, 3, 2}, new boolean[]{false, false, false, true});
        CensoredSample withInf = CensoredSample.fromSteps(new int[]{5, 1, 3, -1});
        assertEquals(4.0, withBudget.median());
        assertEquals(withBudget.median(), withInf.median());
    }

    @Test
    void resampleRepeatsSeedsWithTheirFlags() {
        CensoredSample s = CensoredSample.fromSteps(new int[]{7, -1, 9});
        CensoredSample r = s.resample(new int[]{1, 1, 0, 2});
        assertEquals(4, r.size());
        assertArrayEquals(new boolean[]{true, true, false, false}, r.censored());
        assertEquals(7.0, r.value(2));
        assertEquals(9.0, r.value(3));
    }

    @Test
    void isImmutableAndValidated() {
        double[] v = {1, 2};
        CensoredSample s = CensoredSample.observed(v);
        v[0] = 99;
        s.values()[1] = 99;
        assertArrayEquals(new double[]{1, 2}, s.values());
        assertEquals(s, CensoredSample.observed(1, 2));
        assertThrows(IllegalArgumentException.class, () -> CensoredSample.of(new double[]{1}, new boolean[2]));
        assertThrows(IllegalArgumentException.class, () -> CensoredSample.observed(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> CensoredSample.fromSteps(new int[]{-2}));
    }
}
