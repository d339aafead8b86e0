package dev.normclock.backend.cuda;

/**
 * A device buffer that grows on demand and is reused by every call: the stream orders its uses. It
 * grows by at least doubling, so a steady step allocates nothing (and a captured step keeps its
 * address); growing waits for the queued work that may still use the old buffer before freeing it.
 */
final class DeviceScratch implements AutoCloseable {
    private final DeviceMemory memory;
    private long address, bytes;

    DeviceScratch(DeviceMemory memory) {
        this.memory = memory;
    }

    /** The buffer's address, at least {@code needed} bytes. */
    long at(long needed) {
        if (needed > bytes) {
            if (address != 0) {
                memory.synchronize();
                memory.free(address);
            }
            bytes = Math.max(needed, 2 * bytes);
            address = memory.allocate(bytes);
        }
        return address;
    }

    @Override
    public void close() {
        if (address != 0) memory.free(address);
        address = 0;
        bytes = 0;
    }
}
