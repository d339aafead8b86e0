package dev.normclock.task;

import dev.normclock.rng.Purpose;
import dev.normclock.rng.RandomStream;

/**
 * The task (a + b) mod p over all p² ordered pairs. A pair is encoded as a·p + b. Each seed has
 * its own random split of round(f·p²) training pairs (round half to even, as NumPy rounds).
 */
public record ModularAddition(int p, double trainFrac) {
    /** The largest p whose p² pairs an int indexes. */
    public static final int MAX_P = 46340;

    public ModularAddition {
        if (p < 2) throw new IllegalArgumentException("p must be at least 2, got " + p);
        if (p > MAX_P)
            throw new IllegalArgumentException("p = " + p + " has " + (long) p * p + " pairs (a, b), more than normclock indexes (2³¹ − 1): p must be at most "
                    + MAX_P + " (the papers go up to 97)");
        if (!(trainFrac > 0 && trainFrac < 1))
            throw new IllegalArgumentException("the training fraction must lie strictly between 0 and 1, got " + trainFrac);
        long n = trainCount(p, trainFrac);
        if (n < 1 || n >= (long) p * p)
            throw new IllegalArgumentException("training fraction " + trainFrac + " leaves " + n + " of " + (long) p * p
                    + " pairs for training: both the training and the test set need at least one pair");
    }

    public static long trainCount(int p, double trainFrac) {
        return (long) Math.rint(trainFrac * p * p);
    }

    public int pairs() {
        return p * p;
    }

    public int trainSize() {
        return (int) trainCount(p, trainFrac);
    }

    public int label(int pair) {
        return (pair / p + pair % p) % p;
    }

    /** The pairs in a seed-specific random order: the first {@link #trainSize()} are the training set. */
    public Split split(long baseKey, int seedIndex) {
        int n = pairs();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        RandomStream rng = RandomStream.of(baseKey, seedIndex, Purpose.SPLIT);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int nTrain = trainSize();
        int[] train = java.util.Arrays.copyOf(order, nTrain);
        java.util.Arrays.sort(train); // a sorted training set makes the per-token scatter sums walk memory in order
        boolean[] isTrain = new boolean[n];
        for (int pair : train) isTrain[pair] = true;
        int[] test = new int[n - nTrain];
        for (int pair = 0, k = 0; pair < n; pair++) if (!isTrain[pair]) test[k++] = pair;
        return new Split(train, test, isTrain);
    }

    /** One seed's training and test pairs (each sorted) and the membership of every pair. */
    public record Split(int[] trainPairs, int[] testPairs, boolean[] isTrain) {
    }
}
