package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Peaks from attributes against NVIDIA's published figures, and the table by name. */
class DevicePeaksTest {
    @Test
    void attributesGiveThePublishedPeaks() {
        // A100 SXM: 108 SMs x 64 lanes x 2 x 1410 MHz = 19.5 TFLOP/s; 2 x 1593 MHz x 5120 bits / 8 = 2.04 TB/s
        DevicePeaks a100 = DevicePeaks.fromAttributes("NVIDIA A100-SXM4-80GB", 8, 0, 108, 1_410_000, 1_593_000, 5120);
        assertEquals(19_491, a100.fp32Gflops(), 1);
        assertEquals(2_039, a100.bandwidthGBs(), 1);
        assertEquals(156_000, a100.tf32Gflops(), 0);
        assertTrue(a100.source().startsWith("the device's attributes"), a100.source());
        // H100 SXM: 132 SMs x 128 lanes x 2 x 1980 MHz = 66.9 TFLOP/s
        assertEquals(66_908, DevicePeaks.fromAttributes("NVIDIA H100 80GB HBM3", 9, 0, 132, 1_980_000, 2_619_000, 5120).fp32Gflops(), 1);
        // sm_86/89: 128 lanes; unknown TF32
        assertTrue(Double.isNaN(DevicePeaks.fromAttributes("NVIDIA L40S", 8, 9, 142, 2_520_000, 9_001_000, 384).tf32Gflops()));
        assertEquals(128, DevicePeaks.fp32LanesPerSm(12, 0));
        assertNull(DevicePeaks.fromAttributes("no clock", 9, 0, 132, 0, 2_619_000, 5120), "a driver that reports no clock");
    }

    @Test
    void theTableByNameAndTheReference() {
        DevicePeaks h200 = DevicePeaks.nominal("NVIDIA H200");
        assertEquals(67_000, h200.fp32Gflops(), 0);
        assertEquals(4_800, h200.bandwidthGBs(), 0);
        assertEquals(494_700, h200.tf32Gflops(), 0);
        assertEquals(h200, DevicePeaks.REFERENCE);
        assertEquals(3_350, DevicePeaks.nominal("NVIDIA H100 80GB HBM3").bandwidthGBs(), 0);
        assertEquals(19_500, DevicePeaks.nominal("NVIDIA A100-PCIE-40GB").fp32Gflops(), 0);
        assertNull(DevicePeaks.nominal("NVIDIA GeForce RTX 4090"));
    }
}
