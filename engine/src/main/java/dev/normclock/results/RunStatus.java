package dev.normclock.results;

import java.util.Locale;

/** How a run ended; stored lowercase in the {@code runs.status} column. */
public enum RunStatus {
    /** Started and not yet finished, or the process died before it could record an end. */
    RUNNING,
    /** Reached the grokking criterion. */
    GROKKED,
    /** Spent its step budget without grokking. */
    CENSORED,
    /** Loss or weights became NaN or infinite. */
    DIVERGED,
    /** Stopped by the user (Ctrl-C) before it could finish. */
    INTERRUPTED;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
