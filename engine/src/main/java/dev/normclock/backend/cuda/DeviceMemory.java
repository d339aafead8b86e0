package dev.normclock.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What {@link DeviceMirrors} needs of a GPU: memory and ordered copies. The backend's is the
 * driver on its stream ({@link CudaContext#memory}); tests give one in host memory, so the
 * mirrors' bookkeeping is checked without a GPU.
 */
interface DeviceMemory {
    long allocate(long bytes);

    void free(long address);

    /** Queued after the work before it; the source may be reused when it returns. */
    void upload(long address, MemorySegment source, long bytes);

    /** Queued after the work before it; the destination holds the data after {@link #synchronize}. */
    void download(MemorySegment destination, long address, long bytes);

    /** Waits for everything queued. */
    void synchronize();
}
