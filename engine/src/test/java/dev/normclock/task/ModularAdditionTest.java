package dev.normclock.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The task, its split sizes (round half to even, as NumPy) and the per-seed random splits. */
class ModularAdditionTest {

    @ParameterizedTest(name = "p={0} f={1} → {2}")
    @CsvSource({
            "59, 0.4, 1392",   // 1392.4
            "41, 0.6, 1009",   // 1008.6
            "97, 0.4, 3764",   // 3763.6
            "31, 0.4, 384",    // 384.4
            "10, 0.125, 12",   // 12.5 exactly: half to even goes down (Math.round would give 13)
            "10, 0.375, 38",   // 37.5 exactly: half to even goes up
            "2, 0.625, 2",     // 2.5 → 2
    })
    void trainingSetSizeIsRoundHalfEvenOfFTimesPSquared(int p, double f, int expected) {
        assertEquals(expected, ModularAddition.trainCount(p, f));
        assertEquals(expected, new ModularAddition(p, f).trainSize());
    }

    @Test
    void labelsArePairSumsModP() {
        ModularAddition task = new ModularAddition(7, 0.5);
        assertEquals(49, task.pairs());
        for (int a = 0; a < 7; a++)
            for (int b = 0; b < 7; b++) assertEquals((a + b) % 7, task.label(a * 7 + b));
        assertEquals(0, task.label(3 * 7 + 4));
        assertEquals(6, task.label(6 * 7 + 0));
    }

    @ParameterizedTest(name = "p={0} f={1}")
    @CsvSource({"59, 0.4", "41, 0.6", "7, 0.3"})
    void splitIsDisjointAndCovering(int p, double f) {
        ModularAddition task = new ModularAddition(p, f);
        ModularAddition.Split s = task.split(123L, 5);
        int[] train = s.trainPairs();
        assertEquals(task.trainSize(), train.length);
        assertEquals(p * p, s.isTrain().length);
        for (int i = 1; i < train.length; i++) assertTrue(train[i - 1] < train[i], "sorted and distinct");
        int marked = 0;
        for (boolean b : s.isTrain()) if (b) marked++;
        assertEquals(train.length, marked, "isTrain marks exactly the training pairs");
        for (int pair : train) {
            assertTrue(pair >= 0 && pair < p * p);
            assertTrue(s.isTrain()[pair]);
        }
        // the test set is the complement: training + test = all pairs
        assertEquals(p * p - train.length, p * p - marked);
    }

    @Test
    void sameKeyAndSeedGiveTheSameSplitOthersDiffer() {
        ModularAddition task = new ModularAddition(59, 0.4);
        int[] a = task.split(7L, 3).trainPairs();
        assertArrayEquals(a, task.split(7L, 3).trainPairs(), "same (key, seed)");
        assertArrayEquals(a, new ModularAddition(59, 0.4).split(7L, 3).trainPairs(), "a new task object, same split");
        assertFalse(Arrays.equals(a, task.split(7L, 4).trainPairs()), "another seed");
        assertFalse(Arrays.equals(a, task.split(8L, 3).trainPairs()), "another base key");
        // two seeds overlap about as much as independent random sets (f² of the pairs)
        boolean[] x = task.split(7L, 3).isTrain(), y = task.split(7L, 4).isTrain();
        int both = 0;
        for (int i = 0; i < x.length; i++) if (x[i] && y[i]) both++;
        double expected = 0.4 * 0.4 * x.length, sd = Math.sqrt(expected);
        assertTrue(Math.abs(both - expected) < 5 * sd, "overlap " + both + " vs " + expected);
    }

    @Test
    void everyPairIsEquallyLikelyToBeInTheTrainingSet() {
        ModularAddition task = new ModularAddition(7, 0.4); // 20 of 49
        int seeds = 400;
        int[] count = new int[49];
        for (int s = 0; s < seeds; s++) for (int pair : task.split(1L, s).trainPairs()) count[pair]++;
        double q = 20 / 49.0, mean = seeds * q, sd = Math.sqrt(seeds * q * (1 - q));
        for (int pair = 0; pair < 49; pair++)
            assertTrue(Math.abs(count[pair] - mean) < 5 * sd, "pair " + pair + " drawn " + count[pair] + " times, expected " + mean);
    }

    @Test
    void invalidModulusAndFractionsAreRejectedWithMessages() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModularAddition(1, 0.4)).getMessage().contains("p must be at least 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModularAddition(-5, 0.4)).getMessage().contains("-5"));
        for (double f : new double[]{0, 1, -0.1, 1.5, Double.NaN}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> new ModularAddition(59, f)).getMessage();
            assertTrue(msg.contains("strictly between 0 and 1"), msg);
        }
        // fractions that round to an empty training or test set
        String empty = assertThrows(IllegalArgumentException.class, () -> new ModularAddition(3, 0.01)).getMessage();
        assertTrue(empty.contains("at least one pair"), empty);
        String full = assertThrows(IllegalArgumentException.class, () -> new ModularAddition(3, 0.99)).getMessage();
        assertTrue(full.contains("at least one pair"), full);
    }
}
