package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The per-call data that changes from call to call — the clamp's factors — packed into one host
 * buffer and sent in one copy, and the per-call results (row losses, partial norms) received in
 * one copy. (What stays the same from call to call is in {@link DeviceConstants}.) Offsets are
 * handed out while packing; device addresses exist after {@link #upload}, which sends nothing when
 * nothing was packed. Both buffers grow on demand and are reused by every call: the stream orders
 * each call's upload after the previous call's kernels.
 */
final class Staging implements AutoCloseable {
    private static final long ALIGN = 16;

    private final DeviceMemory gpu;
    private final Arena arena = Arena.ofShared();
    private MemorySegment host = arena.allocate(1 << 16, 64);
    private long device, deviceSize;
    private long used, inputsEnd;
    private boolean uploaded;

    Staging(DeviceMemory gpu) {
        this.gpu = gpu;
    }

    /** Starts a call's packing. */
    Staging begin() {
        used = 0;
        inputsEnd = 0;
        uploaded = false;
        return this;
    }

    private long reserve(long bytes) {
        long at = (used + ALIGN - 1) / ALIGN * ALIGN;
        long end = at + Math.max(bytes, 1);
        if (end > host.byteSize()) {
            MemorySegment bigger = arena.allocate(Math.max(end, 2 * host.byteSize()), 64);
            MemorySegment.copy(host, 0, bigger, 0, used);
            host = bigger;
        }
        used = end;
        return at;
    }

    /** Packs ints; returns their offset. */
    long ints(int[] values) {
        long at = reserve(4L * values.length);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, at, values.length);
        inputsEnd = used;
        return at;
    }

    /** Packs floats; returns their offset. */
    long floats(float[] values) {
        long at = reserve(4L * values.length);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, at, values.length);
        inputsEnd = used;
        return at;
    }

    /** Space for results the kernels write (filled by {@link #download}); returns its offset. */
    long output(long bytes) {
        return reserve(bytes);
    }

    /** Sends the packed inputs to the device, where the results' space is made ready too. */
    void upload() {
        if (used > deviceSize) {
            if (device != 0) {
                gpu.synchronize(); // the previous call's kernels may still read the old buffer
                gpu.free(device);
            }
            deviceSize = Math.max(used, 2 * deviceSize);
            device = gpu.allocate(deviceSize);
        }
        if (inputsEnd > 0) gpu.upload(device, host, inputsEnd);
        uploaded = true;
    }

    /** The device address of an offset (after {@link #upload}). */
    long device(long offset) {
        if (!uploaded || offset >= used) throw new IllegalStateException("staging offset " + offset + " was not uploaded");
        return device + offset;
    }

    /** Copies [offset, offset + bytes) back from the device and waits for it (and so for every kernel before it). */
    void download(long offset, long bytes) {
        gpu.download(host.asSlice(offset, bytes), device + offset, bytes);
        gpu.synchronize();
    }

    float floatAt(long offset, int index) {
        return host.getAtIndex(ValueLayout.JAVA_FLOAT, offset / 4 + index);
    }

    int intAt(long offset, int index) {
        return host.getAtIndex(ValueLayout.JAVA_INT, offset / 4 + index);
    }

    double doubleAt(long offset, int index) {
        return host.get(ValueLayout.JAVA_DOUBLE, offset + 8L * index);
    }

    @Override
    public void close() {
        if (device != 0) gpu.free(device);
        arena.close();
    }
}
