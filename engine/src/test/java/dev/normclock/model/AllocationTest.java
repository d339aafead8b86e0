package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.task.ModularAddition;
import dev.normclock.train.CellSpec;

/**
 * Paper B's per-group allocation at fixed total norm: from clampFrom on, every clamp holds E, W1
 * and W2 each at its own target — nW1 = fW1·Wc, θ = clip(fW2²/(fE² + fW2²)·(1 + γ), 0.02, 0.98) of
 * the rest's power to W2, the remainder to E — so the total is Wc; on the CPU and on the simulated
 * GPU alike.
 */
class AllocationTest {
    static final int P = 11, D = 8, H = 24, FROM = 3, STEPS = 8;
    static final double WC = 6.0;
    static final double[] SHARES = {0.36, 0.8, 0.48};
    // slots: γ = −0.6, 0, +0.6 and the clipped extremes +5 and −0.99; the plain clamp; a free run; a fork at FROM (its step takes the host path)
    static final double[] GAMMA = {-0.6, 0.0, 0.6, 5.0, -0.99, Double.NaN, Double.NaN, Double.NaN};
    static final int PLAIN = 5, FREE = 6, FORK = 7, MODELS = GAMMA.length;

    @Test
    void theTargetsAreTheFormulasHandComputed() {
        double[] shares = {0.36, 0.8, 0.48}; // (9, 20, 12)/25: squares sum to 1; θ at γ = 0: 0.2304 / 0.36 = 0.64; W1: 0.8 × 10 = 8, so rem² = 36
        assertArrayEquals(new double[]{3.6, 8, 4.8}, Allocation.groupNorms(shares, 10, 0), 1e-12); // γ = 0: each group at its share of the total
        // γ = 0.3: θ = 0.64 × 1.3 = 0.832, nW2 = √(0.832 × 36) = √29.952, nE = √6.048
        assertEquals(0.832, Allocation.theta(shares, 0.3), 1e-15);
        assertArrayEquals(new double[]{Math.sqrt(6.048), 8, Math.sqrt(29.952)}, Allocation.groupNorms(shares, 10, 0.3), 1e-12);
        // γ = −0.6: θ = 0.64 × 0.4 = 0.256
        assertArrayEquals(new double[]{Math.sqrt(0.744 * 36), 8, Math.sqrt(0.256 * 36)}, Allocation.groupNorms(shares, 10, -0.6), 1e-12);
        // θ clipped: at γ = 5 to 0.98 (nW2 = √35.28, nE = √0.72), at γ = −0.99 to 0.02 (the other way round)
        assertEquals(0.98, Allocation.theta(shares, 5), 0);
        assertEquals(0.02, Allocation.theta(shares, -0.99), 0);
        assertArrayEquals(new double[]{Math.sqrt(0.72), 8, Math.sqrt(35.28)}, Allocation.groupNorms(shares, 10, 5), 1e-12);
        assertArrayEquals(new double[]{Math.sqrt(35.28), 8, Math.sqrt(0.72)}, Allocation.groupNorms(shares, 10, -0.99), 1e-12);
        // the MLP's targets by clamp group: E 0, W1 1, W2 3, the biases not held
        double[] t = Allocation.mlpTargets(shares, 10, 0.3);
        assertEquals(5, t.length);
        assertEquals(Math.sqrt(6.048), t[0], 1e-12);
        assertEquals(8, t[1], 1e-12);
        assertEquals(Math.sqrt(29.952), t[3], 1e-12);
        assertTrue(Double.isNaN(t[2]) && Double.isNaN(t[4]), "the biases are not held");
        // shares are each norm over the root sum of squares of the three (Paper B's tot = √(nE² + nW1² + nW2²))
        assertArrayEquals(new double[]{0.36, 0.8, 0.48}, Allocation.shares(9, 20, 12), 1e-15);
    }

