package dev.normclock.train;

import java.util.Arrays;

import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;

/**
 * The outcome of a cell: one {@link RunOutcome} per seed and the cell's summary. The median
 * T_grok counts seeds that did not grok as censored at +∞ (never dropped), so it is undefined
 * (NaN) when half or more of the seeds did not grok.
 */
public record CellResult(CellSpec spec, long[] runIds, RunOutcome[] outcomes, double wallSeconds, long modelSteps) {

    public int grokkedCount() {
        return (int) Arrays.stream(outcomes).filter(o -> o.tGrok() >= 0).count();
    }

    public int count(RunStatus status) {
        return (int) Arrays.stream(outcomes).filter(o -> o.status() == status).count();
    }

    public double medianTGrok() {
        return Medians.censoredMedian(Arrays.stream(outcomes).mapToDouble(o -> o.tGrok() >= 0 ? o.tGrok() : Double.POSITIVE_INFINITY).toArray());
    }

    public double medianTMem() {
        return Medians.censoredMedian(Arrays.stream(outcomes).mapToDouble(o -> o.tMem() >= 0 ? o.tMem() : Double.POSITIVE_INFINITY).toArray());
    }

    /** Median of ‖W‖ at T_grok over the seeds that grokked (NaN if none did): Wc for a free run. */
    public double medianNormAtGrok() {
        double[] v = Arrays.stream(outcomes).filter(o -> o.tGrok() >= 0).mapToDouble(RunOutcome::normAtGrok).toArray();
        return v.length == 0 ? Double.NaN : Medians.median(v);
    }

    public double modelStepsPerSecond() {
        return wallSeconds > 0 ? modelSteps / wallSeconds : Double.NaN;
    }
}
