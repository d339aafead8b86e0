package dev.normclock.rng;

/**
 * A counter-based random stream (Philox4x32-10) keyed by (experiment base key, seed index, purpose).
 * Every arm of an experiment that uses the same key therefore sees the same numbers — the
 * matched counterfactual of the papers — and the sequence does not depend on threads or order of
 * creation. A sub-stream index separates the tensors drawn under one purpose.
 */
public final class RandomStream {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private final int key0, key1;
    private final int subStream;
    private long counter;
    private final int[] block = new int[4];
    private int used = 4;

    private RandomStream(int key0, int key1, int subStream) {
        this.key0 = key0;
        this.key1 = key1;
        this.subStream = subStream;
    }

    public static RandomStream of(long baseKey, int seedIndex, Purpose purpose, int subStream) {
        long k = mix(mix(baseKey) ^ (((long) seedIndex << 8) | purpose.code));
        return new RandomStream((int) k, (int) (k >>> 32), subStream);
    }

    public static RandomStream of(long baseKey, int seedIndex, Purpose purpose) {
        return of(baseKey, seedIndex, purpose, 0);
    }

    /** SplitMix64's finaliser: spreads structured keys over all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public int nextInt() {
        if (used == 4) {
            philox(counter++);
            used = 0;
        }
        return block[used++];
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextInt() >>> 8) * 0x1.0p-24f;
    }

    /** Uniform in (0, 1) with 53 random bits. */
    public double nextOpenDouble() {
        long bits = (((long) nextInt() & 0xFFFFFFFFL) << 21) ^ ((nextInt() & 0xFFFFFFFFL) >>> 11);
        return (bits + 0.5) * 0x1.0p-53;
    }

    /** Standard normal by Box–Muller; one pair of uniforms per value keeps the stream simple to reason about. */
    public double nextGaussian() {
        double u1 = nextOpenDouble(), u2 = nextOpenDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Uniform integer in [0, bound) by rejection, so every value is equally likely. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive");
        long limit = (1L << 32) - ((1L << 32) % bound);
        while (true) {
            long r = nextInt() & 0xFFFFFFFFL;
            if (r < limit) return (int) (r % bound);
        }
    }

    private void philox(long ctr) {
        int c0 = (int) ctr, c1 = (int) (ctr >>> 32), c2 = subStream, c3 = 0x6E6F726D; // "norm"
        int k0 = key0, k1 = key1;
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        block[0] = c0; block[1] = c1; block[2] = c2; block[3] = c3;
    }
}
