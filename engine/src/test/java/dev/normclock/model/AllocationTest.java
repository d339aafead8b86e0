package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.task.ModularAddition;
import dev.normclock.train.CellSpec;
import dev.normclock.train.TrainerState;

/**
 * Paper B's per-group allocation at fixed total norm: from clampFrom on ‖W‖ equals the target; the
 * first clamp reallocates — the group's share becomes its norm there times 1 + γ renormalised with
 * the rest — and later clamps hold the whole norm as the plain clamp does, so γ = 0 is the plain
 * clamp throughout (up to the rounding of two scale factors instead of one at the first).
 */
class AllocationTest {
    static final int P = 11, D = 8, H = 24, FROM = 3, STEPS = 8;
    static final double TARGET = 6.0;
    // slots: γ = 0.5 on W2, γ = 0 on W2, the plain clamp, γ = −0.4 on E, γ = 0.5 on W2 with the shares held; all seed 0
    static final double[] GAMMA = {0.5, 0.0, Double.NaN, -0.4, 0.5};
    static final int[] GROUP = {3, 3, -1, 0, 3};
    static final boolean[] HELD = {false, false, false, false, true};

    static double ss(Tensor t, int m) {
        double s = 0;
        for (float x : t.toArray(m)) s += (double) x * x;
        return s;
    }

    @Test
    void theTotalIsHeldAndTheFirstClampShiftsTheGroupsShare() {
        int models = GAMMA.length;
        ModularAddition task = new ModularAddition(P, 0.6);
        Hyper hyper = new Hyper(models);
        int[][] pairs = new int[models][];
        int[] active = {0, 1, 2, 3, 4};
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                hyper.lr[m] = 1e-2f;
                hyper.weightDecay[m] = 1f;
                hyper.clampTarget[m] = TARGET;
                hyper.clampFrom[m] = FROM;
                hyper.clampGroup[m] = GROUP[m];
                hyper.allocGamma[m] = GAMMA[m];
                hyper.allocHeld[m] = HELD[m];
                pop.initialise(m, 5L, 0, 1e-6);
                pairs[m] = task.split(5L, 0).trainPairs();
            }
            double[] loss = new double[models], acc = new double[models];
            double[] shareAtFirst = new double[models];
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, active, pairs, hyper, step, loss, acc);
                if (step >= FROM) { // γ = 0 is the plain clamp
                    float[] plain = pop.w2.toArray(2), zero = pop.w2.toArray(1);
                    for (int i = 0; i < plain.length; i++)
                        assertEquals(plain[i], zero[i], 1e-5 * Math.abs(plain[i]) + 1e-7, "step " + step + " W2[" + i + "]");
                }
                for (int m = 0; m < models; m++) {
                    double e = ss(pop.emb, m), w1 = ss(pop.w1, m), w2 = ss(pop.w2, m), total = Math.sqrt(e + w1 + w2);
                    if (step < FROM) {
                        assertTrue(Double.isNaN(hyper.allocShare[m]), "no share before the first clamp");
                        continue;
                    }
                    assertEquals(TARGET, total, 1e-5 * TARGET, "slot " + m + " step " + step + ": total norm");
                    if (m == 2) continue;
                    double share = Math.sqrt(GROUP[m] == 3 ? w2 : e) / total;
                    if (HELD[m]) assertEquals(hyper.allocShare[m], share, 1e-5, "slot " + m + " step " + step + ": the share is held");
                    if (step != FROM) continue;
                    shareAtFirst[m] = share;
                    assertEquals(hyper.allocShare[m], share, 1e-5, "slot " + m + ": the first clamp sets the group's share");
                }
            }
            // slot 1 (γ = 0) shares slot 0's weights up to the first clamp: its share is the free share s0 of W2 there
            double s0 = hyper.allocShare[1], a = 1.5 * s0;
            assertEquals(a / Math.sqrt(a * a + 1 - s0 * s0), shareAtFirst[0], 1e-5, "γ = 0.5 multiplies W2's norm by 1.5 before renormalising");
            assertTrue(shareAtFirst[0] > shareAtFirst[1], "a positive γ gives the group more of the norm");
            assertEquals(shareAtFirst[0], shareAtFirst[4], 1e-6, "held or not, the first clamp shifts the same way");
            double free0 = Math.sqrt(ss(pop.w2, 0)) / TARGET, held4 = Math.sqrt(ss(pop.w2, 4)) / TARGET;
            assertTrue(Math.abs(free0 - held4) > 1e-6, "after the first clamp the shifted-once share drifts, the held one does not");
        }
    }

    @Test
    void theShareSurvivesACheckpoint() throws Exception {
        TrainerState s = new TrainerState(2);
        s.clampTarget = new double[]{6.0, 7.0};
        s.forkScale = new double[]{Double.NaN, Double.NaN};
        s.allocShare = new double[]{0.4375, Double.NaN};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        s.write(new DataOutputStream(bytes));
        TrainerState back = TrainerState.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(0.4375, back.allocShare[0]);
        assertTrue(Double.isNaN(back.allocShare[1]));
    }

    @Test
    void anAllocationNeedsAGroupAndATarget() {
        String noGroup = assertThrows(IllegalArgumentException.class, () -> spec(-1, 1.1, 50.0, 0.3)).getMessage();
        assertTrue(noGroup.contains("--clamp-group"), noGroup);
        String noTarget = assertThrows(IllegalArgumentException.class, () -> spec(3, Double.NaN, Double.NaN, 0.3)).getMessage();
        assertTrue(noTarget.contains("--rho"), noTarget);
        String tooSmall = assertThrows(IllegalArgumentException.class, () -> spec(3, 1.1, 50.0, -1.0)).getMessage();
        assertTrue(tooSmall.contains("greater than -1"), tooSmall);
        spec(3, 1.1, 50.0, 0.3); // valid
    }

    private static CellSpec spec(int group, double rho, double wc, double gamma) {
        return new CellSpec(11, 0.6, 8, 24, 1e-3, 1.0, false, rho, wc, Double.NaN, 500, 1.0, new int[]{0}, 100, "every10", 0, 1L, 0,
                false, group, false, "mlp", false, null, gamma, false);
    }
}