    @Test
    void gammaZeroKeepsEAndW2InTheControlsRatioAndW1NeverMoves() {
        for (double gamma : new double[]{-0.6, -0.3, 0, 0.3, 0.6, 5}) {
            double[] n = Allocation.groupNorms(SHARES, WC, gamma);
            assertEquals(WC, Math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]), 1e-12, "the total is Wc at γ = " + gamma);
            assertEquals(SHARES[1] * WC, n[1], 1e-12, "W1's target does not move with γ = " + gamma);
        }
        double[] zero = Allocation.groupNorms(SHARES, WC, 0);
        assertEquals(SHARES[2] / SHARES[0], zero[2] / zero[0], 1e-12, "γ = 0: E and W2 in the control's proportion");
        assertTrue(Allocation.groupNorms(SHARES, WC, 0.3)[2] > zero[2] && Allocation.groupNorms(SHARES, WC, 0.3)[0] < zero[0],
                "a positive γ moves power from E to W2");
    }

    @Test
    void everyGroupIsHeldAtItsTargetAfterEveryClamp() {
        try (CpuBackend be = new CpuBackend(2)) {
            double[][][] norms = train(be);
            for (int step = FROM; step <= STEPS; step++) checkHeld(norms[step - 1], step);
        }
    }

    /** The clamp's plan on the simulated GPU (nc_clamp_factors with three held sets) holds the same norms as the CPU. */
    @Test
    void theSimulatedGpuHoldsTheSameNormsAsTheCpu() {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        double[][][] cpu, gpu;
        try (CpuBackend be = new CpuBackend(2)) {
            cpu = train(be);
        }
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), CudaBackend.Options.DEFAULT)) {
            gpu = train(sim);
        }
        for (int step = 1; step <= STEPS; step++) {
            if (step >= FROM) checkHeld(gpu[step - 1], step);
            for (int m = 0; m < MODELS; m++)
                for (int g = 0; g < 3; g++)
                    assertEquals(cpu[step - 1][m][g], gpu[step - 1][m][g], 1e-4 * cpu[step - 1][m][g],
                            "slot " + m + " group " + g + " step " + step + ": the simulated GPU's norm against the CPU's");
        }
    }

    /** Each slot's norms of E, W1 and W2 after every step. */
    private static double[][][] train(Backend be) {
        ModularAddition task = new ModularAddition(P, 0.6);
        Hyper hyper = new Hyper(MODELS);
        int[][] pairs = new int[MODELS][];
        int[] active = java.util.stream.IntStream.range(0, MODELS).toArray();
        double[][][] norms = new double[STEPS][MODELS][];
        try (MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), MODELS, task.trainSize())) {
            for (int m = 0; m < MODELS; m++) {
                hyper.lr[m] = 1e-2f;
                hyper.weightDecay[m] = 1f;
                hyper.clampFrom[m] = FROM;
                if (m != FREE && m != FORK) hyper.clampTarget[m] = WC;
                if (!Double.isNaN(GAMMA[m])) hyper.allocTargets[m] = Allocation.mlpTargets(SHARES, WC, GAMMA[m]);
                if (m == FORK) hyper.forkScale[m] = 1.1;
                pop.initialise(m, 5L, 0, 1e-6);
                pairs[m] = task.split(5L, 0).trainPairs();
            }
            be.hostChanged();
            for (int step = 1; step <= STEPS; step++) {
                pop.trainStep(be, active, pairs, hyper, step);
                be.syncToHost();
                for (int m = 0; m < MODELS; m++) norms[step - 1][m] = new double[]{norm(pop.emb, m), norm(pop.w1, m), norm(pop.w2, m)};
            }
            be.hostChanged(); // the population's memory is freed: a GPU drops its copies
        }
        return norms;
    }

    private static void checkHeld(double[][] norms, int step) {
        double w1 = SHARES[1] * WC;
        for (int m = 0; m < MODELS; m++) {
            double[] n = norms[m];
            double total = Math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
            if (m == FREE || m == FORK) continue;
            assertEquals(WC, total, 1e-5 * WC, "slot " + m + " step " + step + ": the total is Wc");
            if (m == PLAIN) continue;
            double[] target = Allocation.groupNorms(SHARES, WC, GAMMA[m]);
            for (int g = 0; g < 3; g++)
                assertEquals(target[g], n[g], 1e-5 * target[g], "slot " + m + " step " + step + ": group " + g + " at its target");
            assertEquals(w1, n[1], 1e-5 * w1, "slot " + m + " step " + step + ": W1 does not move with γ");
            if (GAMMA[m] == 0)
                assertEquals(SHARES[2] / SHARES[0], n[2] / n[0], 1e-5, "γ = 0: E and W2 in the control's proportion, step " + step);
            double theta = n[2] * n[2] / (n[0] * n[0] + n[2] * n[2]);
            if (GAMMA[m] == 5.0) assertEquals(Allocation.THETA_MAX, theta, 1e-5, "θ clipped at 0.98, step " + step);
            if (GAMMA[m] == -0.99) assertEquals(Allocation.THETA_MIN, theta, 1e-5, "θ clipped at 0.02, step " + step);
        }
    }

    private static double norm(Tensor t, int m) {
        double s = 0;
        for (float x : t.toArray(m)) s += (double) x * x;
        return Math.sqrt(s);
    }

    @Test
    void anAllocationNeedsSharesAndATotalAndTheMlp() {
        double[] shares = {0.36, 0.8, 0.48};
        refused("--alloc-shares fE,fW1,fW2", -1, 1.1, 50.0, 0.3, null, "mlp");
        refused("--alloc-shares needs --alloc-gamma", -1, 1.1, 50.0, Double.NaN, shares, "mlp");
        refused("drop --clamp-group", 3, 1.1, 50.0, 0.3, shares, "mlp");
        refused("--rho", -1, Double.NaN, Double.NaN, 0.3, shares, "mlp");
        refused("greater than -1", -1, 1.1, 50.0, -1.0, shares, "mlp");
        refused("must sum to 1", -1, 1.1, 50.0, 0.3, new double[]{0.2, 0.5, 0.3}, "mlp");
        refused("--model mlp only", -1, 1.1, 50.0, 0.3, shares, "attention");
        CellSpec ok = spec(-1, 1.1, 50.0, 0.3, shares, "mlp");
        assertArrayEquals(Allocation.mlpTargets(shares, 55.0, 0.3), ok.allocTargets(), 1e-12);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Double> targets = (java.util.Map<String, Double>) ok.config().get("alloc_targets");
        assertEquals(0.8 * 55.0, targets.get("W1"), 1e-12);
    }

    private static void refused(String says, int group, double rho, double wc, double gamma, double[] shares, String model) {
        String m = assertThrows(IllegalArgumentException.class, () -> spec(group, rho, wc, gamma, shares, model)).getMessage();
        assertTrue(m.contains(says), m);
        assertEquals(1, m.lines().count(), m);
    }

    private static CellSpec spec(int group, double rho, double wc, double gamma, double[] shares, String model) {
        return new CellSpec(11, 0.6, model.equals("mlp") ? 8 : 32, 24, 1e-3, 1.0, false, rho, wc, Double.NaN, 500, 1.0, new int[]{0}, 100,
                "every10", 0, 1L, 0, false, group, false, model, false, null, gamma, shares);
    }
}
