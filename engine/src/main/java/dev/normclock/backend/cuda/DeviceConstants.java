package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What stays the same from call to call lives on the device: model lists, pairs, labels, token
 * lists, per-model hyperparameters. Each is uploaded the first time its contents are seen and its
 * device copy reused afterwards, so a steady-state training step sends none of them to the GPU.
 * Entries are keyed by their contents — a retired model changes the list, a new run its pairs —
 * and the least recently used are freed when they pass a byte budget.
 */
final class DeviceConstants implements AutoCloseable {
    /** Device bytes the constants may hold: far more than a population's (a few MB), far less than a GPU's memory. */
    static final long BUDGET = 256L << 20;

    private final DeviceMemory device;
    private final LinkedHashMap<Key, Long> entries = new LinkedHashMap<>(64, 0.75f, true); // least recently used first
    private long bytes;
    /** Packed per-model arrays by what they were made of (see {@link #perModel}), the most recent few. */
    private final LinkedHashMap<Source, Key> packed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Source, Key> eldest) {
            return size() > 64;
        }
    };

    /**
     * What a packed constant was made of: the listed models' own arrays, by identity (a run's pairs
     * and labels are never changed once assigned), and what was derived from them.
     */
    private record Source(Object[] rows, int what, int extra) {
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Source s) || s.what != what || s.extra != extra || s.rows.length != rows.length) return false;
            for (int i = 0; i < rows.length; i++) if (s.rows[i] != rows[i]) return false;
            return true;
        }

        @Override
        public int hashCode() {
            int h = 31 * what + extra;
            for (Object r : rows) h = 31 * h + System.identityHashCode(r);
            return h;
        }
    }

    /** Contents and what they are (ints and floats with the same bits are different constants). */
    private record Key(boolean floats, int[] values, int hash) {
        static Key of(boolean floats, int[] values) {
            return new Key(floats, values, 31 * Arrays.hashCode(values) + (floats ? 1 : 0));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.floats == floats && k.hash == hash && Arrays.equals(k.values, values);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    DeviceConstants(DeviceMemory device) {
        this.device = device;
    }

    /** The device address of these ints, uploaded if they are not there yet. The caller may change the array afterwards. */
    long ints(int[] values) {
        return address(Key.of(false, values));
    }

    /**
     * The device address of ints made from each listed model's array ({@code perModel[m]}: its pairs
     * or labels) by {@code make}, kind {@code what} (with a parameter {@code extra}). A step passes
     * the same arrays every time, so they are packed and their contents hashed only the first time;
     * afterwards this costs a look-up by identity, not a pass over every model's rows.
     */
    long perModel(Object[] perModel, int[] models, int what, int extra, java.util.function.Supplier<int[]> make) {
        Object[] rows = new Object[models.length];
        for (int j = 0; j < models.length; j++) rows[j] = perModel[models[j]];
        Source source = new Source(rows, what, extra);
        Key known = packed.get(source);
        if (known != null) {
            Long at = entries.get(known); // the same arrays: equal at once
            if (at != null) return at;
        }
        Key key = Key.of(false, make.get());
        long at = address(key);
        packed.put(source, owned(key));
        return at;
    }

    /** The stored key equal to {@code key} (the one whose arrays later look-ups compare by identity). */
    private Key owned(Key key) {
        for (Key k : entries.keySet()) if (k.equals(key)) return k;
        return key;
    }

    /** The device address of these floats, uploaded if they are not there yet. */
    long floats(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return address(Key.of(true, bits));
    }

    private long address(Key key) {
        Long at = entries.get(key);
        if (at != null) return at;
        Key owned = new Key(key.floats, key.values.clone(), key.hash);
        long size = Math.max(4L * key.values.length, 4);
        long address = device.allocate(size);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(size, 16);
            MemorySegment.copy(key.values, 0, host, ValueLayout.JAVA_INT, 0, key.values.length);
            device.upload(address, host, 4L * key.values.length); // from pageable memory: taken before it returns
        }
        entries.put(owned, address);
        bytes += size;
        evictOverBudget();
        return address;
    }

    private void evictOverBudget() {
        if (bytes <= BUDGET) return;
        device.synchronize(); // queued kernels may still read what is freed
        for (Iterator<Map.Entry<Key, Long>> it = entries.entrySet().iterator(); it.hasNext() && bytes > BUDGET / 2; ) {
            Map.Entry<Key, Long> e = it.next();
            device.free(e.getValue());
            bytes -= Math.max(4L * e.getKey().values.length, 4);
            it.remove();
        }
    }

    /** Device bytes held. */
    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        for (long address : entries.values()) device.free(address);
        entries.clear();
        bytes = 0;
    }
}
