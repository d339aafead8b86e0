package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.RunOutcome;
import dev.normclock.task.ModularAddition;
import dev.normclock.train.CellResult;
import dev.normclock.train.CellRunner;
import dev.normclock.train.CellSpec;
import dev.normclock.train.EvalSchedule;
import dev.normclock.train.PopulationTrainer;

/**
 * A run is the same bits on CpuBackend with 1, 2 or 3 threads: every weight and Adam moment
 * (compared by Float.floatToRawIntBits) and every logged metric, through the trainer's
 * evaluation grid. The shape makes the kernels split work differently per thread count: 264
 * training rows (five row chunks), 529 evaluation pairs (two blocks), widths not multiples of 16.
 */
class DeterminismTest {
    static final int P = 23, D = 20, H = 40, STEPS = 20, MODELS = 3;
    static final long BASE_KEY = 4242L;

    record Run(List<int[]> bits, List<String> metrics, RunOutcome[] outcomes) {
    }

    static Run train(int threads) {
        ModularAddition task = new ModularAddition(P, 0.5);
        Hyper hyper = new Hyper(MODELS);
        float[] lr = {3e-3f, 1e-2f, 1e-3f};
        ModularAddition.Split[] splits = new ModularAddition.Split[MODELS];
        List<String> log = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), MODELS, task.trainSize())) {
            for (int m = 0; m < MODELS; m++) {
                hyper.seed[m] = 10 + m;
                hyper.lr[m] = lr[m];
                hyper.weightDecay[m] = 1f;
                hyper.decayAfter[m] = m == 2;
                hyper.temperature[m] = m == 2 ? 1.3f : 1f;
                splits[m] = task.split(BASE_KEY, 10 + m);
                pop.initialise(m, BASE_KEY, 10 + m, 1e-6);
            }
            hyper.clampTarget[1] = 7.0;
            hyper.clampFrom[1] = 10;
            PopulationTrainer.Settings settings = PopulationTrainer.Settings.uniform(MODELS, STEPS, EvalSchedule.every(5, STEPS), 1000);
            RunOutcome[] outcomes = new PopulationTrainer(be).run(pop, hyper, splits, settings, new PopulationTrainer.Listener() {
                @Override
                public void evaluated(int step, int[] slots, MlpPopulation.Metrics[] metrics) {
                    for (int m : slots) log.add(step + " " + m + " " + metrics[m]);
                }
            });
            List<int[]> bits = new ArrayList<>();
            for (Tensor[] group : new Tensor[][]{pop.params, pop.m1, pop.m2})
                for (Tensor t : group)
                    for (int m = 0; m < MODELS; m++) {
                        float[] v = t.toArray(m);
                        int[] b = new int[v.length];
                        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
                        bits.add(b);
                    }
            return new Run(bits, log, outcomes);
        }
    }

    static void assertSameRun(Run a, Run b, String what) {
        assertEquals(a.bits().size(), b.bits().size());
        for (int k = 0; k < a.bits().size(); k++) {
            int[] x = a.bits().get(k), y = b.bits().get(k);
            for (int i = 0; i < x.length; i++)
                assertEquals(x[i], y[i], what + ": tensor " + k + " element " + i + " (" + Float.intBitsToFloat(x[i]) + " vs " + Float.intBitsToFloat(y[i]) + ")");
        }
        assertEquals(a.metrics(), b.metrics(), what + ": metrics");
        for (int m = 0; m < a.outcomes().length; m++) assertSameOutcome(a.outcomes()[m], b.outcomes()[m], what + " slot " + m);
    }

    static void assertSameOutcome(RunOutcome a, RunOutcome b, String what) {
        // everything but the wall time
        assertEquals(a.status(), b.status(), what);
        assertEquals(a.tMem(), b.tMem(), what);
        assertEquals(a.tGrok(), b.tGrok(), what);
        assertEquals(a.finalStep(), b.finalStep(), what);
        assertEquals(Double.doubleToLongBits(a.normAtGrok()), Double.doubleToLongBits(b.normAtGrok()), what);
    }

    /**
     * One thread twice, then two and three. If the repeat with one thread already differs, the
     * cause is not the thread count but kernels whose bits change as the JIT compiles them (see
     * CpuBackendJitIndependenceTest): the same run is then not reproducible at all.
     */
    @Test
    void populationTrainerGivesTheSameBitsForAnyThreadCount() {
        int[] threads = {1, 1, 2, 3};
        Run first = train(threads[0]);
        assertEquals(4 * MODELS, first.metrics().size(), "evaluated at steps 5, 10, 15, 20: " + first.metrics());
        for (RunOutcome o : first.outcomes()) assertEquals(STEPS, o.finalStep());
        // not vacuous: the models trained and differ from each other
        assertNotEquals(first.metrics().get(0), first.metrics().get(first.metrics().size() - 1));
        assertTrue(first.bits().get(0)[0] != first.bits().get(1)[0], "slots hold different models");
        for (int k = 1; k < threads.length; k++)
            assertSameRun(first, train(threads[k]), "run " + k + " (" + threads[k] + " threads) vs run 0 (1 thread)"
                    + (k == 1 ? ", the same thread count: the bits depend on the JIT state" : ""));
    }

    static List<String> cell(int threads, RunOutcome[][] outcomesOut) {
        CellSpec spec = new CellSpec(P, 0.5, D, H, 3e-3, 1.0, false, Double.NaN, Double.NaN, 7.0, 10, 1.3,
                new int[]{0, 1, 2}, STEPS, "every5", 0, BASE_KEY, 1e-6);
        List<String> log = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads)) {
            CellResult r = new CellRunner(be).run(spec, null, 0, new PopulationTrainer.Listener() {
                @Override
                public void evaluated(int step, int[] slots, MlpPopulation.Metrics[] metrics) {
                    for (int m : slots) log.add(step + " " + m + " " + metrics[m]);
                }
            });
            outcomesOut[0] = r.outcomes();
        }
        return log;
    }

    @Test
    void cellRunnerLogsTheSameMetricsForAnyThreadCount() {
        RunOutcome[][] o1 = new RunOutcome[1][], o3 = new RunOutcome[1][];
        List<String> one = cell(1, o1), three = cell(3, o3);
        assertEquals(4 * 3, one.size(), "every5 over 20 steps: " + one);
        assertEquals(one, three);
        for (int m = 0; m < 3; m++) assertSameOutcome(o1[0][m], o3[0][m], "seed " + m);
    }
}
