package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;

/**
 * The cuda backend's memory model without a GPU: {@link DeviceMirrors} over a "device" made of
 * host memory at made-up addresses. A kernel is played by writing through the address the mirrors
 * hand out. What must hold: the device sees the host's data on first use and after
 * {@code hostChanged}, the host sees the device's results only after {@code toHost}, windows and
 * row ranges share their allocation's mirror at the right offset, a host write over unsynced
 * device results is refused, and freed allocations give their device memory back.
 */
class DeviceMirrorsTest {

    @Test
    void theDeviceSeesTheHostOnFirstUseAndTheHostSeesTheDeviceAfterToHost() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor t = Tensor.allocate(arena, 3, 4, 5);
            t.fromArray(1, new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
            long a = mirrors.address(t, false);
            assertEquals(1, dev.uploads);
            assertEquals(7f, dev.read(a, t, 1, 1, 1));
            mirrors.address(t, true); // already up to date: no second upload
            assertEquals(1, dev.uploads);
            dev.write(a, t, 1, 1, 1, 70f);
            assertEquals(7f, t.get(1, 1, 1), "the host is not touched before toHost");
            mirrors.toHost();
            assertEquals(70f, t.get(1, 1, 1));
            assertEquals(1, dev.downloads);
            assertEquals(1, dev.syncs, "toHost waits for the copies");
            mirrors.toHost(); // nothing newer on the device: no copy, no wait
            assertEquals(1, dev.downloads);
            assertEquals(1, dev.syncs);
        }
    }

    /** Workspace goes up once (its zero padding) and never comes back, nor up again: a checkpoint copies the state only. */
    @Test
    void workspaceIsUploadedOnceAndNeverDownloaded() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor work = Tensor.allocate(arena, 2, 3, 5, Precision.FLOAT32, true);
            long a = mirrors.address(work.window(0), true);
            assertEquals(1, dev.uploads);
            dev.write(a, work, 1, 2, 2, 9f);
            mirrors.toHost();
            assertEquals(0, dev.downloads, "a kernel's workspace is not brought home");
            assertEquals(0f, work.get(1, 2, 2));
            mirrors.hostChanged(); // no refusal: nothing of the state was left on the device
            mirrors.address(work, false);
            assertEquals(1, dev.uploads, "nor sent again");
            assertEquals(9f, dev.read(a, work, 1, 2, 2));
        }
    }

    @Test
    void aHostWriteAnnouncedByHostChangedIsUploadedBeforeTheNextUse() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor t = Tensor.allocate(arena, 2, 3, 3);
            long a = mirrors.address(t, false);
            t.set(0, 2, 2, 5f);
            assertEquals(0f, dev.read(a, t, 0, 2, 2));
            mirrors.hostChanged();
            assertEquals(a, mirrors.address(t, false), "the same device memory");
            assertEquals(5f, dev.read(a, t, 0, 2, 2));
        }
    }

    @Test
    void aHostWriteOverResultsNotYetBroughtHomeIsRefused() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor t = Tensor.allocate(arena, 1, 2, 2);
            mirrors.address(t, true);
            IllegalStateException e = assertThrows(IllegalStateException.class, mirrors::hostChanged);
            assertTrue(e.getMessage().contains("syncToHost"), e.getMessage());
            mirrors.toHost();
            mirrors.hostChanged(); // fine once synced
        }
    }

    @Test
    void windowsAndRowRangesShareTheirAllocationsMirrorAtTheirOffset() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor t = Tensor.allocate(arena, 4, 6, 3);
            for (int m = 0; m < 4; m++) {
                float[] v = new float[18];
                for (int i = 0; i < v.length; i++) v[i] = 100 * m + i;
                t.fromArray(m, v);
            }
            long base = mirrors.address(t, false);
            Tensor window = t.window(5); // slots 5..8 of a caller map onto models 0..3
            long w = mirrors.address(window, false);
            assertEquals(base - 4L * 5 * t.modelStride, w, "a window's model 0 lies before the allocation");
            assertEquals(t.get(2, 4, 1), dev.read(w, window, 7, 4, 1), "slot 7 of the window is model 2");
            Tensor rows = t.rowRange(2, 5);
            long r = mirrors.address(rows, true);
            assertEquals(base + 4L * 2 * t.ld, r);
            assertEquals(t.get(3, 4, 2), dev.read(r, rows, 3, 2, 2), "row 2 of the range is row 4");
            assertEquals(1, dev.blocks.size(), "one device allocation for all three views");
            assertEquals(1, dev.uploads);
            dev.write(r, rows, 3, 0, 0, -1f);
            mirrors.toHost();
            assertEquals(-1f, t.get(3, 2, 0));
        }
    }

    @Test
    void freedAllocationsGiveBackTheirDeviceMemory() {
        FakeDevice dev = new FakeDevice();
        try (DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Arena first = Arena.ofConfined();
            Tensor a = Tensor.allocate(first, 2, 8, 8), b = Tensor.allocate(first, 2, 8, 8);
            mirrors.address(a, false);
            mirrors.address(b, true);
            mirrors.toHost();
            assertEquals(2 * a.seg.byteSize(), mirrors.deviceBytes());
            first.close(); // the population closes
            mirrors.hostChanged();
            assertEquals(2, dev.frees);
            assertEquals(0, mirrors.deviceBytes());
            try (Arena second = Arena.ofConfined()) {
                Tensor c = Tensor.allocate(second, 1, 4, 4);
                c.set(0, 0, 0, 3f);
                long addr = mirrors.address(c, false);
                assertEquals(3f, dev.read(addr, c, 0, 0, 0));
            }
        }
        assertTrue(dev.blocks.isEmpty(), "close frees everything");
    }

    @Test
    void theHostCopyOfADeviceWriteIsTheWholeAllocation() {
        FakeDevice dev = new FakeDevice();
        try (Arena arena = Arena.ofConfined(); DeviceMirrors mirrors = new DeviceMirrors(dev)) {
            Tensor t = Tensor.allocate(arena, 2, 2, 2);
            long a = mirrors.address(t, true);
            dev.write(a, t, 0, 0, 0, 1f);
            dev.write(a, t, 1, 1, 1, 2f);
            mirrors.toHost();
            assertArrayEquals(new float[]{1, 0, 0, 0}, t.toArray(0));
            assertArrayEquals(new float[]{0, 0, 0, 2}, t.toArray(1));
        }
    }
}
