package dev.normclock.experiment;

import java.util.Optional;

import dev.normclock.analysis.ReferenceCell;
import dev.normclock.analysis.ReferenceData;

/** The paper's released cell (Paper A's, or Paper B's where the experiment names one of its own) that one of ours reproduces, when there is one. */
public final class ReferenceLookup {
    private ReferenceLookup() {
    }

    public static Optional<ReferenceCell> of(ExperimentPlan exp, CellPlan c) {
        if (exp.reference() == null || exp.reference().isBlank() || c.decayAfter()) return Optional.empty();
        if (ReferenceData.isPaperB(exp.reference())) {
            if (!c.model().equals("mlp") || c.clampGroup() >= 0) return Optional.empty();
            try {
                return ReferenceData.findB(exp.reference(), c.p(), c.trainFrac(), c.weightDecay(), c.lr(), c.referenceArm(), c.rho(),
                                c.squaredError() ? "mse" : "ce", c.temperature())
                        .filter(r -> r.tInt() < 0 || r.tInt() == c.tInt())
                        .filter(r -> r.d() == c.d() && r.hidden() == c.hidden());
            } catch (IllegalStateException ambiguous) {
                return Optional.empty();
            }
        }
        if (!c.paperASetting()) return Optional.empty();
        String model = c.model().equals("mlp") ? "mlp" : c.layerNorm() ? "attention_ln" : "attention";
        try {
            return ReferenceData.find(exp.reference(), c.p(), c.trainFrac(), c.weightDecay(), c.lr(), c.referenceArm(), c.rho())
                    .filter(r -> r.tInt() < 0 || r.tInt() == c.tInt())
                    .filter(r -> r.d() == c.d() && r.hidden() == c.hidden() && r.model().equals(model));
        } catch (IllegalStateException ambiguous) {
            return Optional.empty();
        }
    }

    /**
     * Steps a model of this cell is expected to train: the paper's median T_grok where it has
     * the cell, else the budget (a plan's estimate, never a result).
     */
    public static double expectedSteps(ExperimentPlan exp, CellPlan c) {
        double median = of(exp, c).map(r -> r.tGrok().median()).orElse(Double.NaN);
        double steps = Double.isNaN(median) ? c.maxSteps() : median + c.retireWindow();
        return Math.min(c.maxSteps(), steps);
    }
}
