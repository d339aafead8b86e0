package dev.normclock.analysis;

import java.util.Map;

/**
 * What is left of Paper A's quoted numbers in code: the claims recompute the paper's side from its
 * released seeds and quote the rest in their text.
 */
final class PaperA {
    private PaperA() {
    }

    /** Per-p α of the pscan sweep (Table 3), quoted beside the same fit on its released cells. */
    static final Map<Integer, Double> PSCAN_ALPHA = Map.of(41, 7.92, 53, 7.56, 59, 7.42, 71, 7.07);

    /** The sample coefficient of variation (n − 1 in the standard deviation). */
    static double cv(double[] v) {
        double mean = 0;
        for (double x : v) mean += x;
        mean /= v.length;
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (v.length - 1)) / mean;
    }
}
