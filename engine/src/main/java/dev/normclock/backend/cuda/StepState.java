package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.normclock.backend.Hyper;

/**
 * What changes from one training step to the next, on the device (native/src/common.cuh,
 * StepState): the step and AdamW's bias corrections 1 − β^t, computed in double and rounded to
 * float exactly as the CPU backend does. Sent — 16 bytes — when the step changes, and read by the
 * kernels from there, so that a step captured once as a CUDA Graph replays with the current values.
 */
final class StepState implements AutoCloseable {
    static final int BYTES = 16;

    private final DeviceMemory memory;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment host = arena.allocate(BYTES, 16);
    private final long device;
    private int step = -1;

    StepState(DeviceMemory memory) {
        this.memory = memory;
        this.device = memory.allocate(BYTES);
        at(0);
    }

    /** The device address, after sending {@code step}'s values if they are not there yet. */
    long at(int step) {
        if (step != this.step) {
            host.set(ValueLayout.JAVA_INT, 0, step);
            host.set(ValueLayout.JAVA_FLOAT, 4, (float) (1 - Math.pow(Hyper.BETA1, step)));
            host.set(ValueLayout.JAVA_FLOAT, 8, (float) (1 - Math.pow(Hyper.BETA2, step)));
            memory.upload(device, host, BYTES); // from pageable memory: taken before it returns
            this.step = step;
        }
        return device;
    }

    /** The device address, whatever step it holds (for kernels that do not read it). */
    long device() {
        return device;
    }

    @Override
    public void close() {
        memory.free(device);
        arena.close();
    }
}
