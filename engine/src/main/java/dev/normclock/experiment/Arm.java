package dev.normclock.experiment;

import java.util.Locale;

/** What a cell does to the weight norm. */
public enum Arm {
    /** No clamp: the control that measures Wc. */
    FREE,
    /** The norm held at ρ·Wc after every step from t_int on. */
    CLAMP,
    /** One rescale to ρ·Wc at t_int, then free (the one-shot control). */
    RESCALE,
    /**
     * Paper B's forking arm: free until t_int, then held at ρ·N0 with N0 its own norm at t_int.
     * Every arm of a seed is the same run until then (same init, split and settings), so arms
     * fork from one identical state — weights and Adam moments — bit for bit.
     */
    FORK,
    /**
     * Paper A's one-shot group scaling (its normint {@code layer_*} arms): at t_int the clamp group's
     * weights — or all of ‖W‖'s — are multiplied by ρ once, then training is free. It needs no Wc.
     */
    SCALE;

    /** Whether the arm's target is ρ·Wc, so that it trains after its free control has measured Wc. */
    public boolean needsWc() {
        return this == CLAMP || this == RESCALE;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Arm parse(String s) {
        for (Arm a : values()) if (a.label().equals(s)) return a;
        throw new IllegalArgumentException("must be one of free, clamp, rescale, fork, scale; got '" + s + "'");
    }
}
