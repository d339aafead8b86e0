package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PowerLawFitTest {

    @Test
    void exactPowerLawIsRecovered() {
        double[] x = {0.5, 1, 3, 10, 40};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 3 * Math.pow(x[i], 1.5);
        PowerLawFit f = PowerLawFit.of(x, y);
        assertEquals(1.5, f.beta(), 1e-13);
        assertEquals(3.0, f.c(), 1e-12);
        assertEquals(1.0, f.r2(), 1e-14);
        assertEquals(3 * Math.pow(5, 1.5), f.predict(5), 1e-10);
    }

    @Test
    void betaIntervalUsesTheTDistribution() {
        // y = 3 x^1.5 times multiplicative noise; expected numbers from scipy.stats.linregress on
        // (ln x, ln y) and t.ppf(0.975, 3).
        double[] x = {1, 2, 4, 8, 16};
        double[] noise = {1.1, 0.9, 1.05, 0.97, 1.0};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 3 * Math.pow(x[i], 1.5) * noise[i];
        PowerLawFit f = PowerLawFit.of(x, y);
        assertEquals(1.4833052698357583, f.beta(), 1e-13);
        assertEquals(3.0753300324381954, f.c(), 1e-12);
        assertEquals(0.9979099195391444, f.r2(), 1e-13);
        Interval ci = f.betaInterval(0.95);
        assertEquals(1.3585764451524254, ci.lo(), 1e-11);
        assertEquals(1.6080340945190912, ci.hi(), 1e-11);
        assertEquals(0.95, ci.level());
    }

    @Test
    void nonPositiveValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> PowerLawFit.of(new double[]{1, 2, 0}, new double[]{1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> PowerLawFit.of(new double[]{1, 2, 3}, new double[]{1, -2, 3}));
    }
}
