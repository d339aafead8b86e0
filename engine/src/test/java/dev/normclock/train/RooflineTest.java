package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cuda.DevicePeaks;

/** The roofline's arithmetic on round numbers. */
class RooflineTest {
    private static final DevicePeaks GPU = new DevicePeaks("test GPU", 10_000, 100_000, 1_000, "test");

    @Test
    void theLongerOfComputeAndMemorySetsTheRate() {
        // 1 GFLOP at 10 TFLOP/s: 100 µs; 10 MB at 1 TB/s: 10 µs -> compute-bound, 10,000 model-steps/s
        Roofline r = new Roofline(GPU, false, 1e9, 1e7, 20, 4, 2_500);
        assertEquals("compute", r.bound());
        assertEquals(10_000, r.estimatedModelStepsPerSecond(), 1e-6);
        assertEquals(0.25, r.measuredOverEstimate(), 1e-12);
        assertEquals(20 * 3e-6 / 4, r.launchFloorSecondsPerModelStep(), 1e-15);
        // with TF32 (100 TFLOP/s) the FLOPs take 10 µs, the bytes 100 µs -> memory-bound
        Roofline t = new Roofline(GPU, true, 1e9, 1e8, 20, 4, Double.NaN);
        assertEquals("memory", t.bound());
        assertEquals(10_000, t.estimatedModelStepsPerSecond(), 1e-6);
        assertTrue(Double.isNaN(t.measuredOverEstimate()));
    }

    @Test
    void tf32WithoutATabledPeakFallsBackToFp32() {
        Roofline r = new Roofline(new DevicePeaks("x", 10_000, Double.NaN, 1_000, "test"), true, 1e9, 1, 1, 1, Double.NaN);
        assertEquals(10_000, r.peakGflops(), 0);
    }
}
