package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.conformance.BrokenBackend;
import dev.normclock.backend.conformance.Result;
import dev.normclock.backend.cpu.CpuBackend;

/**
 * The training comparison's harness, run where there is no GPU: the CPU backend against itself
 * with another thread count, which gives the same bits, so every comparison must report exactly 0
 * — populations are made alike, each backend trains its own, and the measures read the right
 * ones. A harness that compared a population with itself would pass too, so deliberate differences
 * must be caught: a clamp that scales 1 % too far moves the weights of every model kind, and squared
 * norms 1 % off move the forks' targets.
 */
class TrainingComparisonTest {

    @Test
    void everyModelTrainsAlikeOnOneAndTwoThreads() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            List<Result> results = TrainingComparison.run(one, two, 3);
            assertEquals(16, results.size()); // MLP, attention without and with LayerNorm, parity: losses, evaluation, weights, fork targets
            for (Result r : results) assertEquals(0.0, r.worst(), r.line() + " " + r.where());
        }
    }

    @Test
    void thePapersMlpShapeTrainsAlikeOnOneAndTwoThreads() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            List<Result> results = TrainingComparison.paperMlp(one, two, 3);
            assertEquals(4, results.size());
            for (Result r : results) assertEquals(0.0, r.worst(), r.line() + " " + r.where());
        }
    }

    @Test
    void aClampThatScalesTooFarAndNormsThatAreOffAreCaught() {
        try (CpuBackend ref = new CpuBackend(1); CpuBackend inner = new CpuBackend(1)) {
            Backend farClamp = BrokenBackend.wrap(inner, (method, args, call) -> {
                if (method.getName().equals("scale")) {
                    double[] factor = (double[]) args[1];
                    for (int i = 0; i < factor.length; i++) factor[i] *= 1.01;
                }
                if (method.getName().equals("adamW") && args[7] instanceof dev.normclock.backend.ClampPlan plan) // the clamp without the host
                    for (double[] targets : plan.targets()) for (int s = 0; s < targets.length; s++) targets[s] *= 1.01;
                call.run();
            });
            for (Result r : TrainingComparison.run(ref, farClamp, 3)) {
                if (r.name().contains("weights")) assertFalse(r.passed(), r.line());
                else if (r.name().contains("fork targets")) assertTrue(r.passed(), r.line()); // N0 is taken before the scale
            }
            Backend offNorms = BrokenBackend.wrap(inner, (method, args, call) -> {
                call.run();
                if (method.getName().equals("adamW") && args[7] instanceof double[][] sumSquares)
                    for (double[] row : sumSquares) for (int j = 0; j < row.length; j++) row[j] *= 1.02;
            });
            for (Result r : TrainingComparison.run(ref, offNorms, 3))
                if (r.name().contains("fork targets")) assertFalse(r.passed(), r.line());
        }
    }
}
