package dev.normclock.backend;

/**
 * Per-model totals of a population's loss rows — Σ loss, rows predicted right, Σ ‖z/τ‖, rows whose
 * cross-entropy is exactly 0 (softmax collapse) — added up where the backend computes, and read by
 * the host only when it asks: the CPU backends keep them in these arrays as they go
 * ({@link HostLossTotals}), the cuda backend on the device, so a training step nobody measures
 * sends nothing back. Each model also keeps the first step whose loss was not finite: sticky, so a
 * divergence between two reads is still seen, at the step it happened.
 *
 * <p>Part of a {@link Readout} (from {@link Backend#readout}), which reads it; filled by the loss calls
 * that take it, which add to a model's sums (over evaluation blocks, say) until {@link #clear}.
 */
public abstract class LossTotals {
    /** Per slot, after {@link Readout#read}: Σ row loss (in double, in row order) and Σ ‖z/τ‖. */
    public final double[] loss, scale;
    /** Per slot, after {@link Readout#read}: rows predicted right, rows with loss exactly 0, rows added. */
    public final long[] correct, collapsed, rows;
    /** Per slot, after {@link Readout#read}: the first step (as given to a loss call) whose loss was not finite; 0 if none. */
    public final int[] nonFiniteStep;

    protected LossTotals(int models) {
        loss = new double[models];
        scale = new double[models];
        correct = new long[models];
        collapsed = new long[models];
        rows = new long[models];
        nonFiniteStep = new int[models];
    }

    public int models() {
        return loss.length;
    }

    /** The listed models' sums start again from zero (their non-finite step stays). */
    public abstract void clear(int[] models);

    /** Model m's mean loss over its rows. */
    public double meanLoss(int m) {
        return loss[m] / rows[m];
    }

    /** Model m's share of rows predicted right. */
    public double accuracy(int m) {
        return (double) correct[m] / rows[m];
    }

    /** Model m's mean logit scale ‖z/τ‖ over its rows. */
    public double meanScale(int m) {
        return scale[m] / rows[m];
    }

    /** Model m's share of rows whose cross-entropy is exactly 0. */
    public double collapsedShare(int m) {
        return (double) collapsed[m] / rows[m];
    }
}
