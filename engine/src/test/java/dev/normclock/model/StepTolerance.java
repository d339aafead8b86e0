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

    /** Raises each tensor's gradient tolerance δ to 1e-5 of its largest gradient entry so far. */
    static void raiseGradientTolerance(double[] gradTolMax, double[][] g) {
        for (int j = 0; j < g.length; j++) {
            double max = 0;
            for (double x : g[j]) max = Math.max(max, Math.abs(x));
            gradTolMax[j] = Math.max(gradTolMax[j], 1e-5 * max);
        }
    }

    /** Adds one Adam step's allowance per coordinate, from the moments after the step. */
    static void addUpdateAllowance(double[][] allowance, double[] gradTolMax, double[][] m, double[][] v, double lr, int step) {
        double bc1 = 1 - Math.pow(ReferenceMlp.BETA1, step), bc2 = 1 - Math.pow(ReferenceMlp.BETA2, step);
        for (int j = 0; j < m.length; j++)
            for (int i = 0; i < m[j].length; i++) {
                double denom = Math.sqrt(v[j][i] / bc2) + ReferenceMlp.EPS;
                double u = Math.abs(m[j][i] / bc1) / denom;
                allowance[j][i] += lr * (1e-5 * u + gradTolMax[j] * (1 + u) / denom);
            }
    }

    /** |got − want| ≤ 2e-6·|want| (rounding of w) + 2·allowance (a factor 2 for the clamp's rescaling and second-order effects). */
    static void compareParams(double[][] got, double[][] want, String[] names, double[][] allowance, String at,
                              BiConsumer<String, Double> record) {
        for (int j = 0; j < got.length; j++)
            for (int i = 0; i < got[j].length; i++) {
                double tol = 2e-6 * Math.abs(want[j][i]) + 2 * allowance[j][i];
                double err = Math.abs(got[j][i] - want[j][i]) / tol;
                record.accept("parameters: |err| / (2e-6·|w| + 2·Adam allowance)", err);
                assertTrue(err <= 1, at + " parameters " + names[j] + "[" + i + "]: " + got[j][i] + " vs reference " + want[j][i]
                        + " (allowance " + tol + ")");
            }
    }
}
