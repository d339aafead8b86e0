package dev.normclock.results;

import java.util.Objects;

/**
 * How a run ended. Steps are -1 and norms NaN when not reached; both are stored as SQL NULL so that
 * aggregates such as {@code AVG(t_grok)} skip them.
 */
public record RunOutcome(RunStatus status, int tMem, int tGrok, double normAtGrok, double normEAtGrok,
                         double normW1AtGrok, double normW2AtGrok, int finalStep, double wallSeconds) {

    public RunOutcome {
        Objects.requireNonNull(status, "status");
    }

    /** The outcome of a run that has not finished (yet). */
    public static RunOutcome running() {
        return new RunOutcome(RunStatus.RUNNING, -1, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, Double.NaN);
    }
}
