package dev.normclock.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Sparse parity: per-seed data is reproducible and differs between seeds and keys, labels are the
 * parity of the relevant bits (1 = odd number of −1s), entries and classes are balanced, the
 * relevant bits are uniform, the two sets are independent draws, and bad shapes are rejected.
 */
class SparseParityTest {
    private static final SparseParity PAPER = SparseParity.paper();

    /** The label computed independently of the task: the product of the relevant ±1 entries. */
    private static int parityByProduct(float[] x, int n, int row, int[] bits) {
        double product = 1;
        for (int b : bits) product *= x[row * n + b];
        return product < 0 ? 1 : 0;
    }

    @Test
    void paperConfiguration() {
        assertEquals(new SparseParity(30, 3, 1000, 2000), PAPER);
        SparseParity.Data d = PAPER.data(1L, 0);
        assertEquals(30, d.n());
        assertEquals(1000, d.trainSize());
        assertEquals(2000, d.testSize());
        assertEquals(1000 * 30, d.trainInputs().length);
        assertEquals(2000 * 30, d.testInputs().length);
        assertEquals(3, d.relevantBits().length);
    }

    @Test
    void sameKeyAndSeedGiveTheSameDataOthersDiffer() {
        SparseParity.Data a = PAPER.data(7L, 3), b = new SparseParity(30, 3, 1000, 2000).data(7L, 3);
        assertArrayEquals(a.relevantBits(), b.relevantBits());
        assertArrayEquals(a.trainInputs(), b.trainInputs());
        assertArrayEquals(a.trainLabels(), b.trainLabels());
        assertArrayEquals(a.testInputs(), b.testInputs());
        assertArrayEquals(a.testLabels(), b.testLabels());
        for (SparseParity.Data o : new SparseParity.Data[]{PAPER.data(7L, 4), PAPER.data(8L, 3)}) {
            assertFalse(Arrays.equals(a.trainInputs(), o.trainInputs()), "training inputs");
            assertFalse(Arrays.equals(a.testInputs(), o.testInputs()), "test inputs");
        }
        // the relevant bits of one key over seeds are not all the same (C(30,3) = 4060 choices)
        Set<String> seen = new HashSet<>();
        for (int s = 0; s < 20; s++) seen.add(Arrays.toString(PAPER.relevantBits(7L, s)));
        assertTrue(seen.size() > 15, "distinct relevant-bit sets over 20 seeds: " + seen.size());
    }

    @Test
    void labelsAreTheParityOfTheRelevantBits() {
        for (int seed = 0; seed < 5; seed++) {
            SparseParity.Data d = PAPER.data(11L, seed);
            int[] bits = d.relevantBits();
            for (int i = 1; i < bits.length; i++) assertTrue(bits[i - 1] < bits[i], "sorted and distinct");
            assertTrue(bits[0] >= 0 && bits[bits.length - 1] < 30);
            assertArrayEquals(bits, d.relevantBits(), "data and relevantBits agree");
            assertArrayEquals(bits, PAPER.relevantBits(11L, seed));
            for (float v : d.trainInputs()) assertTrue(v == 1f || v == -1f, "entry " + v);
            for (float v : d.testInputs()) assertTrue(v == 1f || v == -1f, "entry " + v);
            for (int i = 0; i < d.trainSize(); i++)
                assertEquals(parityByProduct(d.trainInputs(), 30, i, bits), d.trainLabels()[i], "train row " + i);
            for (int i = 0; i < d.testSize(); i++)
                assertEquals(parityByProduct(d.testInputs(), 30, i, bits), d.testLabels()[i], "test row " + i);
        }
        // the convention by hand: relevant bits {0, 2}, (−1, +1, −1) → two −1s → 0; (−1, −1, +1) → one → 1
        int[] bits = {0, 2};
        float[] x = {-1, 1, -1, -1, -1, 1, 1, 1, 1};
        assertEquals(0, SparseParity.label(x, 3, 0, bits));
        assertEquals(1, SparseParity.label(x, 3, 1, bits));
        assertEquals(0, SparseParity.label(x, 3, 2, bits));
    }

