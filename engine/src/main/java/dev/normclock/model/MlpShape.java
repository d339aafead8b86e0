package dev.normclock.model;

/** The MLP of Paper A: embedding width d shared by a and b, hidden width H, p classes. */
public record MlpShape(int p, int d, int hidden) {
    public MlpShape {
        if (p < 2) throw new IllegalArgumentException("p must be at least 2, got " + p);
        if (d < 1) throw new IllegalArgumentException("--width (d) must be at least 1, got " + d);
        if (hidden < 1) throw new IllegalArgumentException("--hidden (H) must be at least 1, got " + hidden);
    }

    /** Parameters per model (weights and biases). */
    public long parameters() {
        return (long) p * d + 2L * d * hidden + hidden + (long) hidden * p + p;
    }

    /**
     * Floating-point operations one training step of one model executes with n training pairs
     * (the rewritten first layer; multiply–add counted as two): E·W1 for both halves, the output
     * layer forward, its two backward products, and the first layer's two backward products.
     */
    public double flopsPerStep(int n) {
        double first = 2.0 * 2 * p * d * hidden;      // Pa, Pb
        double out = 2.0 * n * hidden * p;              // logits
        double outBack = 2 * out;                       // dW2, dAct
        double firstBack = 2 * first;                   // dW1 halves, dE halves
        return first + out + outBack + firstBack;
    }
}
