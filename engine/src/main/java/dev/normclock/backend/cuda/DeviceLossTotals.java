package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.normclock.backend.LossTotals;

/**
 * {@link LossTotals} on the device: one 48-byte record per slot (native/src/losses.cuh, LossTotal),
 * added to by nc_loss_tally after each loss kernel, read back in one copy when the host asks. A
 * cleared slot is not touched on the device: its next tally starts it afresh ({@link #fresh}), so
 * clearing costs neither a launch nor a copy.
 */
final class DeviceLossTotals extends LossTotals {
    static final int RECORD = 48;

    private final DeviceMemory memory;
    private final long device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment host;
    private final boolean[] cleared;

    DeviceLossTotals(DeviceMemory memory, int models) {
        super(models);
        this.memory = memory;
        this.host = arena.allocate((long) RECORD * models, 16);
        this.device = memory.allocate((long) RECORD * models);
        memory.upload(device, host, (long) RECORD * models); // zeros: no step recorded yet
        this.cleared = new boolean[models];
        java.util.Arrays.fill(cleared, true);
    }

    long device() {
        return device;
    }

    /** Per listed model, 1 where its next tally starts afresh; and from now on it adds. */
    int[] fresh(int[] models) {
        int[] f = new int[models.length];
        for (int j = 0; j < models.length; j++) {
            f[j] = cleared[models[j]] ? 1 : 0;
            cleared[models[j]] = false;
        }
        return f;
    }

    @Override
    public void clear(int[] models) {
        for (int m : models) cleared[m] = true;
    }

    @Override
    public void read(int[] models) {
        memory.download(host, device, (long) RECORD * models());
        memory.synchronize();
        for (int m : models) {
            long at = (long) RECORD * m;
            nonFiniteStep[m] = host.get(ValueLayout.JAVA_INT, at + 40);
            if (cleared[m]) { // cleared since its last tally: zero, as on the host
                loss[m] = scale[m] = 0;
                correct[m] = collapsed[m] = rows[m] = 0;
                continue;
            }
            loss[m] = host.get(ValueLayout.JAVA_DOUBLE, at);
            scale[m] = host.get(ValueLayout.JAVA_DOUBLE, at + 8);
            correct[m] = host.get(ValueLayout.JAVA_LONG, at + 16);
            collapsed[m] = host.get(ValueLayout.JAVA_LONG, at + 24);
            rows[m] = host.get(ValueLayout.JAVA_LONG, at + 32);
        }
    }

    private boolean freed;

    /** Frees the device record once: when the population closes it, or when the backend closes first. */
    @Override
    public void close() {
        if (freed) return;
        freed = true;
        memory.synchronize(); // queued tallies may still write it
        memory.free(device);
        arena.close();
    }
}
