package dev.normclock.experiment;

import java.util.Locale;

/** What a cell does to the weight norm. */
public enum Arm {
    /** No clamp: the control that measures Wc. */
    FREE,
    /** The norm held at ρ·Wc after every step from t_int on. */
    CLAMP,
    /** One rescale to ρ·Wc at t_int, then free (the one-shot control). */
    RESCALE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Arm parse(String s) {
        for (Arm a : values()) if (a.label().equals(s)) return a;
        throw new IllegalArgumentException("must be one of free, clamp, rescale; got '" + s + "'");
    }
}
