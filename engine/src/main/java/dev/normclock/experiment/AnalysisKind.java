package dev.normclock.experiment;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which of the papers' analyses an experiment's cells feed. */
public enum AnalysisKind {
    /** Free runs: Wc per cell, its spread across f and lr, the power law Wc ∝ p^β. */
    CRITICAL_NORM,
    /** Clamp arms over ρ at one p: the delay law ln T = a + α·ρ. */
    DELAY_LAW,
    /** Clamp arms over ρ × lr with free controls: the norm lever against the learning-rate lever. */
    LEVER,
    /** Clamp arms over ρ at several p: per-p α and the shared α. */
    SCALING,
    /** One-shot rescales against the held clamp. */
    ONESHOT,
    /** Forking arms: the delay from the fork of each ρ·N0 arm against N0, paired over seeds. */
    FORK,
    /**
     * Paper B's temperature mediation: clamp arms at ρ = 1 (base) and at a higher ρ over a τ grid;
     * the norm-induced delay and the share of it that each τ recovers, seeds paired.
     */
    MEDIATION,
    /** Paper B's ρ × τ grid: R² of ln T_grok against the logit scale L and against ρ. */
    COLLAPSE,
    /**
     * Paper B's per-group allocation at fixed total norm (E, W1, W2 each held at its own target, γ
     * moving power between E and W2): T_grok of each γ over γ = 0, seeds paired.
     */
    ALLOCATION,
    /** Paper B's precision audit: each float64 cell against its float32 twin, seeds paired. */
    PRECISION,
    /** Cells only: medians and the comparison with the paper, no fit. */
    NONE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AnalysisKind parse(String s) {
        for (AnalysisKind k : values()) if (k.label().equals(s)) return k;
        throw new IllegalArgumentException("must be one of "
                + Arrays.stream(values()).map(AnalysisKind::label).collect(Collectors.joining(", ")) + "; got '" + s + "'");
    }
}
