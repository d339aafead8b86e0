package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.bindings.cuda.SimulatorCounters;
import dev.normclock.model.AttentionPopulation;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * Issue 13's structural budgets, counted by the CUDA simulator over steady training steps of every
 * model at 16 and at 256 models (clamps held, cross-entropy and squared error mixed): nothing read
 * back, no host synchronisation, at most 256 bytes sent, no allocation, and as many launches at 256
 * models as at 16 — every kernel runs over the whole population. As a CUDA Graph a steady step is
 * one graph launch and its 16 bytes of step state; launch by launch, the MLP's stays within 12
 * kernels besides its GEMMs. An evaluation step (the test half, the step, both read) reads its
 * metrics in one copy.
 */
class StepBudgetTest {
    private static final int WARM_UP = 2, COUNTED = 2;

    /** The counters of one model kind's steady step issued launch by launch, as a CUDA Graph, and of one evaluation step. */
    private record Counts(SimulatorCounters step, SimulatorCounters graphStep, SimulatorCounters evaluation) {
    }

    @Test
    void everyModelsSteadyStepKeepsTheBudgetAt16And256Models() {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        ModularAddition task = new ModularAddition(11, 0.5);
        SparseParity parity = new SparseParity(10, 3, 60, 30);
        Map<String, IntFunction<Population>> kinds = new LinkedHashMap<>();
        kinds.put("mlp", b -> {
            MlpPopulation pop = new MlpPopulation(new MlpShape(11, 8, 16), b, task.trainSize());
            for (int m = 0; m < b; m++) {
                pop.initialise(m, 3L, m, 1e-3);
                pop.assign(m, task.split(3L, m));
            }
            return pop;
        });
        for (boolean ln : new boolean[]{false, true})
            kinds.put(ln ? "attention+LayerNorm" : "attention", b -> {
                AttentionPopulation pop = new AttentionPopulation(11, 16, 2, 16, ln, b, task.trainSize());
                for (int m = 0; m < b; m++) {
                    pop.initialise(m, 3L, m);
                    pop.assign(m, task.split(3L, m));
                }
                return pop;
            });
        kinds.put("parity-mlp", b -> {
            ParityPopulation pop = new ParityPopulation(parity.n(), 16, b, parity.trainSize(), parity.testSize());
            for (int m = 0; m < b; m++) {
                pop.initialise(m, 3L, m, 1e-3);
                pop.assign(m, parity.data(3L, m));
            }
            return pop;
        });
        StringBuilder table = new StringBuilder("per steady step (simulator's counters): kernel launches, cuBLAS calls, H→D bytes, D→H bytes, syncs"
                + " | as a graph: graph launches, kernel launches, cuBLAS calls, H→D bytes | per evaluation step: D→H copies, syncs\n");
        for (var kind : kinds.entrySet()) {
            Counts small = counts(kind.getValue(), 16), large = counts(kind.getValue(), 256);
            for (var c : new Object[][]{{16, small}, {256, large}}) {
                Counts k = (Counts) c[1];
                SimulatorCounters s = k.step();
                SimulatorCounters g = k.graphStep();
                table.append(String.format("%-20s %4d models: %5.1f %5.1f %6.1f %5.1f %4.1f | %4.1f %4.1f %4.1f %5.1f | %4d %4d%n", kind.getKey(),
                        (Integer) c[0], s.kernelLaunches() / (double) COUNTED, s.cublasCalls() / (double) COUNTED,
                        s.hostToDeviceBytes() / (double) COUNTED, s.deviceToHostBytes() / (double) COUNTED, s.hostSynchronizations() / (double) COUNTED,
                        g.graphLaunches() / (double) COUNTED, g.kernelLaunches() / (double) COUNTED, g.cublasCalls() / (double) COUNTED,
                        g.hostToDeviceBytes() / (double) COUNTED, k.evaluation().deviceToHostCopies(), k.evaluation().hostSynchronizations()));
                String at = kind.getKey() + " at " + c[0] + " models: ";
                assertEquals(0, s.deviceToHostBytes(), at + "bytes read back by steady steps");
                assertEquals(0, s.hostSynchronizations(), at + "host synchronisations in steady steps");
                assertTrue(s.hostToDeviceBytes() <= 256L * COUNTED, at + s.hostToDeviceBytes() / COUNTED + " bytes sent per step");
                assertEquals(0, s.allocations(), at + "allocations in steady steps");
                assertEquals(COUNTED, g.graphLaunches(), at + "one graph launch per step");
                assertEquals(0, g.kernelLaunches() + g.cublasCalls() + g.memsets() + g.deviceToHostBytes() + g.hostSynchronizations()
                        + g.allocations(), at + "nothing but the graph launch and the step's 16 bytes: " + g);
                assertTrue(g.hostToDeviceBytes() <= 256L * COUNTED, at + g.hostToDeviceBytes() / COUNTED + " bytes sent per step as a graph");
            }
            assertEquals(small.step().kernelLaunches(), large.step().kernelLaunches(), kind.getKey() + ": launches at 256 models as at 16");
            for (Counts k : new Counts[]{small, large}) {
                assertEquals(1, k.evaluation().deviceToHostCopies(), kind.getKey() + ": an evaluation step reads its metrics in one copy");
                assertEquals(0, k.evaluation().allocations(), kind.getKey() + ": an evaluation step allocates nothing");
            }
            assertEquals(small.step().cublasCalls(), large.step().cublasCalls(), kind.getKey() + ": GEMMs at 256 models as at 16");
            if (kind.getKey().equals("mlp"))
                assertTrue(small.step().kernelLaunches() <= 12L * COUNTED, "the MLP's kernel launches per step besides its GEMMs: "
                        + small.step().kernelLaunches() / COUNTED);
        }
        System.out.print(table);
    }

