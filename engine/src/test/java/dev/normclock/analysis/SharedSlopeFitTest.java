package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class SharedSlopeFitTest {

    private static final double[] X = {0, 1, 2, 3};

    @Test
    void recoversInterceptsAndSlopeUnderSymmetricNoise() {
        // y = a_g − 2x + e with e = (+0.1, −0.1, −0.1, +0.1): Σ (x − x̄) e = 0 in each group, so the
        // least-squares estimates are exact. By hand: the overall mean of the 8 y is 0, so
        // SStot = Σ y² = 72.08; each group's SS about its own mean is 20.04; SSres = 8 · 0.01.
        double[] y1 = {1.1, -1.1, -3.1, -4.9};
        double[] y2 = {5.1, 2.9, 0.9, -0.9};
        SharedSlopeFit f = SharedSlopeFit.of(List.of(new SharedSlopeFit.Group("a", X, y1), new SharedSlopeFit.Group("b", X, y2)));
        assertEquals(-2.0, f.slope(), 1e-14);
        assertEquals(1.0, f.intercepts().get("a"), 1e-14);
        assertEquals(5.0, f.intercepts().get("b"), 1e-14);
        assertEquals(1 - 0.08 / 72.08, f.r2(), 1e-13);
        assertEquals(1 - 0.08 / 40.08, f.r2Within(), 1e-13);
        assertEquals(8, f.n());
        // residual variance 0.08 / (8 − 2 − 1), within-group Sxx = 2 · 5.
        assertEquals(Math.sqrt(0.08 / 5 / 10), f.slopeStdErr(), 1e-14);
        assertEquals(5 - 2 * 1.5, f.predict("b", 1.5), 1e-14);
    }

    @Test
    void sharedSlopeIsNotThePooledSlope() {
        // Two groups on slope −1, the second shifted right and up: a pooled line slopes upwards,
        // the shared-slope fit recovers −1 exactly.
        double[] xa = {0, 1, 2, 3};
        double[] xb = {10, 11, 12, 13};
        double[] ya = {0, -1, -2, -3};
        double[] yb = {20, 19, 18, 17};
        SharedSlopeFit f = SharedSlopeFit.of(List.of(new SharedSlopeFit.Group("a", xa, ya), new SharedSlopeFit.Group("b", xb, yb)));
        assertEquals(-1.0, f.slope(), 1e-14);
        assertEquals(0.0, f.intercepts().get("a"), 1e-13);
        assertEquals(30.0, f.intercepts().get("b"), 1e-13);
        assertEquals(1.0, f.r2Within(), 1e-15);
        double[] allX = {0, 1, 2, 3, 10, 11, 12, 13};
        double[] allY = {0, -1, -2, -3, 20, 19, 18, 17};
        assertTrue(LinearFit.of(allX, allY).slope() > 0);
    }

    @Test
    void oneGroupIsAnOrdinaryFit() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {2.1, 3.9, 6.2, 7.8, 10.1};
        SharedSlopeFit s = SharedSlopeFit.of(List.of(new SharedSlopeFit.Group("only", x, y)));
        LinearFit l = LinearFit.of(x, y);
        assertEquals(l.slope(), s.slope(), 1e-14);
        assertEquals(l.intercept(), s.intercepts().get("only"), 1e-13);
        assertEquals(l.r2(), s.r2(), 1e-14);
        assertEquals(l.r2(), s.r2Within(), 1e-14);
        assertEquals(l.slopeStdErr(), s.slopeStdErr(), 1e-14);
    }

    @Test
    void interceptsKeepTheGroupOrder() {
        SharedSlopeFit f = SharedSlopeFit.of(List.of(
            new SharedSlopeFit.Group("p97", X, new double[]{1, 2, 3, 4}),
            new SharedSlopeFit.Group("p59", X, new double[]{0, 1, 2, 3}),
            new SharedSlopeFit.Group("p113", X, new double[]{5, 6, 7, 8})));
        assertEquals(List.of("p97", "p59", "p113"), List.copyOf(f.intercepts().keySet()));
    }

    @Test
    void badGroupsAreRejectedClearly() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> SharedSlopeFit.of(List.of(
            new SharedSlopeFit.Group("ok", X, X), new SharedSlopeFit.Group("tiny", new double[]{1}, new double[]{1}))));
        assertTrue(small.getMessage().contains("tiny") && small.getMessage().contains("at least 2"));
        assertThrows(IllegalArgumentException.class, () -> SharedSlopeFit.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> SharedSlopeFit.of(List.of(
            new SharedSlopeFit.Group("a", X, X), new SharedSlopeFit.Group("a", X, X))));
        assertThrows(IllegalArgumentException.class, () -> SharedSlopeFit.of(List.of(
            new SharedSlopeFit.Group("a", new double[]{1, 1}, new double[]{1, 2}))));
    }
}
