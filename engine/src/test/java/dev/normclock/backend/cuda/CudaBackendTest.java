package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cpu.CpuBackend;

/**
 * The cuda backend against the CPU backend: every primitive and a few training steps of each
 * model (the self-check `normclock devices --check` runs). These need a GPU, its driver, cuBLAS
 * and the kernels; where one is missing they are skipped — reported as skipped with the reason,
 * never passed — except the refusal, which is checked where the backend cannot run.
 */
class CudaBackendTest {
    static final CudaAvailability HERE = CudaAvailability.probe(System.getenv());

    @Test
    void withoutAUsableGpuOpeningTheBackendSaysWhatIsMissingInOneLine() {
        assumeTrue(!HERE.usable(), "a usable GPU is present");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaBackend.open(System.getenv()));
        assertEquals(HERE.problem(), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void everyPrimitiveMatchesTheCpuBackend() {
        assumeTrue(HERE.usable(), () -> "no GPU check here: " + HERE.problem());
        try (CpuBackend cpu = new CpuBackend(2); CudaBackend gpu = CudaBackend.open(System.getenv())) {
            List<SelfCheck.Result> results = SelfCheck.primitives(cpu, gpu, 42);
            results.forEach(r -> System.out.println(r.line()));
            for (SelfCheck.Result r : results) assertTrue(r.passed(), r.line());
        }
    }

    @Test
    void trainingStepsOfEveryModelMatchTheCpuBackend() {
        assumeTrue(HERE.usable(), () -> "no GPU check here: " + HERE.problem());
        try (CpuBackend cpu = new CpuBackend(2); CudaBackend gpu = CudaBackend.open(System.getenv())) {
            List<SelfCheck.Result> results = SelfCheck.training(cpu, gpu, 5);
            results.forEach(r -> System.out.println(r.line()));
            for (SelfCheck.Result r : results) assertTrue(r.passed(), r.line());
        }
    }
}