    @Test
    void classesAndEntriesAreBalanced() {
        for (int seed = 0; seed < 4; seed++) {
            SparseParity.Data d = PAPER.data(5L, seed);
            for (int[] y : new int[][]{d.trainLabels(), d.testLabels()}) {
                int ones = 0;
                for (int v : y) ones += v;
                double share = ones / (double) y.length, sd = Math.sqrt(0.25 / y.length);
                assertTrue(Math.abs(share - 0.5) < 5 * sd, "seed " + seed + ": class-1 share " + share + " of " + y.length);
            }
            int negatives = 0;
            for (float v : d.trainInputs()) if (v < 0) negatives++;
            int total = d.trainInputs().length;
            double sd = Math.sqrt(0.25 * total);
            assertTrue(Math.abs(negatives - total / 2.0) < 5 * sd, "−1 entries " + negatives + " of " + total);
        }
    }

    @Test
    void everyIndexIsEquallyLikelyToBeRelevant() {
        SparseParity task = new SparseParity(30, 3, 1, 1);
        int seeds = 2000;
        int[] count = new int[30];
        for (int s = 0; s < seeds; s++) for (int b : task.relevantBits(3L, s)) count[b]++;
        double q = 3 / 30.0, mean = seeds * q, sd = Math.sqrt(seeds * q * (1 - q));
        for (int i = 0; i < 30; i++)
            assertTrue(Math.abs(count[i] - mean) < 5 * sd, "index " + i + " relevant " + count[i] + " times, expected " + mean);
        // k = n: every index
        assertArrayEquals(new int[]{0, 1, 2, 3}, new SparseParity(4, 4, 1, 1).relevantBits(3L, 0));
    }

    @Test
    void trainingAndTestSetsAreIndependentDraws() {
        // sizes do not interact: the training set ignores the test size, a larger set extends a smaller one
        SparseParity.Data small = new SparseParity(30, 3, 1000, 10).data(9L, 2), big = PAPER.data(9L, 2);
        assertArrayEquals(big.trainInputs(), small.trainInputs());
        assertArrayEquals(Arrays.copyOf(big.testInputs(), 10 * 30), small.testInputs());
        assertArrayEquals(Arrays.copyOf(big.trainInputs(), 500 * 30),
                new SparseParity(30, 3, 500, 2000).data(9L, 2).trainInputs());
        // the test set is not the training set continued or repeated
        assertFalse(Arrays.equals(Arrays.copyOf(big.trainInputs(), 1000 * 30), Arrays.copyOf(big.testInputs(), 1000 * 30)));
        // with few possible points, test points coincide with training points by chance (no exclusion):
        // n = 4 has 16 points, so nearly every one of 50 test points also occurs among 50 training points
        SparseParity tiny = new SparseParity(4, 2, 50, 50);
        SparseParity.Data d = tiny.data(1L, 0);
        Set<String> train = new HashSet<>();
        for (int i = 0; i < 50; i++) train.add(Arrays.toString(Arrays.copyOfRange(d.trainInputs(), 4 * i, 4 * i + 4)));
        int shared = 0;
        for (int i = 0; i < 50; i++) if (train.contains(Arrays.toString(Arrays.copyOfRange(d.testInputs(), 4 * i, 4 * i + 4)))) shared++;
        assertTrue(shared > 30, "test points that also occur in training: " + shared);
    }

    @Test
    void invalidShapesAreRejectedWithMessages() {
        String m = assertThrows(IllegalArgumentException.class, () -> new SparseParity(0, 1, 10, 10)).getMessage();
        assertTrue(m.contains("n must be at least 1") && m.contains("0"), m);
        for (int k : new int[]{0, -1, 31}) {
            m = assertThrows(IllegalArgumentException.class, () -> new SparseParity(30, k, 10, 10)).getMessage();
            assertTrue(m.contains("k must lie in [1, n] = [1, 30]") && m.contains("got " + k), m);
        }
        m = assertThrows(IllegalArgumentException.class, () -> new SparseParity(30, 3, 0, 10)).getMessage();
        assertTrue(m.contains("training set needs at least 1 point"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new SparseParity(30, 3, 10, -2)).getMessage();
        assertTrue(m.contains("test set needs at least 1 point") && m.contains("-2"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new SparseParity(30, 3, 100_000_000, 10)).getMessage();
        assertTrue(m.contains("do not fit in one array"), m);
    }
}
