package dev.normclock.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.reference.ReferenceMlp;

/**
 * The float64 backend's erfc and GELU. Against the slow full-precision erfcx the series was built
 * from, over the whole range the GELU can meet: within 4.4e-15 relative. Against the
 * reference's independent series and continued fraction (ReferenceMlp), whose own error grows to
 * about 1e-13 near |x| = 2 where it forms erfc as 1 − erf: agreement to that.
 */
class DoubleErfcTest {

    @Test
    void erfcIsTheFullPrecisionFunctionToAFewUlps() {
        double worst = 0;
        for (double z = 0; z <= 27; z += 0.0005) {
            double want = DoubleErfc.scaledErfc(z), got = DoubleErfc.erfc(z) * Math.exp(z * z);
            if (z > 25) got = DoubleErfc.scaledFromSeries(z); // erfc itself underflows towards the end of the range
            // the series carries the node values' own rounding (~4e-15 measured), and exp(−z² + g) the rounding of z²
            double err = Math.abs(got - want) / (want * 2.2e-16 * (20 + 2 * z * z));
            worst = Math.max(worst, err);
            assertTrue(err <= 1, "erfc(" + z + ")·exp(z²) = " + got + ", full precision " + want);
        }
        System.out.printf("DoubleErfc.erfc: worst error %.3f of 2.2e-16·(20 + 2z²) relative%n", worst);
    }

    @Test
    void erfcAgreesWithTheIndependentReference() {
        double worst = 0;
        for (double x = -6; x <= 26; x += 0.001) {
            double want = ReferenceMlp.erfc(x), got = DoubleErfc.erfc(x);
            double err = Math.abs(got - want) / (want * 3e-13);
            worst = Math.max(worst, err);
            assertTrue(err <= 1, "erfc(" + x + ") = " + got + ", reference " + want);
        }
        System.out.printf("DoubleErfc.erfc against ReferenceMlp.erfc: worst error %.3f of 3e-13 relative%n", worst);
    }

    @Test
    void geluAndItsSlopeAgreeWithTheReference() {
        double worst = 0;
        for (double x = -30; x <= 30; x += 0.0007) {
            double g = CpuFloat64Backend.gelu(x), gw = ReferenceMlp.gelu(x);
            double s = CpuFloat64Backend.geluSlope(x), sw = ReferenceMlp.geluDerivative(x);
            double eg = Math.abs(g - gw) / (3e-13 * Math.abs(gw) * (1 + x * x) + Double.MIN_VALUE);
            // GELU' crosses zero near x = −0.75: relative to the size of its two terms Φ(x) and x·φ(x)
            double terms = ReferenceMlp.normalCdf(x) + Math.abs(x) * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            double es = Math.abs(s - sw) / (3e-13 * terms * (1 + x * x) + Double.MIN_VALUE);
            worst = Math.max(worst, Math.max(eg, es));
            assertTrue(eg <= 1, "GELU(" + x + ") = " + g + ", reference " + gw);
            assertTrue(es <= 1, "GELU'(" + x + ") = " + s + ", reference " + sw);
        }
        System.out.printf("float64 GELU and GELU' against the reference: worst error %.3f of 3e-13·(1 + x²) relative%n", worst);
    }

    @Test
    void theVectorErfcIsTheScalarOneToAnUlpOfItsExp() {
        var species = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED;
        int lanes = species.length();
        double[] x = new double[lanes], out = new double[lanes];
        double worst = 0;
        for (double x0 = -8; x0 <= 28; x0 += 0.0003 * lanes) {
            for (int l = 0; l < lanes; l++) x[l] = x0 + 0.0003 * l;
            DoubleErfc.erfc(jdk.incubator.vector.DoubleVector.fromArray(species, x, 0)).intoArray(out, 0);
            for (int l = 0; l < lanes; l++) {
                double want = DoubleErfc.erfc(x[l]);
                // the two share every step but exp, each within an ulp: a few ulps of the result (more below 0, 2 − r)
                double err = Math.abs(out[l] - want) / (Math.ulp(want) * 4 + Double.MIN_VALUE);
                worst = Math.max(worst, err);
                assertTrue(err <= 1, "vector erfc(" + x[l] + ") = " + out[l] + ", scalar " + want);
            }
        }
        System.out.printf("vector erfc against the scalar one: worst %.3f of 4 ulps%n", worst);
    }
}
