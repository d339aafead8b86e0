package dev.normclock.task;

import java.util.Arrays;

import dev.normclock.rng.Purpose;
import dev.normclock.rng.RandomStream;

/**
 * Sparse parity (Paper A §8): inputs x ∈ {±1}ⁿ, the label is the parity of k relevant bits; two
 * classes. The papers use n = 30, k = 3, 1000 training points and 2000 fresh test points
 * ({@link #paper()}).
 *
 * <p><b>Label convention.</b> The label is 1 when the product of the k relevant entries is −1,
 * i.e. when an odd number of them are −1, and 0 when the product is +1. Reading an entry −1 as the
 * bit 1 and +1 as the bit 0, the label is the XOR of the relevant bits.
 *
 * <p><b>Per seed</b> ({@link #data}), everything is drawn from {@link RandomStream}s keyed
 * (base key, seed index, {@link Purpose#PARITY}), so every arm of an experiment sees the same
 * task per seed index: sub-stream 0 draws the k relevant indices (uniform among the k-subsets),
 * sub-stream 1 the training inputs, sub-stream 2 the test inputs. Every entry is an independent
 * fair coin (one bit of the stream each). Training and test points are drawn independently and
 * with replacement, as in the papers' code: a point may occur twice in one set, and a test point
 * may coincide with a training point by chance (negligible for n = 30: about m/2ⁿ ≈ 1e-6 per test
 * point). Because each set has its own sub-stream and entries are consumed in row-major order, the
 * training set does not depend on the test size and a larger set extends a smaller one.
 *
 * @param n         number of input bits
 * @param k         number of relevant bits
 * @param trainSize training points m
 * @param testSize  test points
 */
public record SparseParity(int n, int k, int trainSize, int testSize) {
    /** Number of classes (parity 0 or 1). */
    public static final int CLASSES = 2;

    private static final int SUB_BITS = 0, SUB_TRAIN = 1, SUB_TEST = 2;

    public SparseParity {
        if (n < 1) throw new IllegalArgumentException("the number of bits n must be at least 1, got " + n);
        if (k < 1 || k > n)
            throw new IllegalArgumentException("the number of relevant bits k must lie in [1, n] = [1, " + n + "], got " + k);
        if (trainSize < 1) throw new IllegalArgumentException("the training set needs at least 1 point, got " + trainSize);
        if (testSize < 1) throw new IllegalArgumentException("the test set needs at least 1 point, got " + testSize);
        for (int size : new int[]{trainSize, testSize})
            if ((long) size * n > Integer.MAX_VALUE - 8)
                throw new IllegalArgumentException(size + " points of " + n + " bits do not fit in one array");
    }

    /** The papers' configuration: n = 30, k = 3, 1000 training points, 2000 test points. */
    public static SparseParity paper() {
        return new SparseParity(30, 3, 1000, 2000);
    }

    /** One seed's task: its relevant bits, training set and test set. */
    public Data data(long baseKey, int seedIndex) {
        int[] bits = relevantBits(baseKey, seedIndex);
        float[] trainX = inputs(RandomStream.of(baseKey, seedIndex, Purpose.PARITY, SUB_TRAIN), trainSize);
        float[] testX = inputs(RandomStream.of(baseKey, seedIndex, Purpose.PARITY, SUB_TEST), testSize);
        return new Data(n, bits, trainX, labels(trainX, n, bits), testX, labels(testX, n, bits));
    }

    /** The k relevant indices of one seed, distinct and ascending (a partial Fisher–Yates shuffle of 0 … n−1). */
    public int[] relevantBits(long baseKey, int seedIndex) {
        RandomStream rng = RandomStream.of(baseKey, seedIndex, Purpose.PARITY, SUB_BITS);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] bits = Arrays.copyOf(order, k);
        Arrays.sort(bits);
        return bits;
    }

    /** rows × n entries ±1, row-major; entry e is −1 when bit (e mod 32) of the stream's (e / 32)-th word is set. */
    private float[] inputs(RandomStream rng, int rows) {
        float[] x = new float[rows * n];
        int word = 0;
        for (int e = 0; e < x.length; e++) {
            if ((e & 31) == 0) word = rng.nextInt();
            x[e] = ((word >>> (e & 31)) & 1) != 0 ? -1f : 1f;
        }
        return x;
    }

    /**
     * The parity label of row {@code row} of row-major ±1 inputs with {@code n} columns: 1 when an
     * odd number of the relevant entries are −1 (their product is −1), else 0.
     */
    public static int label(float[] inputs, int n, int row, int[] relevantBits) {
        int negatives = 0;
        for (int b : relevantBits) if (inputs[row * n + b] < 0) negatives++;
        return negatives & 1;
    }

    private static int[] labels(float[] inputs, int n, int[] relevantBits) {
        int[] y = new int[inputs.length / n];
        for (int i = 0; i < y.length; i++) y[i] = label(inputs, n, i, relevantBits);
        return y;
    }

    /**
     * One seed's data. Inputs are row-major float arrays (points × n) of exactly ±1, ready for a
     * GEMM or a Vector API kernel; labels are 0 or 1 (see the class comment). Arrays are shared, not
     * copied: do not modify them. Being arrays, the components compare by identity in
     * {@code equals}.
     *
     * @param n            number of bits (columns)
     * @param relevantBits the k relevant indices, distinct and ascending
     * @param trainInputs  trainSize × n entries ±1
     * @param trainLabels  trainSize labels
     * @param testInputs   testSize × n entries ±1
     * @param testLabels   testSize labels
     */
    public record Data(int n, int[] relevantBits, float[] trainInputs, int[] trainLabels, float[] testInputs,
                       int[] testLabels) {
        public Data {
            if (trainInputs.length != trainLabels.length * n || testInputs.length != testLabels.length * n)
                throw new IllegalArgumentException("inputs must hold n = " + n + " entries per label");
        }

        public int trainSize() {
            return trainLabels.length;
        }

        public int testSize() {
            return testLabels.length;
        }
    }
}
