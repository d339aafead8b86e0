package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;

import dev.normclock.backend.Tensor;

/** Device memory in the host: allocations at addresses 2^32 apart, counted. */
final class FakeDevice implements DeviceMemory {
    final TreeMap<Long, MemorySegment> blocks = new TreeMap<>();
    final Arena arena = Arena.ofShared();
    long next = 1L << 32;
    int uploads, downloads, syncs, frees;

    @Override
    public long allocate(long bytes) {
        long a = next;
        next += 1L << 32;
        blocks.put(a, arena.allocate(bytes, 64));
        return a;
    }

    @Override
    public void free(long address) {
        if (blocks.remove(address) == null) throw new AssertionError("double free of " + address);
        frees++;
    }

    @Override
    public void upload(long address, MemorySegment source, long bytes) {
        MemorySegment.copy(source, 0, at(address), 0, bytes);
        uploads++;
    }

    @Override
    public void download(MemorySegment destination, long address, long bytes) {
        MemorySegment.copy(at(address), 0, destination, 0, bytes);
        downloads++;
    }

    @Override
    public void synchronize() {
        syncs++;
    }

    /** The device memory from an address inside an allocation. */
    MemorySegment at(long address) {
        Map.Entry<Long, MemorySegment> e = blocks.floorEntry(address);
        return e.getValue().asSlice(address - e.getKey());
    }

    /** A "kernel" write: element (m, r, c) of a tensor whose device address (of t.offset) is given. */
    void write(long address, Tensor t, int m, int r, int c, float v) {
        long element = m * t.modelStride + (long) r * t.ld + c;
        at(address + 4 * element).set(ValueLayout.JAVA_FLOAT, 0, v);
    }

    float read(long address, Tensor t, int m, int r, int c) {
        return at(address + 4 * (m * t.modelStride + (long) r * t.ld + c)).get(ValueLayout.JAVA_FLOAT, 0);
    }

    /** Whether [address, address + bytes) lies inside one live allocation. */
    boolean inside(long address, long bytes) {
        Map.Entry<Long, MemorySegment> e = blocks.floorEntry(address);
        return e != null && address - e.getKey() + bytes <= e.getValue().byteSize();
    }
}
