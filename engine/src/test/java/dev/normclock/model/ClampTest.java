package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.task.ModularAddition;

/**
 * The norm clamp of {@link MlpPopulation#trainStep}: after every step with step ≥ clampFrom the
 * weight norm √(‖E‖² + ‖W1‖² + ‖W2‖²), recomputed in double from the tensors, equals the target;
 * before clampFrom the model trains freely (bit for bit like an unclamped twin with the same
 * seed); the clamp scales the weight matrices by one scalar, leaves the biases alone and never
 * resets the Adam moments.
 */
class ClampTest {
    static final long BASE_KEY = 99L;
    static final int P = 11, D = 8, H = 24, STEPS = 8;
    // slot: seed, clamp target (NaN = free), clamp from, decay after, temperature
    static final int[] SEED = {0, 0, 0, 0, 1, 2};
    static final double[] TARGET = {Double.NaN, 2.0, 6.0, 20.0, 4.0, 10.0};
    static final int[] FROM = {1, 3, 3, 3, 1, 5};
    static final boolean[] AFTER = {false, false, false, false, true, false};
    static final float[] TAU = {1f, 1f, 1f, 1f, 1f, 1.3f};

    static double norm(MlpPopulation pop, int m) {
        double s = 0;
        for (Tensor t : new Tensor[]{pop.emb, pop.w1, pop.w2})
            for (float x : t.toArray(m)) s += (double) x * x;
        return Math.sqrt(s);
    }

    static float[][] snapshot(Tensor[] ts, int m) {
        float[][] out = new float[ts.length][];
        for (int j = 0; j < ts.length; j++) out[j] = ts[j].toArray(m);
        return out;
    }

    static void assertBitsEqual(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++)
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + " element " + i);
    }

    @Test
    void theClampHoldsTheNormAtTheTargetFromClampFromOn() {
        int models = SEED.length;
        ModularAddition task = new ModularAddition(P, 0.6);
        Hyper hyper = new Hyper(models);
        int[][] pairs = new int[models][];
        int[][] testPairs = new int[models][];
        int[] active = new int[models];
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                active[m] = m;
                hyper.seed[m] = SEED[m];
                hyper.lr[m] = 1e-2f;
                hyper.weightDecay[m] = 1f;
                hyper.clampTarget[m] = TARGET[m];
                hyper.clampFrom[m] = FROM[m];
                hyper.decayAfter[m] = AFTER[m];
                hyper.temperature[m] = TAU[m];
                pop.initialise(m, BASE_KEY, SEED[m], 1e-6);
                ModularAddition.Split split = task.split(BASE_KEY, SEED[m]);
                pairs[m] = split.trainPairs();
                testPairs[m] = split.testPairs();
            }
            double initNorm = norm(pop, 0);
            double[] loss = new double[models], acc = new double[models];
            MlpPopulation.Metrics[] metrics = new MlpPopulation.Metrics[models];
            for (int step = 1; step <= STEPS; step++) {
                float[][][] m1Before = new float[models][][];
                for (int m = 0; m < models; m++) m1Before[m] = snapshot(pop.m1, m);

                pop.trainStep(be, active, pairs, hyper, step, loss, acc);

                for (int m = 0; m < models; m++) {
                    double n = norm(pop, m);
                    if (Double.isNaN(TARGET[m])) continue;
                    if (step >= FROM[m]) {
                        assertEquals(TARGET[m], n, 1e-5 * TARGET[m], "slot " + m + " step " + step + ": the norm is held at the target");
                    } else {
                        assertTrue(Math.abs(n / TARGET[m] - 1) > 0.05, "slot " + m + " step " + step + ": free before clampFrom (" + n + ")");
                    }
                }
                // slots 1–3 share slot 0's seed: identical to the free run before their clamp starts
                for (int m = 1; m <= 3; m++) {
                    if (step < FROM[m]) {
                        for (Tensor[] group : new Tensor[][]{pop.params, pop.m1, pop.m2})
                            for (Tensor t : group) assertBitsEqual(t.toArray(0), t.toArray(m), "slot " + m + " step " + step + " before its clamp");
                    } else if (step == FROM[m]) {
                        // same gradient, same Adam step, then one scalar on E, W1, W2 only
                        double factor = TARGET[m] / norm0BeforeClamp(pop);
                        for (Tensor t : new Tensor[]{pop.emb, pop.w1, pop.w2}) {
                            float[] free = t.toArray(0), held = t.toArray(m);
                            for (int i = 0; i < free.length; i++)
                                assertEquals(free[i] * factor, held[i], 4e-7 * Math.abs(free[i] * factor) + 1e-12,
                                        "slot " + m + ": weights are the free twin's times target/‖W‖");
                        }
                        for (Tensor t : new Tensor[]{pop.b1, pop.b2}) assertBitsEqual(t.toArray(0), t.toArray(m), "slot " + m + ": biases are not clamped");
                        for (Tensor[] group : new Tensor[][]{pop.m1, pop.m2})
                            for (Tensor t : group) assertBitsEqual(t.toArray(0), t.toArray(m), "slot " + m + ": Adam moments are not reset or scaled");
                    } else {
                        // the moments carry on: m1 = β1·m1 + (1 − β1)·g, from the moment before the step, never from zero
                        for (int j = 0; j < pop.m1.length; j++) {
                            float[] now = pop.m1[j].toArray(m), g = pop.grads()[j].toArray(m), before = m1Before[m][j];
                            boolean anyNonZero = false;
                            for (int i = 0; i < now.length; i++) {
                                double want = 0.9 * before[i] + 0.1 * g[i];
                                assertEquals(want, now[i], 1e-6 * (Math.abs(before[i]) + Math.abs(g[i])) + 1e-30,
                                        "slot " + m + " step " + step + " m1 tensor " + j + " element " + i);
                                anyNonZero |= before[i] != 0;
                            }
                            assertTrue(anyNonZero, "moments from before the clamp are non-zero");
                        }
                    }
                }
                pop.evaluate(be, active, pairs, testPairs, hyper, metrics);
                for (int m = 0; m < models; m++) {
                    assertEquals(norm(pop, m), metrics[m].norm(), 1e-6 * metrics[m].norm(), "evaluate() reports the norm");
                    if (!Double.isNaN(TARGET[m]) && step >= FROM[m])
                        assertEquals(TARGET[m], metrics[m].norm(), 1e-5 * TARGET[m], "evaluate() sees the clamped norm");
                }
            }
            assertTrue(Math.abs(norm(pop, 0) - initNorm) > 1e-3, "the free run's norm moved: the clamp is what holds the others");
        }
    }

    /** Slot 0 is the free twin: its current norm is what the clamped twin's norm was before scaling. */
    private static double norm0BeforeClamp(MlpPopulation pop) {
        return norm(pop, 0);
    }
}
