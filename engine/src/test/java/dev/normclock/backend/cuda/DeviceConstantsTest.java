package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * Per-run constants on a fake device: contents uploaded once however often they are asked for, and
 * per-model arrays packed once per set of arrays — a step that passes the same pairs again costs a
 * look-up, not a pass over every model's rows — while other arrays, or other models, are packed anew.
 */
class DeviceConstantsTest {

    @Test
    void theSameContentsAreUploadedOnce() {
        FakeDevice dev = new FakeDevice();
        DeviceConstants c = new DeviceConstants(dev);
        long a = c.ints(new int[]{1, 2, 3});
        assertEquals(a, c.ints(new int[]{1, 2, 3}));
        assertEquals(1, dev.uploads);
        assertNotEquals(a, c.floats(new float[]{Float.intBitsToFloat(1), Float.intBitsToFloat(2), Float.intBitsToFloat(3)}), "floats are not ints");
        c.close();
    }

    @Test
    void perModelArraysArePackedOncePerSetOfArrays() {
        FakeDevice dev = new FakeDevice();
        DeviceConstants c = new DeviceConstants(dev);
        int[][] pairs = {{1, 2}, {3, 4}, {5, 6}};
        AtomicInteger packs = new AtomicInteger();
        int[] models = {0, 2};
        java.util.function.Supplier<int[]> pack = () -> {
            packs.incrementAndGet();
            return new int[]{pairs[0][0], pairs[0][1], pairs[2][0], pairs[2][1]};
        };
        long a = c.perModel(pairs, models, 1, 2, pack);
        assertEquals(a, c.perModel(pairs, new int[]{0, 2}, 1, 2, pack));
        assertEquals(a, c.perModel(pairs.clone(), models, 1, 2, pack), "another outer array holding the same rows");
        assertEquals(1, packs.get(), "packed once");
        assertEquals(1, dev.uploads);
        int[][] other = {pairs[0], pairs[1], new int[]{5, 6}};
        assertEquals(a, c.perModel(other, models, 1, 2, pack), "a new row with the same contents: packed again, the same constant");
        assertEquals(2, packs.get());
        assertEquals(1, dev.uploads);
        c.perModel(pairs, new int[]{0, 1}, 1, 2, () -> new int[]{1, 2, 3, 4});
        c.perModel(pairs, models, 2, 2, () -> new int[]{9});
        assertEquals(3, dev.uploads, "other models, or another kind, are other constants");
        c.close();
    }
}
