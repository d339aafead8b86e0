package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cuda.DevicePeaks;
import dev.normclock.backend.cuda.StepCounters;
import dev.normclock.train.StepBenchmark;

/**
 * bench's GPU figures as `--backend cuda` prints them — the engine's counters and the GPU's own
 * roofline set against the measured rate — checked without a GPU on a made-up result.
 */
class GpuFiguresTest {
    /** 4 timed steps of 16 models at p = 59 (d 128, H 256, f 0.4), 2 timed evaluations. */
    private static StepBenchmark.Result result(double modelStepsPerSecond) {
        StepCounters steps = new StepCounters(40, 0, 36, 4, 256, 0, 0, 0, 0, 0, 0);
        StepCounters evaluations = new StepCounters(20, 0, 8, 0, 0, 6, 1200, 0, 4, 0, 0);
        return new StepBenchmark.Result("mlp", 59, 128, 256, 0.4, 16, 1, 4, 1, modelStepsPerSecond, 0, 149.3e6, 0, 1000, steps, 2, evaluations);
    }

    @Test
    void onAGpuTheCountersAreTheEnginesAndTheMeasuredRateIsSetAgainstTheEstimate() {
        GpuFigures figures = new GpuFigures(DevicePeaks.nominal("NVIDIA H200"), false, false);
        Map<String, Object> o = new LinkedHashMap<>();
        figures.json(o, result(44_600));
        assertEquals(10.0, o.get("kernel_launches_per_step"));
        assertEquals(9.0, o.get("cublas_calls_per_step"));
        assertEquals(64.0, o.get("host_to_device_bytes_per_step"));
        assertEquals(0.0, o.get("host_syncs_per_step"));
        assertEquals(3.0, o.get("evaluation_device_to_host_copies"));
        assertEquals(600.0, o.get("evaluation_device_to_host_bytes"));
        assertEquals(2.0, o.get("evaluation_host_syncs"));
        assertEquals("engine", o.get("counters_source"));
        @SuppressWarnings("unchecked")
        Map<String, Object> roof = (Map<String, Object>) o.get("roofline");
        double estimate = (Double) roof.get("estimated_model_steps_per_second");
        // 149.3 MFLOP at 67 TFLOP/s: 2.23 us; 10.7 MB at 4.8 TB/s: 2.24 us -> memory-bound, about 446,000 model-steps/s
        assertEquals("memory", roof.get("bound"));
        assertEquals(446_000, estimate, 2_000);
        assertEquals(44_600 / estimate, (Double) roof.get("measured_over_estimate"), 1e-12);
        assertEquals(19 * 3e-6 / 16, (Double) roof.get("launch_floor_seconds_per_model_step"), 1e-15);
        String text = figures.text(result(44_600));
        assertTrue(text.startsWith("  per step (the engine's count of its driver and cuBLAS calls over 4 timed steps): 10 kernel launches, "), text);
        assertTrue(text.contains("; per evaluation (over 2): 3 device-to-host copies (600 bytes), 2 host synchronisations\n"), text);
        assertTrue(text.contains("\n  roofline, the NVIDIA H200: FP32 67.0 TFLOP/s, TF32 494.7 TFLOP/s nominal, 4.80 TB/s (NVIDIA's nominal figures for the H200"), text);
        assertTrue(text.contains("; measured 44600.0 model-steps/s, 10.0% of the estimate\n"), text);
    }

    @Test
    void onTheSimulatorTheRooflineIsAnEstimateForTheReferenceGpuOnly() {
        GpuFigures figures = new GpuFigures(DevicePeaks.REFERENCE, true, true);
        Map<String, Object> o = new LinkedHashMap<>();
        figures.json(o, result(15));
        @SuppressWarnings("unchecked")
        Map<String, Object> roof = (Map<String, Object>) o.get("roofline");
        assertFalse(roof.containsKey("measured_over_estimate"));
        assertEquals(true, roof.get("tf32_peak_used"));
        assertEquals("memory", roof.get("bound"), "at the TF32 peak the bytes take longer still");
        String text = figures.text(result(15));
        assertTrue(text.contains("\n  roofline, an estimate for an H200, not measured: FP32 "), text);
        assertTrue(text.contains("memory-bound at the TF32 peak, at most "), text);
        assertFalse(text.contains("of the estimate"), text);
    }
}
