package dev.normclock.backend;

import java.util.Arrays;

/**
 * Per-model hyperparameters of a population, indexed by slot: everything an experiment varies
 * is data the kernels read, so one population can hold several arms of one cell.
 */
public final class Hyper {
    public static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    public final int[] seed;
    public final float[] lr, weightDecay, temperature;
    public final boolean[] decayAfter;     // false: Paper A's order (decay before the update)
    public final double[] clampTarget;     // NaN: free run
    public final int[] clampFrom;          // t_int: clamp after every step with step + 1 >= t_int
    public final boolean[] clampOnce;      // true: one rescale at t_int, then free (the one-shot control)
    /** −1: the clamp holds ‖W‖ over every weight matrix; j ≥ 0: only weight matrix j's own norm, the others free. */
    public final int[] clampGroup;
    public final boolean[] squaredError;   // true: Paper B's MSE loss Σ_c (z_c/τ − onehot_c)² instead of cross-entropy
    /**
     * A forking arm (Paper B): at step t_int the clamp target becomes forkScale × the model's own
     * norm there (N0), and forkScale turns NaN; every arm of a seed is the same run until t_int. NaN: none.
     */
    public final double[] forkScale;
    /**
     * Per-group allocation at fixed total norm (Paper B): with clampGroup g ≥ 0 and a shift γ here,
     * the first clamp reallocates — group g's norm times 1 + γ, the whole renormalised to the
     * target — and every later one holds the whole ‖W‖ as the plain clamp does (so γ = 0 is the
     * plain clamp). NaN: none.
     */
    public final double[] allocGamma;
    /**
     * An allocation's other reading: every clamp, not the first only, scales group g and the rest to
     * the share set at the first (the shares held, not just shifted once).
     */
    public final boolean[] allocHeld;
    /** The group's share ‖W_g‖/‖W‖ set by an allocation's first clamp (NaN until then). */
    public final double[] allocShare;

    public Hyper(int models) {
        seed = new int[models];
        lr = new float[models];
        weightDecay = new float[models];
        temperature = new float[models];
        Arrays.fill(temperature, 1f);
        decayAfter = new boolean[models];
        clampTarget = new double[models];
        Arrays.fill(clampTarget, Double.NaN);
        clampFrom = new int[models];
        clampOnce = new boolean[models];
        clampGroup = new int[models];
        Arrays.fill(clampGroup, -1);
        squaredError = new boolean[models];
        forkScale = new double[models];
        Arrays.fill(forkScale, Double.NaN);
        allocGamma = new double[models];
        Arrays.fill(allocGamma, Double.NaN);
        allocHeld = new boolean[models];
        allocShare = new double[models];
        Arrays.fill(allocShare, Double.NaN);
    }

    /** Whether model m's norm is projected after Adam step {@code step} (1-based). */
    public boolean clampsAt(int m, int step) {
        if (!Double.isNaN(forkScale[m])) return step == clampFrom[m];
        if (Double.isNaN(clampTarget[m])) return false;
        return clampOnce[m] ? step == clampFrom[m] : step >= clampFrom[m];
    }

    public int models() {
        return seed.length;
    }
}
