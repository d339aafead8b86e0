package dev.normclock.results;

/** The metrics of one run at one evaluation step; {@code curves} is keyed by (run_id, step). */
public record CurvePoint(long runId, int step, double trainLoss, double trainAcc, double testLoss, double testAcc,
                         double norm, double normE, double normW1, double normW2) {
}
