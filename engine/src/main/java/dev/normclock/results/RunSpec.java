package dev.normclock.results;

/**
 * The configuration of one run, one column each in {@code runs}. Optional doubles are NaN when
 * absent and stored as SQL NULL.
 *
 * @param seed        the seed index within the experiment
 * @param rho         NaN if none
 * @param wc          NaN if none
 * @param clampTarget NaN for a free run (no norm clamp)
 * @param configJson  the full configuration as JSON text, written by the caller
 */
public record RunSpec(int seed, String model, int p, double trainFrac, int d, int hidden, double lr,
                      double weightDecay, String decayOrder, double rho, double wc, double clampTarget,
                      int clampFrom, double temperature, int maxSteps, String evalGrid, String backend,
                      String version, String configJson) {
}
