package dev.normclock;

/** The version recorded with every run. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
