package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.normclock.backend.conformance.Result;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.results.RunOutcome;

/**
 * Whole models on the simulated GPU ({@code cuda-sim}): the cuda backend's training steps of every
 * model with every intervention against the CPU backend, the paper's MLP cell at full shape, and
 * a grokking run end to end. Skipped only where the build had no C++ compiler.
 */
class SimulatedGpuTrainingTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        if (cpu != null) cpu.close();
    }

    private static void assertAll(List<Result> results) {
        results.forEach(r -> System.out.println("  " + r.line()));
        for (Result r : results) assertTrue(r.passed(), r.line());
    }

    @Test
    void everyModelTrainsAsOnTheCpuWithCublasAndWithTheGemmKernel() {
        for (CudaBackend.Gemm gemm : new CudaBackend.Gemm[]{CudaBackend.Gemm.CUBLAS, CudaBackend.Gemm.KERNEL})
            try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, gemm))) {
                System.out.println("cuda-sim, GEMMs on " + sim.gemmPath() + ":");
                assertAll(TrainingComparison.run(cpu, sim, 5));
            }
    }

    /**
     * Every launch runs its threads in another order (permuted from the launch's seed), yet two
     * backends training the same populations side by side agree bit for bit: the kernels are
     * free of races and their sums have fixed orders, so a run is reproducible on a GPU too.
     */
    @Test
    void theSameStepsGiveTheSameBitsHoweverTheThreadsAreOrdered() {
        try (CudaBackend a = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT);
             CudaBackend b = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT)) {
            for (Result r : TrainingComparison.run(a, b, 3)) assertEquals(0.0, r.worst(), r.line());
        }
    }

    /**
     * A step replayed as a CUDA Graph is the step issued launch by launch, bit for bit: every model
     * and arm (clamps that start, a fork's host step, a retired slot, mixed losses), the graph
     * captured and replayed across them.
     */
    @Test
    void aStepReplayedAsAGraphIsTheStepLaunchByLaunch() {
        try (CudaBackend graphs = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT);
             CudaBackend launches = CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, CudaBackend.Gemm.AUTO, false))) {
            for (Result r : TrainingComparison.run(graphs, launches, 6)) assertEquals(0.0, r.worst(), r.line());
            assertTrue(graphs.graphReplays() >= 8, "steps replayed as graphs: " + graphs.graphReplays());
            assertEquals(0, launches.graphReplays());
        }
    }

    /**
     * What a steady training step sends to the GPU: the per-run constants (pairs, labels, token
     * lists, model lists, hyperparameters) stay on the device after the first step, so only the
     * clamp's factors travel — within issue 13's budget of 256 bytes a step at 16 models.
     */
    @Test
    void aSteadyStepSendsTheGpuOnlyTheClampFactors() {
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT)) {
            StepBenchmark.Result r = StepBenchmark.run(sim, 23, 16, 32, 0.4, 16, 2, 0, 3);
            System.out.println("per step at 16 models: " + r.countersPerStep());
            assertTrue(r.counters().hostToDeviceBytes() <= 256L * r.steps(), "host-to-device bytes per step: " + r.countersPerStep());
            assertEquals(0, r.counters().allocations(), "no allocation in a steady step");
        }
    }

    @Test
    void thePaperCellAtFullShapeTrainsAsOnTheCpu() {
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT)) {
            assertAll(TrainingComparison.paperMlp(cpu, sim, 3));
        }
    }

    /**
     * The papers' small cell (p = 41, f = 0.6, d = 32, H = 64, lr 3e-3, λ = 1, 3 seeds) held from
     * step 150 at 0.9 of the norm its free run groks at on the CPU memorises and groks on the
     * simulated GPU, every seed within 5 % of its step on the CPU (evaluated every 10 steps).
     */
    @Test
    void theSmallCellGroksAsOnTheCpu() {
        CellResult free = new CellRunner(cpu).run(cell(Double.NaN, Double.NaN, 3000), null, 0, new PopulationTrainer.Listener() { });
        assertEquals(3, free.grokkedCount());
        CellSpec held = cell(0.9, free.medianNormAtGrok(), 1500);
        CellResult onCpu = new CellRunner(cpu).run(held, null, 0, new PopulationTrainer.Listener() { });
        CellResult onSim;
        long start = System.nanoTime();
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT)) {
            onSim = new CellRunner(sim).run(held, null, 0, new PopulationTrainer.Listener() { });
        }
        System.out.printf("the small cell held at 0.9 Wc (Wc %.2f) on cuda-sim: %.1f s%n", free.medianNormAtGrok(), (System.nanoTime() - start) / 1e9);
        assertEquals(3, onCpu.grokkedCount());
        assertEquals(3, onSim.grokkedCount());
        for (int i = 0; i < 3; i++) {
            RunOutcome c = onCpu.outcomes()[i], s = onSim.outcomes()[i];
            System.out.printf("seed %d: T_mem %d / %d, T_grok %d / %d (cpu / cuda-sim)%n", i, c.tMem(), s.tMem(), c.tGrok(), s.tGrok());
            assertTrue(s.tMem() > 0 && s.tMem() < s.tGrok(), "memorises, then groks: " + s);
            assertTrue(Math.abs(s.tGrok() - c.tGrok()) <= 0.05 * c.tGrok(), "seed " + i + ": T_grok " + s.tGrok() + " on cuda-sim, " + c.tGrok() + " on the cpu");
        }
    }

    private static CellSpec cell(double rho, double wc, int maxSteps) {
        return new CellSpec(41, 0.6, 32, 64, 3e-3, 1.0, false, rho, wc, Double.NaN, 150, 1.0, new int[]{0, 1, 2}, maxSteps, "every10", 0, 7L, 1e-6);
    }
}
