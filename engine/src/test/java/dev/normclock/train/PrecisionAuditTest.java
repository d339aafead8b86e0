package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cpu.CpuFloat64Backend;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.results.RunOutcome;
import dev.normclock.task.ModularAddition;

/**
 * The precision audit's premise: float32 and float64 training of the same cell are the same
 * computation up to rounding. Over a short run the weights agree to float accuracy grown by the
 * steps (stated below); over a whole grokking run the two precisions memorise and grok at the
 * same logged steps, give or take a few evaluation intervals (rounding differences grow through
 * training, so later steps may differ by more than a bound on one step would say).
 */
class PrecisionAuditTest {

    private static CellSpec cell(int maxSteps) {
        return new CellSpec(41, 0.6, 32, 64, 3e-3, 1.0, false, Double.NaN, Double.NaN, Double.NaN, 150, 1.0,
                new int[]{0, 1, 2}, maxSteps, "every10", 0, 7L, 1e-6);
    }

    /** 100 steps of one cell with a clamp from step 50: the weights differ by at most 1e-4 of their largest entry. */
    @Test
    void shortRunsAgreeToFloatAccuracy() {
        ModularAddition task = new ModularAddition(23, 0.6);
        MlpShape shape = new MlpShape(23, 16, 32);
        int models = 2, steps = 100;
        Hyper hyper = new Hyper(models);
        for (int m = 0; m < models; m++) {
            hyper.seed[m] = m;
            hyper.lr[m] = 3e-3f;
            hyper.weightDecay[m] = 1f;
        }
        hyper.clampTarget[1] = 9.0;
        hyper.clampFrom[1] = 50;
        double worst = 0;
        try (Backend f32 = new CpuBackend(2); Backend f64 = new CpuFloat64Backend(2);
             MlpPopulation a = new MlpPopulation(shape, models, task.trainSize(), Precision.FLOAT32);
             MlpPopulation b = new MlpPopulation(shape, models, task.trainSize(), Precision.FLOAT64)) {
            int[][] pairs = new int[models][];
            for (int m = 0; m < models; m++) {
                a.initialise(m, 11L, m, 1e-6);
                b.initialise(m, 11L, m, 1e-6);
                pairs[m] = task.split(11L, m).trainPairs();
            }
            double[] loss = new double[models], acc = new double[models];
            int[] all = {0, 1};
            for (int step = 1; step <= steps; step++) {
                a.trainStep(f32, all, pairs, hyper, step, loss, acc);
                b.trainStep(f64, all, pairs, hyper, step, loss, acc);
            }
            for (int m = 0; m < models; m++)
                for (int j = 0; j < a.state().length / 3; j++) {
                    double[] x = a.state()[j].toDoubleArray(m), y = b.state()[j].toDoubleArray(m);
                    double max = 0, diff = 0;
                    for (int i = 0; i < x.length; i++) {
                        max = Math.max(max, Math.abs(y[i]));
                        diff = Math.max(diff, Math.abs(x[i] - y[i]));
                    }
                    worst = Math.max(worst, diff / max);
                    assertTrue(diff <= 1e-4 * max, "slot " + m + " tensor " + j + ": float32 and float64 differ by " + diff + " of " + max);
                }
        }
        System.out.printf("float32 vs float64 after %d steps: largest weight difference %.2e of the tensor's largest entry%n", steps, worst);
    }

    /** A whole free run of the small cell that groks in seconds: the same T_mem and T_grok per seed to within 5 % (and ±20 steps). */
    @Test
    void grokkingRunsAgreeStepForStep() {
        CellResult r32, r64;
        try (Backend f32 = new CpuBackend(2); Backend f64 = new CpuFloat64Backend(2)) {
            r32 = new CellRunner(f32).run(cell(3000), null, 0, new PopulationTrainer.Listener() { });
            r64 = new CellRunner(f64).run(cell(3000), null, 0, new PopulationTrainer.Listener() { });
        }
        assertEquals(3, r32.grokkedCount());
        assertEquals(3, r64.grokkedCount());
        for (int i = 0; i < 3; i++) {
            RunOutcome a = r32.outcomes()[i], b = r64.outcomes()[i];
            System.out.printf("seed %d: float32 T_mem %d T_grok %d |W| %.4f; float64 T_mem %d T_grok %d |W| %.4f%n",
                    i, a.tMem(), a.tGrok(), a.normAtGrok(), b.tMem(), b.tGrok(), b.normAtGrok());
            assertTrue(Math.abs(a.tMem() - b.tMem()) <= Math.max(20, 0.05 * a.tMem()), "seed " + i + " T_mem: " + a.tMem() + " vs " + b.tMem());
            assertTrue(Math.abs(a.tGrok() - b.tGrok()) <= Math.max(20, 0.05 * a.tGrok()), "seed " + i + " T_grok: " + a.tGrok() + " vs " + b.tGrok());
        }
        System.out.printf("float32 %.0f model-steps/s, float64 %.0f model-steps/s%n", r32.modelStepsPerSecond(), r64.modelStepsPerSecond());
    }
}
