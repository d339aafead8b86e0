package dev.normclock.bench;

import java.util.SplittableRandom;

import dev.normclock.backend.Tensor;

/** Fills benchmark tensors with reproducible, well-scaled values (no denormals, no overflow). */
final class BenchData {
    private BenchData() {
    }

    /** Every model of {@code t} gets N(0, std²) values from its own fixed seed; padding stays zero. */
    static void fillNormal(Tensor t, long seed, double std) {
        for (int m = 0; m < t.models; m++) {
            SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + m);
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (nextGaussian(rng) * std);
            t.fromArray(m, v);
        }
    }

    private static double nextGaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static int[] slots(int models) {
        int[] all = new int[models];
        for (int m = 0; m < models; m++) all[m] = m;
        return all;
    }
}
