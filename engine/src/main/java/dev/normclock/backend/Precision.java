package dev.normclock.backend;

import java.util.Locale;

/**
 * The number format of a population's tensors and of the arithmetic on them. float32 is the
 * papers' format and the fast path; float64 is Paper B's precision audit: the same training in
 * double, to show which effects (softmax collapse among them) belong to float32 rounding.
 */
public enum Precision {
    FLOAT32(Float.BYTES),
    FLOAT64(Double.BYTES);

    /** Bytes per element. */
    public final int bytes;

    Precision(int bytes) {
        this.bytes = bytes;
    }

    /** The name used on the command line, in study files and in stored configurations. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The precision named {@code label} (float32 or float64); otherwise a message that lists both. */
    public static Precision parse(String label) {
        for (Precision p : values()) if (p.label().equals(label)) return p;
        throw new IllegalArgumentException("precision '" + label + "' is not float32 or float64");
    }
}
