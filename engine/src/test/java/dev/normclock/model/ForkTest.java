package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.task.ModularAddition;

/**
 * Paper B's forking arms: arms of one seed are the same run until the fork (t_int) — a free
 * model and its forks hold identical weights and Adam moments there — then each holds ρ·N0, N0
 * being its own norm at the fork. Identical arms stay identical after it.
 */
class ForkTest {
    static final int P = 11, D = 8, H = 24, FORK = 5, STEPS = 9;

    @Test
    void armsShareTheStateUntilTheForkThenHoldRhoTimesTheirNorm() {
        ModularAddition task = new ModularAddition(P, 0.6);
        int models = 4;
        Hyper hyper = new Hyper(models);
        int[][] pairs = new int[models][];
        double[] rho = {Double.NaN, 1.0, 1.3, 1.3}; // slot 0 free; slots 2 and 3 are identical arms
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                hyper.lr[m] = 1e-2f;
                hyper.weightDecay[m] = 1f;
                hyper.clampFrom[m] = FORK;
                hyper.forkScale[m] = rho[m];
                pop.initialise(m, 3L, 0, 1e-6);
                pairs[m] = task.split(3L, 0).trainPairs();
            }
            double[] loss = new double[models], acc = new double[models];
            double n0 = Double.NaN;
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, new int[]{0, 1, 2, 3}, pairs, hyper, step, loss, acc);
                if (step < FORK)
                    for (int m = 1; m < models; m++) assertStateEquals(pop, 0, m, "before the fork, step " + step);
                if (step == FORK) {
                    // slot 1 (ρ = 1) was projected onto its own norm: the same weights as the free run to rounding
                    n0 = norm(pop, 0);
                    assertEquals(n0, hyper.clampTarget[1], 1e-7 * n0, "N0 is the norm reached at the fork (float sums of squares)");
                    assertEquals(1.3 * n0, hyper.clampTarget[2], 1.3e-7 * n0);
                }
                if (step >= FORK) {
                    assertEquals(hyper.clampTarget[2], norm(pop, 2), 1e-5 * n0, "held at 1.3·N0, step " + step);
                    assertEquals(hyper.clampTarget[1], norm(pop, 1), 1e-5 * n0, "held at N0, step " + step);
                    assertStateEquals(pop, 2, 3, "identical arms stay identical, step " + step);
                }
            }
            assertNotEquals(norm(pop, 0), norm(pop, 1), "the free run moved on from N0");
        }
    }

    /**
     * Paper A's one-shot group scalings (normint's layer arms): at t_int one group — or all of ‖W‖
     * — is multiplied by ρ once, the other groups left as they are, and training goes on free.
     */
    @Test
    void aScalingMultipliesOneGroupOnceAndLeavesTheRest() {
        ModularAddition task = new ModularAddition(P, 0.6);
        int models = 3;
        Hyper hyper = new Hyper(models);
        int[][] pairs = new int[models][];
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                hyper.lr[m] = 1e-2f;
                hyper.weightDecay[m] = 1f;
                hyper.clampFrom[m] = FORK;
                pop.initialise(m, 3L, 0, 1e-6);
                pairs[m] = task.split(3L, 0).trainPairs();
            }
            for (int m = 1; m < models; m++) { // slot 0 free; slot 1 scales W1, slot 2 all of ‖W‖
                hyper.forkScale[m] = 0.8;
                hyper.clampOnce[m] = true;
            }
            hyper.clampGroup[1] = 1;
            double[] loss = new double[models], acc = new double[models];
            for (int step = 1; step <= FORK; step++) pop.trainStep(be, new int[]{0, 1, 2}, pairs, hyper, step, loss, acc);
            float[] free = pop.w1.toArray(0), scaled = pop.w1.toArray(1), all = pop.w1.toArray(2);
            for (int i = 0; i < free.length; i++) {
                assertEquals(0.8 * free[i], scaled[i], 1e-6 * Math.abs(free[i]) + 1e-9, "W1 scaled by 0.8");
                assertEquals(0.8 * free[i], all[i], 1e-6 * Math.abs(free[i]) + 1e-9, "all scaled by 0.8");
            }
            for (Tensor t : new Tensor[]{pop.emb, pop.w2}) {
                float[] a = t.toArray(0), b = t.toArray(1), c = t.toArray(2);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "the other groups are untouched");
                    assertEquals(0.8 * a[i], c[i], 1e-6 * Math.abs(a[i]) + 1e-9, "all of ‖W‖ scaled by 0.8");
                }
            }
            for (int step = FORK + 1; step <= STEPS; step++) {
                for (int m = 1; m < models; m++) assertTrue(!hyper.clampsAt(m, step), "free after the scaling, step " + step);
                pop.trainStep(be, new int[]{0, 1, 2}, pairs, hyper, step, loss, acc);
            }
        }
    }

    /**
     * The attention model and the parity MLP fork too (the clamp is one class for every
     * population): identical states up to the fork give targets N0 and 1.3·N0 from the same N0, and
     * training goes on with finite losses.
     */
    @Test
    void theAttentionModelAndTheParityMlpForkToo() {
        int models = 3;
        try (CpuBackend be = new CpuBackend(2)) {
            ModularAddition task = new ModularAddition(P, 0.6);
            try (AttentionPopulation att = new AttentionPopulation(P, 32, 4, 32, false, models, task.trainSize())) {
                for (int m = 0; m < models; m++) {
                    att.initialise(m, 3L, 0);
                    att.assign(m, task.split(3L, 0));
                }
                forkAndCheck(be, att, models);
            }
            dev.normclock.task.SparseParity parity = new dev.normclock.task.SparseParity(12, 3, 80, 40);
            try (ParityPopulation par = new ParityPopulation(12, 24, models, 80, 40)) {
                for (int m = 0; m < models; m++) {
                    par.assign(m, parity.data(3L, 0));
                    par.initialise(m, 3L, 0, 0.05);
                }
                forkAndCheck(be, par, models);
            }
        }
    }

    private static void forkAndCheck(CpuBackend be, Population pop, int models) {
        Hyper hyper = new Hyper(models);
        double[] rho = {Double.NaN, 1.0, 1.3};
        for (int m = 0; m < models; m++) {
            hyper.lr[m] = 1e-2f;
            hyper.weightDecay[m] = 1f;
            hyper.clampFrom[m] = FORK;
            hyper.forkScale[m] = rho[m];
        }
        double[] loss = new double[models], acc = new double[models];
        for (int step = 1; step <= STEPS; step++) {
            pop.trainStep(be, new int[]{0, 1, 2}, hyper, step, loss, acc);
            for (double l : loss) assertTrue(Double.isFinite(l), "finite loss at step " + step);
        }
        assertTrue(Double.isFinite(hyper.clampTarget[1]) && hyper.clampTarget[1] > 0, "N0 was taken at the fork: " + hyper.clampTarget[1]);
        assertEquals(1.3 * hyper.clampTarget[1], hyper.clampTarget[2], 1e-12 * hyper.clampTarget[1], "1.3·N0 of the same N0");
        assertTrue(Double.isNaN(hyper.forkScale[1]) && Double.isNaN(hyper.forkScale[2]), "a fork happens once");
    }

    static double norm(MlpPopulation pop, int m) {
        double s = 0;
        for (Tensor t : new Tensor[]{pop.emb, pop.w1, pop.w2})
            for (float v : t.toArray(m)) s += (double) v * v;
        return Math.sqrt(s);
    }

    static void assertStateEquals(MlpPopulation pop, int a, int b, String what) {
        for (Tensor t : pop.state()) {
            float[] x = t.toArray(a), y = t.toArray(b);
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), what + ": slots " + a + " and " + b);
        }
    }
}
