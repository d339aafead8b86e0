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
     * Paper B's per-group allocation at fixed total norm: per model, a target norm for each clamp
     * group (indexed as {@link #clampGroup}; NaN: the group is not held), or null for none. At every
     * step the clamp acts ({@link #clampTarget}, the total, says when), each held group is scaled to
     * its own target instead of the whole norm or one group being held. The targets are known
     * before training (see dev.normclock.model.Allocation), so no norm is read on the host for them.
     */
    public final double[][] allocTargets;

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
        allocTargets = new double[models][];
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
