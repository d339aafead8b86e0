package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.backend.WorkspaceSizing;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cpu.CpuFloat64Backend;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * A memory plan is only as good as its count: each population's {@code plannedBytes}, worked out
 * before anything is allocated, must equal what the population then allocates once stepped — for
 * every model, both precisions, populations smaller and larger than a CPU's workspace group, and a
 * GPU's sizing (the whole population in one workspace, every test row in one pass).
 */
class PlannedBytesTest {
    static final long KEY = 5L;

    /** A CPU backend that sizes workspaces as a GPU does: the CPU kernels run any group size. */
    static Backend gpuSized(Backend cpu) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (proxy, method, args) -> {
            if (method.getName().equals("workspaceModels")) return WorkspaceSizing.GPU.workspaceModels((Integer) args[0]);
            if (method.getName().equals("evaluationRows"))
                return WorkspaceSizing.GPU.evaluationRows((Integer) args[0], (Integer) args[1], (Long) args[2]);
            try {
                return method.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    static Backend[] backends(Precision precision) {
        Backend cpu = precision == Precision.FLOAT64 ? new CpuFloat64Backend(1) : new CpuBackend(1);
        return new Backend[]{cpu, gpuSized(cpu)};
    }

    /** Steps every slot once and evaluates it, so that the workspace (with its evaluation blocks) exists. */
    static void stepAll(Population pop, Backend be) {
        int[] all = IntStream.range(0, pop.models()).toArray();
        dev.normclock.backend.Hyper h = MlpStepConformanceTest.hyper(pop.models());
        java.util.Arrays.fill(h.clampGroup, -1); // the whole norm: a group every model has
        pop.trainStep(be, all, h, 1);
        pop.evaluateTest(be, all, h);
    }

    @Test
    void theMlpAllocatesWhatItsPlanSays() {
        ModularAddition task = new ModularAddition(13, 0.4);
        for (Precision precision : Precision.values())
            for (Backend be : backends(precision))
                for (int models : new int[]{3, Backend.CPU_WORKSPACE_MODELS + 5}) {
                    MlpShape shape = new MlpShape(13, 8, 24);
                    long planned = MlpPopulation.plannedBytes(shape, models, task.trainSize(), precision, be);
                    try (MlpPopulation pop = new MlpPopulation(shape, models, task.trainSize(), precision)) {
                        for (int m = 0; m < models; m++) {
                            pop.initialise(m, KEY, m, 0.05);
                            pop.assign(m, task.split(KEY, m));
                        }
                        stepAll(pop, be);
                        assertEquals(planned, pop.bytes(), precision + ", " + models + " models, workspace of " + be.workspaceModels(models));
                    }
                }
    }

    @Test
    void theAttentionModelAllocatesWhatItsPlanSaysWithAndWithoutItsLayerNorm() {
        ModularAddition task = new ModularAddition(7, 0.5);
        for (boolean layerNorm : new boolean[]{false, true})
            for (Backend be : backends(Precision.FLOAT32)) {
                ModularPopulation.Kind kind = new ModularPopulation.Kind("attention", 7, 32, 16, layerNorm);
                int models = 3;
                long planned = kind.plannedBytes(models, task.trainSize(), Precision.FLOAT32, be);
                try (ModularPopulation pop = kind.create(models, task.trainSize())) {
                    for (int m = 0; m < models; m++) {
                        pop.initialise(m, KEY, m, 0);
                        pop.assign(m, task.split(KEY, m));
                    }
                    stepAll(pop, be);
                    assertEquals(planned, pop.bytes(), "layerNorm " + layerNorm + ", workspace of " + be.workspaceModels(models));
                }
            }
    }

    @Test
    void theParityMlpAllocatesWhatItsPlanSays() {
        SparseParity task = new SparseParity(10, 3, 60, 700);
        for (Backend be : backends(Precision.FLOAT32)) {
            int models = 4;
            long planned = ParityPopulation.plannedBytes(10, 16, models, 60, 700, Precision.FLOAT32, be);
            try (ParityPopulation pop = new ParityPopulation(10, 16, models, 60, 700)) {
                for (int m = 0; m < models; m++) {
                    pop.initialise(m, KEY, m, 0.05);
                    pop.assign(m, task.data(KEY, m));
                }
                stepAll(pop, be);
                assertEquals(planned, pop.bytes(), "workspace of " + be.workspaceModels(models) + " (700 test points: two CPU blocks of "
                        + ParityPopulation.EVAL_BLOCK + ", one GPU pass)");
            }
        }
    }
}
