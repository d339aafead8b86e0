package dev.normclock.backend;

import java.util.Locale;

/**
 * The order in which the float32 cross-entropy adds exp(s − max) over the classes — the arithmetic
 * that decides when a row's softmax "collapses" (its total rounds to exactly 1, its loss to 0).
 * CLASS_ORDER adds in class order: once the top class's 1.0 is in the sum, each later term below
 * 2⁻²⁴ rounds away on its own. TOP_LAST adds every other class first and the top class's 1.0 last,
 * so the row collapses only when all of the other terms together fall below 2⁻²⁴. WARP adds in the
 * order of PyTorch's CUDA log-softmax for up to 1024 classes (the papers' runs): 32 strided partial
 * sums, then a butterfly tree — the 1.0 meets partial sums of the others, so a row collapses later
 * than in class order and sooner than with the top class last. The float64 backend is unaffected.
 */
public enum SoftmaxSum {
    CLASS_ORDER, TOP_LAST, WARP;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SoftmaxSum parse(String s) {
        for (SoftmaxSum v : values()) if (v.label().equals(s)) return v;
        throw new IllegalArgumentException("--softmax-sum must be class-order, top-last or warp; got '" + s + "'");
    }
}
