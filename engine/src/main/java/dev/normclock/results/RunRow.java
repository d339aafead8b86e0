package dev.normclock.results;

/**
 * One row of {@code runs} as read back. A run that is still running (or whose process died) has
 * {@link RunOutcome#running()}-style outcome values and a null {@code finishedAt}.
 *
 * @param startedAt  ISO-8601 UTC
 * @param finishedAt ISO-8601 UTC, null while running
 */
public record RunRow(long id, long experimentId, RunSpec spec, RunOutcome outcome, String startedAt,
                     String finishedAt) {

    public RunStatus status() {
        return outcome.status();
    }
}
