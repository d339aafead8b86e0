package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.conformance.Conformance;
import dev.normclock.backend.conformance.Result;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.train.TrainingComparison;

/**
 * The cuda backend on a GPU: the conformance suite (every primitive against the float64 backend)
 * and a few training steps of each model against the CPU backend — the self-check `normclock
 * devices --check` runs. These need a GPU, its driver, cuBLAS and the kernels; where one is
 * missing they are skipped — reported as skipped with the reason, never passed — except the
 * refusal, which is checked where the backend cannot run.
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
    void everyPrimitivePassesTheConformanceSuite() {
        assumeTrue(HERE.usable(), () -> "no GPU check here: " + HERE.problem());
        try (CudaBackend gpu = CudaBackend.open(System.getenv())) {
            List<Result> results = Conformance.run(gpu, 42);
            results.forEach(r -> System.out.println(r.line()));
            for (Result r : results) assertTrue(r.passed(), r.line());
        }
    }

    @Test
    void trainingStepsOfEveryModelMatchTheCpuBackend() {
        assumeTrue(HERE.usable(), () -> "no GPU check here: " + HERE.problem());
        try (CpuBackend cpu = new CpuBackend(2); CudaBackend gpu = CudaBackend.open(System.getenv())) {
            List<Result> results = new java.util.ArrayList<>(TrainingComparison.run(cpu, gpu, 5));
            results.addAll(TrainingComparison.paperMlp(cpu, gpu, 3));
            results.forEach(r -> System.out.println(r.line()));
            for (Result r : results) assertTrue(r.passed(), r.line());
        }
    }
}
