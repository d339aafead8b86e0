package dev.normclock.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.ValueLayout;
import java.util.Random;

import dev.normclock.backend.Tensor;

/** Moving test data in and out of population tensors, padding and whole model blocks included. */
final class PopulationArrays {
    private PopulationArrays() {
    }

    /** Fills model m with N(0, std²) floats; returns the values as doubles (row-major, unpadded). */
    static double[] fillGaussian(Tensor t, int m, Random rnd, double std) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * std);
        t.fromArray(m, v);
        return read(t, m);
    }

    static double[] read(Tensor t, int m) {
        float[] f = t.toArray(m);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Every float of model m's block, padding included. */
    static float[] rawBlock(Tensor t, int m) {
        float[] out = new float[t.rows * t.ld];
        long base = t.offset + m * t.modelStride;
        for (int i = 0; i < out.length; i++) out[i] = t.seg.getAtIndex(ValueLayout.JAVA_FLOAT, base + i);
        return out;
    }

    /** Sets every float of model m's block, padding included (a sentinel for slots that must stay untouched). */
    static void fillRaw(Tensor t, int m, float value) {
        long base = t.offset + m * t.modelStride;
        for (int i = 0; i < t.rows * t.ld; i++) t.seg.setAtIndex(ValueLayout.JAVA_FLOAT, base + i, value);
    }

    static void assertRawEquals(float[] expected, Tensor t, int m, String what) {
        float[] now = rawBlock(t, m);
        for (int i = 0; i < now.length; i++)
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(now[i]),
                    what + ": untouched slot " + m + " changed at float " + i + " (" + expected[i] + " → " + now[i] + ")");
    }
}
