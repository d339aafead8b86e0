package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Reference values: printed t tables (6 digits) and SciPy 1.17 (scipy.stats.t.ppf, scipy.special). */
class SpecialFunctionsTest {

    @Test
    void studentTQuantilesMatchTables() {
        assertEquals(3.182446, SpecialFunctions.studentTQuantile(0.975, 3), 1e-6);
        assertEquals(2.228139, SpecialFunctions.studentTQuantile(0.975, 10), 1e-6);
        assertEquals(12.7062, SpecialFunctions.studentTQuantile(0.975, 1), 1e-4);
        // SciPy values, to near double precision.
        assertEquals(3.1824463052837078, SpecialFunctions.studentTQuantile(0.975, 3), 1e-12);
        assertEquals(12.706204736174694, SpecialFunctions.studentTQuantile(0.975, 1), 1e-11);
        assertEquals(4.032142983555228, SpecialFunctions.studentTQuantile(0.995, 5), 1e-12);
        assertEquals(2.9199855803537242, SpecialFunctions.studentTQuantile(0.95, 2), 1e-12);
        assertEquals(2.0422724563012378, SpecialFunctions.studentTQuantile(0.975, 30), 1e-12);
        assertEquals(8.610301581379522, SpecialFunctions.studentTQuantile(0.9995, 4), 1e-10);
        assertEquals(1.959966356814107, SpecialFunctions.studentTQuantile(0.975, 1e6), 1e-9);
        assertEquals(-2.228138851986274, SpecialFunctions.studentTQuantile(0.025, 10), 1e-12);
        assertEquals(0.0, SpecialFunctions.studentTQuantile(0.5, 7));
    }

    @Test
    void studentTCdfInvertsTheQuantile() {
        for (double dof : new double[]{1, 2.5, 7, 40})
            for (double p : new double[]{0.01, 0.3, 0.8, 0.999})
                assertEquals(p, SpecialFunctions.studentTCdf(SpecialFunctions.studentTQuantile(p, dof), dof), 1e-13);
        // t with 1 dof is Cauchy: F(t) = 1/2 + atan(t)/π.
        assertEquals(0.5 + Math.atan(2.0) / Math.PI, SpecialFunctions.studentTCdf(2.0, 1), 1e-15);
    }

    @Test
    void normalAndErfcMatchReference() {
        assertEquals(0.0013498980316300933, SpecialFunctions.normalCdf(-3), 1e-17);
        assertEquals(0.975, SpecialFunctions.normalCdf(1.959963984540054), 1e-15);
        assertEquals(6.22096057427174e-16, SpecialFunctions.normalCdf(-8), 1e-28);
        assertEquals(0.4795001221869535, SpecialFunctions.erfc(0.5), 1e-15);
        assertEquals(0.004677734981047266, SpecialFunctions.erfc(2.0), 1e-17);
        assertEquals(1.8427007929497148, SpecialFunctions.erfc(-1.0), 1e-15);
    }

    @Test
    void gammaAndBetaMatchReference() {
        assertEquals(0.5723649429247001, SpecialFunctions.lnGamma(0.5), 1e-14); // ln √π
        assertEquals(Math.log(362880), SpecialFunctions.lnGamma(10), 1e-12); // ln 9!
        assertEquals(13.482036786138359, SpecialFunctions.lnGamma(10.3), 1e-12);
        assertEquals(0.08894372317066562, SpecialFunctions.regularizedBeta(0.3, 2.5, 1.5), 1e-15);
        // I_x(1, 1) = x and I_x(a, 1) = x^a.
        assertEquals(0.37, SpecialFunctions.regularizedBeta(0.37, 1, 1), 1e-15);
        assertEquals(Math.pow(0.8, 3.5), SpecialFunctions.regularizedBeta(0.8, 3.5, 1), 1e-15);
    }
}
