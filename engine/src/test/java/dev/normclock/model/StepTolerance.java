package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiConsumer;

import dev.normclock.reference.ReferenceMlp;

/**
 * The tolerance the step conformance tests (MLP, attention, parity) share for parameters after
 * Adam steps: what float rounding may move a parameter by, accumulated over the steps. Gradients
 * are checked to δ = 1e-5·max|g| of their tensor; Adam's m̂ and v̂ are weighted means of the
 * gradients (and their squares), so m̂ is off by at most δ and √v̂ by about δ, and the update
 * u = m̂/(√v̂ + ε) by δ·(1 + |u|)/(√v̂ + ε). That is large where a coordinate's gradient is small next
 * to its tensor's largest or cancels from step to step, which is why a fixed relative tolerance
 * cannot work for Adam. Plus 1e-5·|u| per step for the float evaluation of the update itself
 * (CpuBackend's rounded 1 − β2 alone gives 6.5e-6 at step 1). Per step, lr times that.
 */
final class StepTolerance {
    private StepTolerance() {
    }

    /**
     * What the float32 tolerances are multiplied by for a population of the given precision: 1, or
     * 1e-7 for float64 (its unit roundoff is 2e-9 of float's; the rest is headroom for the erf
     * approximations of the backend and of the reference, each good to about 1e-15).
     */
    static double unit(dev.normclock.backend.Precision precision) {
        return precision == dev.normclock.backend.Precision.FLOAT64 ? 1e-7 : 1;
    }

    /** The CPU backend that trains a population of the given precision. */
    static dev.normclock.backend.Backend backend(dev.normclock.backend.Precision precision, int threads) {
        return precision == dev.normclock.backend.Precision.FLOAT64 ? new dev.normclock.backend.cpu.CpuFloat64Backend(threads)
                : new dev.normclock.backend.cpu.CpuBackend(threads);
    }

    /** Raises each tensor's gradient tolerance δ to 1e-5 of its largest gradient entry so far. */
    static void raiseGradientTolerance(double[] gradTolMax, double[][] g) {
        raiseGradientTolerance(gradTolMax, g, 1);
    }

    /** As {@link #raiseGradientTolerance(double[], double[][])}, scaled by {@link #unit}. */
    static void raiseGradientTolerance(double[] gradTolMax, double[][] g, double unit) {
        for (int j = 0; j < g.length; j++) {
            double max = 0;
            for (double x : g[j]) max = Math.max(max, Math.abs(x));
            gradTolMax[j] = Math.max(gradTolMax[j], unit * 1e-5 * max);
        }
    }

    /** Adds one Adam step's allowance per coordinate, from the moments after the step. */
    static void addUpdateAllowance(double[][] allowance, double[] gradTolMax, double[][] m, double[][] v, double lr, int step) {
        addUpdateAllowance(allowance, gradTolMax, m, v, lr, step, 1);
    }

    /** As {@link #addUpdateAllowance(double[][], double[], double[][], double[][], double, int)}, scaled by {@link #unit}. */
    static void addUpdateAllowance(double[][] allowance, double[] gradTolMax, double[][] m, double[][] v, double lr, int step, double unit) {
        double bc1 = 1 - Math.pow(ReferenceMlp.BETA1, step), bc2 = 1 - Math.pow(ReferenceMlp.BETA2, step);
        for (int j = 0; j < m.length; j++)
            for (int i = 0; i < m[j].length; i++) {
                double denom = Math.sqrt(v[j][i] / bc2) + ReferenceMlp.EPS;
                double u = Math.abs(m[j][i] / bc1) / denom;
                allowance[j][i] += lr * (unit * 1e-5 * u + gradTolMax[j] * (1 + u) / denom);
            }
    }

    /** |got − want| ≤ 2e-6·|want| (rounding of w) + 2·allowance (a factor 2 for the clamp's rescaling and second-order effects). */
    static void compareParams(double[][] got, double[][] want, String[] names, double[][] allowance, String at,
                              BiConsumer<String, Double> record) {
        compareParams(got, want, names, allowance, at, record, 1);
    }

    /** As {@link #compareParams(double[][], double[][], String[], double[][], String, BiConsumer)}, scaled by {@link #unit}. */
    static void compareParams(double[][] got, double[][] want, String[] names, double[][] allowance, String at,
                              BiConsumer<String, Double> record, double unit) {
        for (int j = 0; j < got.length; j++)
            for (int i = 0; i < got[j].length; i++) {
                double tol = unit * 2e-6 * Math.abs(want[j][i]) + 2 * allowance[j][i];
                double err = Math.abs(got[j][i] - want[j][i]) / tol;
                record.accept("parameters: |err| / (2e-6·|w| + 2·Adam allowance)", err);
                assertTrue(err <= 1, at + " parameters " + names[j] + "[" + i + "]: " + got[j][i] + " vs reference " + want[j][i]
                        + " (allowance " + tol + ")");
            }
    }
}
