package dev.normclock.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The double erf/erfc that the GELU reference rests on, against tabulated values (Abramowitz &
 * Stegun / high-precision tables), in relative terms including the far tail.
 */
class ReferenceErfTest {

    private static void assertRelative(double expected, double actual, double tol, String what) {
        double rel = Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(rel <= tol, what + ": expected " + expected + ", got " + actual + " (relative error " + rel + ")");
    }

    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
                {0.1, 0.1124629160182848922},
                {0.5, 0.5204998778130465377},
                {1.0, 0.8427007929497148693},
                {1.5, 0.9661051464753107271},
                {2.0, 0.9953222650189527342},
                {3.0, 0.9999779095030014146},
        };
        for (double[] row : table) {
            assertRelative(row[1], ReferenceMlp.erf(row[0]), 1e-14, "erf(" + row[0] + ")");
            assertRelative(-row[1], ReferenceMlp.erf(-row[0]), 1e-14, "erf(-" + row[0] + ")");
        }
        assertEquals(0.0, ReferenceMlp.erf(0.0));
        // tiny arguments: erf(x) = 2x/√π (1 − x²/3 + …)
        assertRelative(2e-9 / Math.sqrt(Math.PI), ReferenceMlp.erf(1e-9), 1e-15, "erf(1e-9)");
    }

    @Test
    void erfcIsRelativelyAccurateInTheTail() {
        double[][] table = {
                {0.5, 0.4795001221869534623},
                {1.0, 0.1572992070502851307},
                {2.0, 0.004677734981047265838},
                {2.5, 4.069520174449589803e-4},
                {3.0, 2.209049699858544137e-5},
                {4.0, 1.541725790028001885e-8},
                {5.0, 1.537459794428034850e-12},
                {6.0, 2.151973671249891311e-17},
                {8.0, 1.122429717298292707e-29},
                {10.0, 2.088487583762544757e-45},
        };
        for (double[] row : table) assertRelative(row[1], ReferenceMlp.erfc(row[0]), 1e-13, "erfc(" + row[0] + ")");
        for (double[] row : table) assertRelative(2 - row[1], ReferenceMlp.erfc(-row[0]), 1e-15, "erfc(-" + row[0] + ")");
    }

    @Test
    void theTwoBranchesJoinSmoothlyAndAgreeWithTheDerivative() {
        // continuity at the switch point x = 2 and erf + erfc = 1 across it
        double below = ReferenceMlp.erfc(Math.nextDown(2.0)), above = ReferenceMlp.erfc(2.0);
        assertRelative(above, below, 1e-13, "erfc continuity at 2");
        for (double x = -3; x <= 6; x += 0.173) {
            assertEquals(1.0, ReferenceMlp.erf(x) + ReferenceMlp.erfc(x), 2e-16, "erf + erfc at " + x);
            // d/dx erfc = −2/√π e^{−x²}, checked by a fourth-order central difference in relative
            // terms where erfc is the small one (x > −0.5) and through erf elsewhere
            double exact = -2 / Math.sqrt(Math.PI) * Math.exp(-x * x);
            double h = 1e-3 / Math.max(1, Math.abs(x));
            double fd = x > -0.5 ? derivative(ReferenceMlp::erfc, x, h) : -derivative(ReferenceMlp::erf, x, h);
            assertRelative(exact, fd, x > -0.5 ? 1e-8 : 1e-6, "erfc' at " + x);
        }
    }

    /** Fourth-order central difference. */
    static double derivative(java.util.function.DoubleUnaryOperator f, double x, double h) {
        return (8 * (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) - (f.applyAsDouble(x + 2 * h) - f.applyAsDouble(x - 2 * h))) / (12 * h);
    }

    @Test
    void geluAndItsDerivative() {
        assertEquals(0.0, ReferenceMlp.gelu(0.0));
        assertRelative(0.8413447460685429, ReferenceMlp.gelu(1.0), 1e-15, "GELU(1) = Φ(1)");
        assertRelative(-0.15865525393145705, ReferenceMlp.gelu(-1.0), 1e-14, "GELU(-1)");
        // Φ(−10) = erfc(10/√2)/2 = 7.619853024160526e-24
        assertRelative(7.619853024160526e-24, ReferenceMlp.normalCdf(-10), 1e-13, "Φ(-10)");
        for (double x = -12; x <= 12; x += 0.37) {
            double h = 1e-3 / Math.max(1, Math.abs(x)); // the tail varies on a scale 1/|x|
            double fd = derivative(ReferenceMlp::gelu, x, h);
            double exact = ReferenceMlp.geluDerivative(x);
            double scale = ReferenceMlp.normalCdf(x) + Math.abs(x) * ReferenceMlp.normalPdf(x);
            assertEquals(exact, fd, 1e-8 * scale, "GELU' at " + x);
        }
    }
}
