package dev.normclock.rng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The counter-based stream: reproducible per (base key, seed, purpose, sub-stream), Gaussian
 * moments and tails, uniform integers, and no visible correlation between streams that differ
 * in any part of their key.
 */
class RandomStreamTest {
    static final int N = 200_000;

    static double[] gaussians(RandomStream r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
        return x;
    }

    @Test
    void sameKeyGivesTheSameSequence() {
        RandomStream a = RandomStream.of(7L, 3, Purpose.INIT, 2), b = RandomStream.of(7L, 3, Purpose.INIT, 2);
        for (int i = 0; i < 1000; i++) assertEquals(a.nextInt(), b.nextInt(), "draw " + i);
        RandomStream c = RandomStream.of(7L, 3, Purpose.SPLIT), d = RandomStream.of(7L, 3, Purpose.SPLIT, 0);
        for (int i = 0; i < 100; i++) assertEquals(c.nextInt(), d.nextInt(), "sub-stream 0 is the default");
    }

    @Test
    void gaussianMomentsAndTails() {
        double[] x = gaussians(RandomStream.of(1L, 0, Purpose.INIT, 0), N);
        double sum = 0, sq = 0, quart = 0;
        int beyond2 = 0;
        for (double v : x) {
            sum += v;
            sq += v * v;
            quart += v * v * v * v;
            if (Math.abs(v) > 2) beyond2++;
        }
        double mean = sum / N, var = sq / N - mean * mean, kurt = quart / N;
        // 5-σ bounds of the sample statistics of N(0, 1)
        assertTrue(Math.abs(mean) < 5 / Math.sqrt(N), "mean " + mean);
        assertTrue(Math.abs(var - 1) < 5 * Math.sqrt(2.0 / N), "variance " + var);
        assertTrue(Math.abs(kurt - 3) < 5 * Math.sqrt(96.0 / N), "fourth moment " + kurt);
        double tail = 0.04550026389635842; // P(|X| > 2)
        assertTrue(Math.abs(beyond2 / (double) N - tail) < 5 * Math.sqrt(tail * (1 - tail) / N), "P(|x|>2) = " + beyond2 / (double) N);
    }

    static double correlation(double[] a, double[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    @Test
    void streamsThatDifferInAnyPartOfTheKeyAreUncorrelated() {
        int n = 20_000;
        double bound = 5 / Math.sqrt(n);
        double[] base = gaussians(RandomStream.of(7L, 3, Purpose.INIT, 0), n);
        RandomStream[] others = {
                RandomStream.of(7L, 3, Purpose.INIT, 1),   // another sub-stream
                RandomStream.of(7L, 3, Purpose.SPLIT, 0),  // another purpose
                RandomStream.of(7L, 4, Purpose.INIT, 0),   // another seed
                RandomStream.of(8L, 3, Purpose.INIT, 0),   // another base key
                RandomStream.of(7L, 3, Purpose.PARITY, 0), // the parity purpose
        };
        String[] what = {"sub-stream", "purpose", "seed", "base key", "parity purpose"};
        for (int k = 0; k < others.length; k++) {
            double[] o = gaussians(others[k], n);
            int same = 0;
            for (int i = 0; i < n; i++) if (o[i] == base[i]) same++;
            assertTrue(same < 3, what[k] + ": sequences share " + same + " values");
            double r = correlation(base, o);
            assertTrue(Math.abs(r) < bound, what[k] + ": correlation " + r);
            // also lagged by one (a shifted copy of the same stream would show here)
            double[] shifted = java.util.Arrays.copyOfRange(o, 1, n), head = java.util.Arrays.copyOf(base, n - 1);
            assertTrue(Math.abs(correlation(head, shifted)) < bound, what[k] + ": lag-1 correlation");
        }
        // and successive values of one stream
        double[] head = java.util.Arrays.copyOf(base, n - 1), tail = java.util.Arrays.copyOfRange(base, 1, n);
        assertTrue(Math.abs(correlation(head, tail)) < bound, "serial correlation");
    }

    @Test
    void uniformIntegersAndFloats() {
        RandomStream r = RandomStream.of(11L, 0, Purpose.SPLIT);
        int bound = 7, n = 70_000;
        int[] count = new int[bound];
        for (int i = 0; i < n; i++) {
            int v = r.nextInt(bound);
            assertTrue(v >= 0 && v < bound);
            count[v]++;
        }
        double chi2 = 0, e = n / (double) bound;
        for (int c : count) chi2 += (c - e) * (c - e) / e;
        assertTrue(chi2 < 30, "χ² with 6 degrees of freedom: " + chi2); // p ≈ 4e-5
        for (int i = 0; i < 10_000; i++) {
            double u = r.nextOpenDouble();
            assertTrue(u > 0 && u < 1, "open interval: " + u);
            float f = r.nextFloat();
            assertTrue(f >= 0 && f < 1, "[0, 1): " + f);
        }
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(-3));
        assertEquals(0, r.nextInt(1));
    }
}
