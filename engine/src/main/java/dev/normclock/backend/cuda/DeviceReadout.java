package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.normclock.backend.Readout;

/**
 * A population's {@link Readout} in device memory: one record per slot — the training totals, the
 * test totals (48 bytes each, see {@link DeviceLossTotals}), then a double Σ W² per parameter
 * tensor — written by the kernels and read back in one copy.
 */
final class DeviceReadout extends Readout {
    /** Bytes per slot. */
    final int record;
    private final DeviceMemory memory;
    private final long device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment host;
    private boolean freed;

    DeviceReadout(DeviceMemory memory, int models, int tensors) {
        super(new DeviceLossTotals(models, 0), new DeviceLossTotals(models, DeviceLossTotals.BYTES), models, tensors);
        this.memory = memory;
        this.record = 2 * DeviceLossTotals.BYTES + 8 * tensors;
        this.host = arena.allocate((long) record * models, 16);
        this.device = memory.allocate((long) record * models);
        memory.upload(device, host, (long) record * models); // zeros: no step recorded yet
    }

    /** The device address of slot 0's record. */
    long device() {
        return device;
    }

    /** Where the Σ W² lie in a record. */
    int squaresOffset() {
        return 2 * DeviceLossTotals.BYTES;
    }

    @Override
    public void read(int[] models) {
        memory.download(host, device, (long) record * models());
        memory.synchronize();
        ((DeviceLossTotals) train).fill(host, record, models);
        ((DeviceLossTotals) test).fill(host, record, models);
        for (int m : models)
            for (int j = 0; j < tensors(); j++) squares[m][j] = host.get(ValueLayout.JAVA_DOUBLE, (long) record * m + squaresOffset() + 8L * j);
    }

    /** Frees the device record once: when the population closes it, or when the backend closes first. */
    @Override
    public void close() {
        if (freed) return;
        freed = true;
        memory.synchronize(); // queued kernels may still write it
        memory.free(device);
        arena.close();
    }
}
