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
    }

    public int models() {
        return seed.length;
    }
}
