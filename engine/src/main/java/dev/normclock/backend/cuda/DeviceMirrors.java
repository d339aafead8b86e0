package dev.normclock.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.normclock.backend.Tensor;

/**
 * The cuda backend's memory model: tensors stay what the engine made them — host segments — and
 * each allocation the backend meets (a Tensor's {@code seg}; windows and row ranges share it) gets
 * a device copy of the same size, made on first use. Which side is newer is tracked per
 * allocation:
 * <ul>
 *   <li>a kernel or GEMM first uploads any allocation whose host copy is newer, then marks those it
 *       writes device-newer;</li>
 *   <li>{@link #toHost} downloads every device-newer allocation (the engine calls it through
 *       {@link dev.normclock.backend.Backend#syncToHost} before host code reads tensors:
 *       checkpoints, the end of a run, tests);</li>
 *   <li>{@link #hostChanged} marks every allocation host-newer (through
 *       {@link dev.normclock.backend.Backend#hostChanged}, after host code wrote tensors:
 *       initialisation, a restored checkpoint, the parity inputs). Device results not yet brought
 *       home would be lost, so that is refused with an exception rather than done silently.</li>
 * </ul>
 * Between those two calls the device copies are the truth and the step runs without a single
 * host copy of a tensor. An allocation whose host segment has been freed (its population closed)
 * is dropped and its device memory freed at the next {@link #hostChanged}, or when a new
 * allocation takes its address.
 *
 * <p>Workspace tensors ({@link Tensor#scratch}: activations, logits, tables) are the exception:
 * their zeros (the padding the kernels rely on) go up once and nothing ever comes back, so a sync
 * point copies parameters, moments and gradients only.
 *
 * <p>This keeps the engine's populations, checkpoints and tests unchanged at the cost of a full
 * copy of the state at each sync point, which happen per run and per checkpoint, not per step.
 */
final class DeviceMirrors implements AutoCloseable {
    private final DeviceMemory device;
    private final Map<Long, Mirror> byAddress = new LinkedHashMap<>();
    private long deviceBytes;

    private static final class Mirror {
        final MemorySegment host;
        final long device, bytes;
        final boolean scratch; // workspace: its zeros go up once, nothing comes back
        boolean hostNewer = true, deviceNewer;

        Mirror(MemorySegment host, long device, boolean scratch) {
            this.host = host;
            this.device = device;
            this.bytes = host.byteSize();
            this.scratch = scratch;
        }

        boolean alive() {
            return host.scope().isAlive();
        }
    }

    DeviceMirrors(DeviceMemory device) {
        this.device = device;
    }

    /**
     * The device address of the tensor's element 0 of model 0 (t.offset; for a window this can lie
     * before the allocation — kernels add the model's offset before they read), after bringing
     * the allocation up to date on the device; {@code writes} marks it device-newer.
     */
    long address(Tensor t, boolean writes) {
        Mirror mirror = mirror(t.seg, t.scratch);
        if (mirror.hostNewer) {
            device.upload(mirror.device, mirror.host, mirror.bytes);
            mirror.hostNewer = false;
        }
        if (writes && !mirror.scratch) mirror.deviceNewer = true;
        return mirror.device + t.bytes(t.offset);
    }

    private Mirror mirror(MemorySegment seg, boolean scratch) {
        long key = seg.address();
        Mirror m = byAddress.get(key);
        if (m != null && m.alive() && m.host.byteSize() == seg.byteSize()) return m;
        if (m != null) release(key, m); // freed and its address reused by a new allocation
        m = new Mirror(seg, device.allocate(seg.byteSize()), scratch);
        deviceBytes += m.bytes;
        byAddress.put(key, m);
        return m;
    }

    /** Downloads every device-newer allocation that is still alive; returns when the host holds them. */
    void toHost() {
        boolean any = false;
        for (Mirror m : byAddress.values())
            if (m.deviceNewer && m.alive()) {
                device.download(m.host, m.device, m.bytes);
                m.deviceNewer = false;
                any = true;
            }
        if (any) device.synchronize();
    }

    /** Host code wrote tensors: every live allocation is uploaded again before its next use; dead ones are freed. */
    void hostChanged() {
        for (Iterator<Map.Entry<Long, Mirror>> it = byAddress.entrySet().iterator(); it.hasNext(); ) {
            Mirror m = it.next().getValue();
            if (!m.alive()) {
                free(m);
                it.remove();
                continue;
            }
            if (m.deviceNewer)
                throw new IllegalStateException("host tensors were written while the GPU held newer results: call Backend.syncToHost() "
                        + "before host code touches tensors");
            if (!m.scratch) m.hostNewer = true;
        }
    }

    private void release(long key, Mirror m) {
        free(m);
        byAddress.remove(key);
    }

    private void free(Mirror m) {
        device.synchronize(); // queued kernels may still use it
        device.free(m.device);
        deviceBytes -= m.bytes;
    }

    long deviceBytes() {
        return deviceBytes;
    }

    @Override
    public void close() {
        for (Mirror m : byAddress.values()) free(m);
        byAddress.clear();
    }
}
