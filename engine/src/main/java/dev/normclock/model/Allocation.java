package dev.normclock.model;

import java.util.Arrays;

/**
 * Paper B's per-group allocation at fixed total norm (its confound runner and appendix): from t_int
 * on, every clamp scales each of the MLP's weight groups E, W1 and W2 to its own target, so that the
 * total ‖W‖ is Wc. The targets come from the free control's shares (fE, fW1, fW2) — its per-group
 * norms at the last logged step, mean over seeds, each over their root sum of squares, so that
 * fE² + fW1² + fW2² = 1 (Paper B's runner: tot = √(nE² + nW1² + nW2²)) — and γ:
 * nW1 = fW1·Wc; rem² = Wc² − nW1²; θ = clip(fW2²/(fE² + fW2²)·(1 + γ), 0.02, 0.98);
 * nW2 = √(θ·rem²); nE = √((1 − θ)·rem²). W1 is fixed, γ moves power between E and W2, and γ = 0
 * pins every group to the control's shares (E and W2 in the control's ratio, W1 at fW1·Wc): it is
 * not the plain clamp of the total, which lets the groups drift.
 */
public final class Allocation {
    /** Paper B's clip of θ, W2's part of the power left after W1. */
    public static final double THETA_MIN = 0.02, THETA_MAX = 0.98;
    /** How far the shares' squares given may sum from 1 (they are usually typed rounded). */
    public static final double SUM_TOLERANCE = 1e-3;

    private Allocation() {
    }

    /** θ for shares (fE, fW1, fW2) and γ: fW2²/(fE² + fW2²)·(1 + γ), clipped to [0.02, 0.98]. */
    public static double theta(double[] shares, double gamma) {
        double e = shares[0], w2 = shares[2];
        return Math.clamp(w2 * w2 / (e * e + w2 * w2) * (1 + gamma), THETA_MIN, THETA_MAX);
    }

    /** The three targets {nE, nW1, nW2} for shares (fE, fW1, fW2), the total Wc and γ; nE² + nW1² + nW2² = Wc². */
    public static double[] groupNorms(double[] shares, double total, double gamma) {
        checkShares(shares);
        double w1 = shares[1] * total, rem2 = total * total - w1 * w1, theta = theta(shares, gamma);
        return new double[]{Math.sqrt((1 - theta) * rem2), w1, Math.sqrt(theta * rem2)};
    }

    /**
     * The MLP's targets indexed as its clamp groups (E 0, W1 1, W2 3; NaN for the biases), as
     * {@link dev.normclock.backend.Hyper#allocTargets} holds them.
     */
    public static double[] mlpTargets(double[] shares, double total, double gamma) {
        double[] n = groupNorms(shares, total, gamma), t = new double[5];
        Arrays.fill(t, Double.NaN);
        t[ModelKind.MLP.clampGroup("E")] = n[0];
        t[ModelKind.MLP.clampGroup("W1")] = n[1];
        t[ModelKind.MLP.clampGroup("W2")] = n[2];
        return t;
    }

    /** Shares from the three group norms: each over their root sum of squares, as Paper B divides (so that W1's target at γ = 0 is its own norm scaled to Wc). */
    public static double[] shares(double normE, double normW1, double normW2) {
        double total = Math.sqrt(normE * normE + normW1 * normW1 + normW2 * normW2);
        return new double[]{normE / total, normW1 / total, normW2 / total};
    }

    /** Throws, saying what is wrong, unless these are three positive shares whose squares sum to 1. */
    public static void checkShares(double[] shares) {
        if (shares == null || shares.length != 3)
            throw new IllegalArgumentException("the allocation's shares are three numbers fE,fW1,fW2; got " + (shares == null ? "none" : shares.length));
        for (double f : shares)
            if (!(f > 0 && f < 1)) throw new IllegalArgumentException("the allocation's shares must each lie between 0 and 1; got " + Arrays.toString(shares));
        double sum = shares[0] * shares[0] + shares[1] * shares[1] + shares[2] * shares[2];
        if (Math.abs(sum - 1) > SUM_TOLERANCE)
            throw new IllegalArgumentException("the allocation's shares fE,fW1,fW2 are each group's norm over √(nE² + nW1² + nW2²), so their squares "
                    + "must sum to 1; got " + Arrays.toString(shares) + ", squares summing to " + (float) sum);
    }
}
