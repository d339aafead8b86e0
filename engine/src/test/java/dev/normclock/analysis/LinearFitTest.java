package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LinearFitTest {

    @Test
    void exactLineIsRecovered() {
        double[] x = {-1, 0, 2, 5, 7.5};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 2 + 3 * x[i];
        LinearFit f = LinearFit.of(x, y);
        assertEquals(3.0, f.slope(), 1e-14);
        assertEquals(2.0, f.intercept(), 1e-14);
        assertEquals(1.0, f.r2(), 1e-15);
        assertEquals(0.0, f.slopeStdErr(), 1e-7);
        assertEquals(5, f.n());
        assertEquals(32.0, f.predict(10), 1e-13);
    }

    @Test
    void noisyLineMatchesHandComputation() {
        // x̄ = 3, ȳ = 6.02, Sxx = 10, Sxy = 19.9 -> slope 1.99, intercept 0.05; standard errors and
        // r² as given by scipy.stats.linregress.
        LinearFit f = LinearFit.of(new double[]{1, 2, 3, 4, 5}, new double[]{2.1, 3.9, 6.2, 7.8, 10.1});
        assertEquals(1.99, f.slope(), 1e-14);
        assertEquals(0.05, f.intercept(), 1e-13);
        assertEquals(0.997305328900977, f.r2(), 1e-14);
        assertEquals(0.059721576223897795, f.slopeStdErr(), 1e-14);
        assertEquals(0.19807406022327906, f.interceptStdErr(), 1e-14);
        Interval ci = f.slopeInterval(0.95);
        assertEquals(1.99 - 3.1824463052837078 * 0.059721576223897795, ci.lo(), 1e-12);
        assertEquals(1.99 + 3.1824463052837078 * 0.059721576223897795, ci.hi(), 1e-12);
    }

    @Test
    void twoPointsFitExactlyWithoutStandardErrors() {
        LinearFit f = LinearFit.of(new double[]{1, 3}, new double[]{5, 1});
        assertEquals(-2.0, f.slope(), 1e-15);
        assertEquals(7.0, f.intercept(), 1e-15);
        assertTrue(Double.isNaN(f.slopeStdErr()));
        assertThrows(IllegalArgumentException.class, () -> f.slopeInterval(0.95));
    }

    @Test
    void badInputIsRejectedClearly() {
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> LinearFit.of(new double[]{1}, new double[]{1}));
        assertTrue(one.getMessage().contains("at least 2"));
        IllegalArgumentException flat = assertThrows(IllegalArgumentException.class,
            () -> LinearFit.of(new double[]{2, 2, 2}, new double[]{1, 2, 3}));
        assertTrue(flat.getMessage().contains("equal"));
        assertThrows(IllegalArgumentException.class, () -> LinearFit.of(new double[]{1, 2}, new double[]{1}));
        assertThrows(IllegalArgumentException.class, () -> LinearFit.of(new double[]{1, 2}, new double[]{1, Double.POSITIVE_INFINITY}));
    }

    @Test
    void nanGivesAnUndefinedFit() {
        LinearFit f = LinearFit.of(new double[]{1, 2, 3}, new double[]{1, Double.NaN, 3});
        assertTrue(Double.isNaN(f.slope()));
        assertTrue(Double.isNaN(f.intercept()));
    }
}
