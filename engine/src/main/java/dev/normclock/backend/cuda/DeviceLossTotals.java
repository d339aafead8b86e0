package dev.normclock.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.normclock.backend.LossTotals;

/**
 * {@link LossTotals} on the device: a 48-byte record (native/src/losses.cuh, LossTotal) at
 * {@link #offset} of each slot's {@link DeviceReadout} record, added to by nc_loss_tally after each
 * loss kernel. A cleared slot is not touched on the device: its next tally starts it afresh
 * ({@link #fresh}), so clearing costs neither a launch nor a copy.
 */
final class DeviceLossTotals extends LossTotals {
    static final int BYTES = 48;

    /** Where in a slot's readout record these totals lie. */
    final int offset;
    private final boolean[] cleared;

    DeviceLossTotals(int models, int offset) {
        super(models);
        this.offset = offset;
        this.cleared = new boolean[models];
        java.util.Arrays.fill(cleared, true);
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

    /** The listed slots' totals from a copy of the readout's records. */
    void fill(MemorySegment host, int record, int[] models) {
        for (int m : models) {
            long at = (long) record * m + offset;
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
}
