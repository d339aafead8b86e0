package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cpu.CpuBackend;

/**
 * The open check `normclock devices` runs: a scale and a GEMM through the Backend interface,
 * compared exactly. On the CPU backend (the check itself), on the simulator on both GEMM paths,
 * and where the backend does not open (one line saying why).
 */
class OpenCheckTest {

    @Test
    void theCpuBackendComputesTheExpectedValues() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            assertNull(OpenCheck.check(cpu));
        }
    }

    @Test
    void theSimulatorOpensAndAgreesOnBothGemmPaths() {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        for (CudaBackend.Gemm gemm : new CudaBackend.Gemm[]{CudaBackend.Gemm.CUBLAS, CudaBackend.Gemm.KERNEL}) {
            OpenCheck.Outcome o = OpenCheck.run("cuda-sim", () -> CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, gemm)));
            assertTrue(o.agrees(), o.line());
            String path = gemm == CudaBackend.Gemm.CUBLAS ? "cuBLAS" : "nc_gemm";
            assertTrue(o.line().matches("cuda-sim opens: nc_scale and a 3x4x5 GEMM on " + path + " agree with the expected values \\(\\d+ ms\\)"),
                    o.line());
        }
    }

    @Test
    void aBackendThatDoesNotOpenIsOneLineSayingWhy() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(CudaSimulator.LIBRARY_ENV, "/nonexistent/libnormclock-cudasim.so");
        OpenCheck.Outcome o = OpenCheck.run("cuda-sim", () -> CudaBackend.openSimulator(env, CudaBackend.Options.DEFAULT));
        assertFalse(o.agrees());
        assertEquals("cuda-sim does not open: NORMCLOCK_SIM_LIBRARY names /nonexistent/libnormclock-cudasim.so, which is not a file: fix or unset it",
                o.line());
    }
}
