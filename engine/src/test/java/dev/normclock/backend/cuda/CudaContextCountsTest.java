package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.bindings.NativeLibrary;
import dev.normclock.bindings.cuda.Cublas;
import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.model.AttentionPopulation;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;

/**
 * The engine's count of its own driver and cuBLAS calls ({@link CallCounts}, what bench reports on a
 * GPU) against the simulator's counters of the same calls: equal, counter by counter, over a run's
 * whole life — first uploads, warm-up, steady training steps, an evaluation, the results brought
 * home, the backend closed — for the MLP and the attention model, with the GEMMs on cuBLAS and on
 * nc_gemm. This checks the counting itself.
 */
class CudaContextCountsTest {
    private static final Map<String, String> ENV = System.getenv();

    @Test
    void theEnginesCountsEqualTheSimulatorsOverTrainingAndAnEvaluation() {
        CudaAvailability a = CudaAvailability.probeSimulator(ENV);
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        ModularAddition task = new ModularAddition(11, 0.5);
        IntFunction<Population> mlp = b -> {
            MlpPopulation pop = new MlpPopulation(new MlpShape(11, 8, 16), b, task.trainSize());
            for (int m = 0; m < b; m++) {
                pop.initialise(m, 3L, m, 1e-3);
                pop.assign(m, task.split(3L, m));
            }
            return pop;
        };
        IntFunction<Population> attention = b -> {
            AttentionPopulation pop = new AttentionPopulation(11, 16, 2, 16, true, b, task.trainSize());
            for (int m = 0; m < b; m++) {
                pop.initialise(m, 3L, m);
                pop.assign(m, task.split(3L, m));
            }
            return pop;
        };
        for (boolean cublas : new boolean[]{true, false}) {
            compare("mlp, cuBLAS " + cublas, mlp, cublas);
            compare("attention, cuBLAS " + cublas, attention, cublas);
        }
    }

    private static void compare(String what, IntFunction<Population> make, boolean withCublas) {
        NativeLibrary lib = CudaSimulator.library(ENV);
        CudaDriver driver = CudaDriver.load(lib);
        CudaContext context = new CudaContext(driver, withCublas ? Cublas.load(lib) : null, CudaSimulator.kernels(ENV), 0, false);
        StepCounters simulator0 = StepCounters.of(driver.counters()), engine0 = context.engineCounts();
        int models = 3;
        try (CudaBackend backend = new CudaBackend(context); Population pop = make.apply(models)) {
            Hyper hyper = new Hyper(models);
            for (int m = 0; m < models; m++) {
                hyper.lr[m] = 1e-3f;
                hyper.weightDecay[m] = 1f;
                hyper.squaredError[m] = m == 1;
                hyper.clampTarget[m] = 5;
                hyper.clampFrom[m] = 2;
            }
            int[] all = {0, 1, 2};
            double[] loss = new double[models], acc = new double[models];
            backend.hostChanged();
            for (int step = 1; step <= 4; step++) pop.trainStep(backend, all, hyper, step);
            pop.readTraining(all, loss, acc);
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            pop.evaluateTest(backend, all, hyper, metrics);
            backend.syncToHost();
            StepCounters simulated = StepCounters.of(driver.counters()).since(simulator0), counted = context.engineCounts().since(engine0);
            assertEquals(simulated, counted, what + ": the engine's counts against the simulator's, before closing");
            assertTrue(counted.kernelLaunches() > 0 && counted.hostSynchronizations() > 0 && counted.deviceToHostBytes() > 0
                    && counted.allocations() > 0, what + ": " + counted);
            assertEquals(withCublas, counted.cublasCalls() > 0, what + ": " + counted);
        }
        // closing frees the device copies and waits for the stream: counted alike
        assertEquals(StepCounters.of(driver.counters()).since(simulator0), context.engineCounts().since(engine0), what + ": after closing");
    }
}
