package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.conformance.Case;
import dev.normclock.backend.conformance.Conformance;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.train.TrainingComparison;

/**
 * The cuda backend's host side, without a GPU: every case of the conformance suite and a few
 * training steps of each model (the self-check's two comparisons), run on a {@link RecordingGpu}
 * that executes nothing (so the results are meaningless and not looked at) but checks every
 * launch against the kernel's declared parameters and every address against device memory. This
 * catches a launch whose arguments do not match its kernel, a tensor or GEMM operand outside its
 * allocation (windows, row ranges, runs of slots), a staging offset used before its upload —
 * everything but the kernels' arithmetic, which needs a GPU ({@link CudaBackendTest}).
 */
class CudaBackendHostSideTest {

    @Test
    void everyKernelIsLaunchedWithItsDeclaredArgumentsAndEveryAddressIsInDeviceMemory() {
        RecordingGpu gpu = new RecordingGpu();
        assertTrue(gpu.kernels.size() >= 23, "kernels found in native/src: " + gpu.kernels.keySet());
        try (CpuBackend cpu = new CpuBackend(1); CudaBackend cuda = new CudaBackend(gpu)) {
            for (Case c : Conformance.cases()) c.run(cuda, 7); // a call that throws fails the test
            TrainingComparison.run(cpu, cuda, 2);
        }
        RecordingGpu noCublas = new RecordingGpu(false); // the GEMMs on nc_gemm
        try (CudaBackend cuda = new CudaBackend(noCublas)) {
            for (Case c : Conformance.cases()) if (c.primitive().equals("matmul")) c.run(cuda, 7);
        }
        assertTrue(noCublas.launches.containsKey("nc_gemm"), "without cuBLAS the GEMMs launch nc_gemm");
        assertTrue(noCublas.device.blocks.isEmpty(), "closing the backend frees all device memory");
        Set<String> unused = new TreeSet<>(gpu.kernels.keySet());
        unused.removeAll(gpu.launches.keySet());
        unused.removeAll(noCublas.launches.keySet());
        assertEquals(Set.of(), unused, "kernels in native/src that no primitive launched");
        assertTrue(gpu.gemms > 100, "GEMMs: " + gpu.gemms);
        assertTrue(gpu.device.blocks.isEmpty(), "closing the backend frees all device memory: " + gpu.device.blocks.size() + " left");
    }

    /** TF32 is off unless asked for, and a backend opened with it says so (runs record it from there). */
    @Test
    void tf32IsOffByDefaultAndReportedWhenAskedFor() {
        try (CudaBackend plain = new CudaBackend(new RecordingGpu()); CudaBackend tf32 = new CudaBackend(new RecordingGpu(), true)) {
            assertEquals(false, plain.tf32());
            assertEquals(true, tf32.tf32());
        }
    }
}