    private static Counts counts(IntFunction<Population> make, int models) {
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, CudaBackend.Gemm.CUBLAS));
             Population pop = make.apply(models)) {
            Hyper hyper = hyper(models);
            int[] all = java.util.stream.IntStream.range(0, models).toArray();
            sim.hostChanged();
            int step = 0;
            for (int i = 0; i < WARM_UP; i++) pop.trainStep(sim, all, hyper, ++step);
            double[] loss = new double[models], acc = new double[models];
            pop.readTraining(all, loss, acc);
            SimulatorCounters before = sim.counters();
            for (int i = 0; i < COUNTED; i++) pop.trainStep(sim, all, hyper, ++step); // launch by launch
            SimulatorCounters afterSteps = sim.counters();
            for (int i = 0; i < WARM_UP; i++) { // seen twice: captured
                int t = ++step;
                sim.replayable(() -> pop.trainStep(sim, all, hyper, t));
            }
            SimulatorCounters beforeGraphs = sim.counters();
            for (int i = 0; i < COUNTED; i++) {
                int t = ++step;
                sim.replayable(() -> pop.trainStep(sim, all, hyper, t));
            }
            SimulatorCounters afterGraphs = sim.counters();
            // an evaluation step as the trainer runs it: the test half queued, the step, one read of both halves
            evaluationStep(sim, pop, all, hyper, ++step, loss, acc); // the first sizes its scratch
            SimulatorCounters beforeEvaluation = sim.counters();
            evaluationStep(sim, pop, all, hyper, ++step, loss, acc);
            SimulatorCounters afterEvaluation = sim.counters();
            for (int m : all)
                assertTrue(Double.isFinite(loss[m]) && Double.isFinite(pop.testMetrics(m).testLoss()), "slot " + m + " trained to finite losses");
            return new Counts(afterSteps.since(before), afterGraphs.since(beforeGraphs), afterEvaluation.since(beforeEvaluation));
        }
    }

    private static void evaluationStep(CudaBackend sim, Population pop, int[] all, Hyper hyper, int step, double[] loss, double[] acc) {
        pop.evaluateTest(sim, all, hyper);
        sim.replayable(() -> pop.trainStep(sim, all, hyper, step));
        pop.readTraining(all, loss, acc);
    }

    /** Every model's norm held from step 1; a quarter on the squared error; some holding one clamp group (tensor 0's). */
    private static Hyper hyper(int models) {
        Hyper h = new Hyper(models);
        for (int m = 0; m < models; m++) {
            h.seed[m] = m;
            h.lr[m] = 1e-3f;
            h.weightDecay[m] = 1f;
            h.squaredError[m] = m % 4 == 1;
            h.clampTarget[m] = 5 + m % 3;
            h.clampFrom[m] = 1;
            if (m % 4 == 2) h.clampGroup[m] = 0;
        }
        return h;
    }
}
