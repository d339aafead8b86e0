package dev.normclock.analysis;

import java.util.Locale;

/**
 * The rules that turn our number and the paper's into a verdict, each one a wrong result would
 * fail. Two estimates are compared through the 95 % interval of their difference (on a log scale
 * for ratios and times), an equivalence test: <b>agrees</b> when the interval lies inside the
 * margin (agreement shown, not merely not refuted; "agrees (small difference)" when it also
 * excludes 0 — real but within the margin, or one of the chance 1-in-20 of many claims);
 * <b>differs</b> when it excludes 0 and reaches beyond the margin; <b>inconclusive</b> when it
 * contains 0 but is too wide to show agreement, or when more than a fifth of our resamples (or the
 * paper's) left the statistic undefined. A bound (R² ≥ x, CV ≤ y)
 * is judged on our interval the same way: agrees when all of it is on the right side, differs when
 * all of it is on the wrong side, else inconclusive.
 */
public final class Verdicts {
    /** Above this share of undefined resamples the interval describes too few of them to decide. */
    public static final double MAX_UNDEFINED = 0.2;

    private Verdicts() {
    }

    /** How the difference is taken: plain, or of logarithms (a ratio of times, a lever). */
    public enum Scale {
        LINEAR, LOG
    }

    /**
     * A verdict with what it rests on: the interval of the difference (ours − paper, or ln ours − ln
     * paper), the share of our resamples that were undefined, and the rule in words.
     */
    public record Judgement(String verdict, Double differenceLo, Double differenceHi, double undefinedShare, String rule) {
    }

    /**
     * Ours against the paper's. {@code margin}: for LINEAR a relative margin (|difference| ≤ margin ×
     * |paper|) unless {@code absolute}, for LOG a factor (|ln ratio| ≤ ln(1 + margin)).
     */
    public static Judgement compare(Estimate ours, Estimate paper, Scale scale, double margin, boolean absolute) {
        int n = Math.max(ours.draws().length, paper.draws().length);
        double[] diff = new double[n];
        for (int i = 0; i < n; i++) {
            double a = ours.draws()[i % ours.draws().length], b = paper.draws()[i % paper.draws().length];
            diff[i] = scale == Scale.LOG ? (a > 0 && b > 0 ? Math.log(a) - Math.log(b) : Double.NaN) : a - b;
        }
        Interval d = Bootstrap.interval(diff);
        double bound = scale == Scale.LOG ? Math.log(1 + margin) : absolute ? margin : margin * Math.abs(paper.value());
        String marginText = scale == Scale.LOG ? String.format(Locale.ROOT, "a factor %.2f", 1 + margin)
                : absolute ? String.format(Locale.ROOT, "±%.3g", margin) : String.format(Locale.ROOT, "±%.0f %% of the paper's value", margin * 100);
        String rule = String.format(Locale.ROOT, "95 %% interval of %s: agrees when it lies within %s (\"small difference\" when it also "
                + "excludes 0); differs when it excludes 0 and reaches beyond that; else inconclusive (also when over %.0f %% of "
                + "resamples are undefined)", scale == Scale.LOG ? "ln(ours / paper's)" : "ours − paper's", marginText, MAX_UNDEFINED * 100);
        double undefined = Math.max(ours.undefinedShare(), paper.undefinedShare());
        String verdict;
        boolean inside = d.isDefined() && d.lo() >= -bound && d.hi() <= bound, excludesZero = d.isDefined() && (d.lo() > 0 || d.hi() < 0);
        if (!d.isDefined() || undefined > MAX_UNDEFINED) verdict = "inconclusive";
        else if (inside) verdict = excludesZero ? "agrees (small difference)" : "agrees";
        else if (excludesZero) verdict = "differs";
        else verdict = "inconclusive";
        return new Judgement(verdict, d.isDefined() ? d.lo() : null, d.isDefined() ? d.hi() : null, ours.undefinedShare(), rule);
    }

    /** Our estimate against a bound: {@code atLeast} true for x ≥ bound (e.g. an R²), false for x ≤ bound (e.g. a CV). */
    public static Judgement bound(Estimate ours, double bound, boolean atLeast) {
        Interval i = ours.interval();
        String rule = String.format(Locale.ROOT, "agrees when our 95 %% interval lies %s %.3g; differs when it lies %s it; else inconclusive "
                + "(also when over %.0f %% of resamples are undefined)", atLeast ? "at or above" : "at or below", bound,
                atLeast ? "below" : "above", MAX_UNDEFINED * 100);
        String verdict;
        if (!i.isDefined() || ours.undefinedShare() > MAX_UNDEFINED) verdict = "inconclusive";
        else if (atLeast ? i.lo() >= bound : i.hi() <= bound) verdict = "agrees";
        else if (atLeast ? i.hi() < bound : i.lo() > bound) verdict = "differs";
        else verdict = "inconclusive";
        return new Judgement(verdict, null, null, ours.undefinedShare(), rule);
    }
}
