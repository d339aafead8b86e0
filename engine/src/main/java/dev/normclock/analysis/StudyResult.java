package dev.normclock.analysis;

import java.util.List;

/**
 * What {@link StudyAnalysis} found, as written to {@code analysis.json}: every cell beside the
 * paper's, every fit, and every headline claim with our value, its interval, the paper's value
 * and a verdict. Absent numbers are null.
 */
public record StudyResult(String study, String version, List<Cell> cells, List<Fit> fits, List<Claim> claims, List<String> notes) {

    /**
     * One cell: our seeds' outcome and, where the paper released the same cell, theirs (temperature:
     * Paper B's τ). {@code medianFinalNorm}: the median over seeds of ‖W‖ at each seed's last logged
     * step (Paper B's "norm_at_grok"). A sparse-parity cell has its task in {@code parity} and p = 0, trainFrac NaN, d = 0.
     */
    public record Cell(String experiment, String cell, String arm, int p, double trainFrac, int d, int hidden, double lr,
                       double weightDecay, Double rho, Double wc, int tInt, int maxSteps, int seeds, int finished, int grokked,
                       int diverged, Double medianTGrok, Double ciLo, Double ciHi, Double medianTMem, Double medianNormAtGrok,
                       List<Integer> tGrok, Reference reference, Double temperature, Parity parity, String clampGroup,
                       Double allocGamma, String precision, Double medianFinalNorm) {

        /** The task as a delay-law fit's label names it: "p=41", or "n=30 k=3 m=1000" (as CellPlan's). */
        public String taskLabel() {
            return parity == null ? "p=" + p : parity.label();
        }
    }

    /** A sparse-parity cell's task: n input bits, k relevant, m training and {@code test} test points. */
    public record Parity(int n, int k, int m, int test) {
        public String label() {
            return "n=" + n + " k=" + k + " m=" + m;
        }
    }

    /**
     * The paper's cell: its seeds, median with a bootstrap interval, and a rank test of the two
     * T_grok samples. {@code medianNormAtGrok} is the median of its released norm column, which
     * {@code normAt} names: "T_grok" (Paper A) or "final step" (Paper B's column holds the norm at
     * each run's last step; compare it with our {@link Cell#medianFinalNorm}).
     */
    public record Reference(String cell, int seeds, int grokked, Double medianTGrok, Double ciLo, Double ciHi,
                            Double medianNormAtGrok, Double rankTestP, String verdict, String normAt) {
    }

    /**
     * A fitted law: ln T_grok = intercept + slope·ρ (delay law, per p or shared), or ln Wc = ln c +
     * slope·ln p (critical norm). {@code lo}/{@code hi}: the slope's interval. A shared fit has one
     * intercept per group in {@code intercepts} (its {@code intercept} is NaN); other fits have none.
     * {@code undefinedShare}: the share of bootstrap resamples whose slope was undefined (left out
     * of the interval); null where there is no interval.
     */
    public record Fit(String experiment, String kind, String label, double slope, double intercept, double r2, Double lo, Double hi,
                      int points, List<String> excluded, java.util.Map<String, Double> intercepts, Double undefinedShare) {
    }

    /**
     * A headline number beside the paper's, with the rule that gave the verdict. {@code paperValue}
     * [{@code paperLo}, {@code paperHi}]: the paper's number as compared — recomputed from its
     * released seeds by our statistic where it can be, else the quoted one ({@code paper} says
     * which). {@code differenceLo}/{@code Hi}: the 95 % interval of ours − paper's (of ln ours − ln
     * paper's for a ratio) that the verdict reads; {@code undefinedShare}: the share of our
     * resamples whose statistic was undefined; {@code scope}: what the verdict can and cannot show.
     */
    public record Claim(String id, String experiment, String statement, Double ours, Double lo, Double hi, String paper,
                        Double paperValue, Double paperLo, Double paperHi, String verdict, String rule, Double differenceLo,
                        Double differenceHi, Double undefinedShare, String scope) {
    }
}
