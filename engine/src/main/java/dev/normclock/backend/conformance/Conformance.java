package dev.normclock.backend.conformance;

import java.util.ArrayList;
import java.util.List;

import dev.normclock.backend.Backend;

/**
 * The conformance suite: every primitive of {@link Backend}, each stated once — its input
 * generator, the call, its outputs, its tolerance rule and the magnitude the error is measured
 * against — and run for any backend against the float64 backend ({@code cpu-float64}) on float64
 * copies of the same float inputs. Besides the numbers every call must keep the invariants of a
 * population: a retired slot (left out of the model list, between listed ones) untouched bit for
 * bit, padding columns zero, inputs unchanged; a NaN anywhere fails. The candidate is reached only
 * through {@link Backend}, with {@link Backend#hostChanged} before and {@link Backend#syncToHost}
 * after each call, so the same suite checks the cpu backend in the tests and the cuda backend from
 * {@code normclock devices --check}.
 *
 * <p>In the style of llm.c's per-kernel validation against a CPU reference and of Jlama's one test
 * of every operations provider against one control.
 */
public final class Conformance {
    private Conformance() {
    }

    /** Every case, in a fixed order: GEMM, hidden layer, losses, optimiser, attention. */
    public static List<Case> cases() {
        List<Case> all = new ArrayList<>();
        all.addAll(GemmCases.cases());
        all.addAll(GeluCases.cases());
        all.addAll(LossCases.cases());
        all.addAll(OptimiserCases.cases());
        all.addAll(AttentionCases.cases());
        all.addAll(TotalsCases.cases());
        return List.copyOf(all);
    }

    /**
     * Runs every case on the candidate; a case whose call throws is a failed result that says so,
     * and the others still run.
     */
    public static List<Result> run(Backend candidate, long seed) {
        List<Result> out = new ArrayList<>();
        for (Case c : cases()) {
            try {
                out.add(c.run(candidate, seed));
            } catch (RuntimeException e) {
                out.add(new Result(c.name(), c.rule(), Double.NaN, "the call threw " + e));
            }
        }
        return out;
    }
}
