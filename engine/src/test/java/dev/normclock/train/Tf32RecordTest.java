package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.backend.Backend;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;

/**
 * --tf32 changes the GEMMs' numerics, so a run trained with it must say so in its stored config.
 * Without a GPU the cuda backend cannot train, so a CPU backend that reports tf32() = true stands
 * in for it: what is tested is the recording, not TF32 arithmetic.
 */
class Tf32RecordTest {

    private static CellSpec cell() {
        return new CellSpec(11, 0.5, 8, 16, 3e-3, 1.0, false, Double.NaN, Double.NaN, Double.NaN, 150, 1.0,
                new int[]{0, 1}, 20, "every10", 0, 7L, 1e-6);
    }

    /** The CPU backend, but claiming TF32 GEMMs (every other call goes to the CPU backend). */
    private static Backend claimingTf32(CpuBackend cpu) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (proxy, method, args) -> {
            if (method.getName().equals("tf32") && method.getParameterCount() == 0) return true;
            try {
                return method.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    void aRunOnATf32BackendRecordsItAndAnFp32RunHasNoSuchKey(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (CpuBackend cpu = new CpuBackend(1); ResultsStore store = ResultsStore.open(dir)) {
            assertFalse(cpu.tf32(), "the cpu backend never uses TF32");
            long e1 = store.createExperiment("fp32", "test", 7L, "test");
            new CellRunner(cpu).run(cell(), store, e1, new PopulationTrainer.Listener() { });
            long e2 = store.createExperiment("tf32", "test", 7L, "test");
            new CellRunner(claimingTf32(cpu)).run(cell(), store, e2, new PopulationTrainer.Listener() { });
            int fp32 = 0, tf32 = 0;
            for (RunRow r : store.allRuns()) {
                var config = json.readTree(r.spec().configJson());
                if (r.experimentId() == e1) {
                    assertFalse(config.has("tf32"), "an FP32 run's config is as it always was: " + config);
                    fp32++;
                } else {
                    assertTrue(config.path("tf32").asBoolean(false), "a TF32 run records it: " + config);
                    tf32++;
                }
            }
            assertEquals(2, fp32);
            assertEquals(2, tf32);
        }
    }
}
