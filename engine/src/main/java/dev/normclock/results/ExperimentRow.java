package dev.normclock.results;

/**
 * One row of {@code experiments}.
 *
 * @param command   the full command line that started the experiment
 * @param createdAt ISO-8601 UTC
 */
public record ExperimentRow(long id, String name, String command, long baseKey, String version, String createdAt) {
}
