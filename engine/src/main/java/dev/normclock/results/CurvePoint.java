package dev.normclock.results;

/**
 * The metrics of one run at one evaluation step; {@code curves} is keyed by (run_id, step).
 *
 * @param logitScale Paper B's L: the mean over all p² pairs of ‖z/τ‖₂ (NaN where not measured)
 * @param collapse   the share of training pairs whose correct-class softmax probability is exactly
 *                   1 in float32 (softmax collapse; NaN for the squared-error loss)
 */
public record CurvePoint(long runId, int step, double trainLoss, double trainAcc, double testLoss, double testAcc,
                         double norm, double normE, double normW1, double normW2, double logitScale, double collapse) {
}
