package dev.normclock.experiment;

import java.util.Optional;

import dev.normclock.analysis.ReferenceCell;
import dev.normclock.analysis.ReferenceData;
import dev.normclock.model.ModelKind;

/** The paper's released cell (Paper A's, or Paper B's where the experiment names one of its own) that one of ours reproduces, when there is one. */
public final class ReferenceLookup {
    private ReferenceLookup() {
    }

    private static ModelKind kind(CellPlan c) {
        return ModelKind.of(c.model());
    }

    public static Optional<ReferenceCell> of(ExperimentPlan exp, CellPlan c) {
        if (exp.reference() == null || exp.reference().isBlank()) return Optional.empty();
        if (ReferenceData.isPaperB(exp.reference())) { // Paper B decays after the update; either order is compared with it
            if (!Double.isNaN(c.allocGamma())) return allocation(exp, c);
            if (kind(c) != ModelKind.MLP || c.clampGroup() >= 0) return Optional.empty();
            if (exp.reference().equals("samestate")) return forkingArm(c);
            try {
                return ReferenceData.findB(exp.reference(), c.p(), c.trainFrac(), c.weightDecay(), c.lr(), c.referenceArm(), c.rho(),
                                c.squaredError() ? "mse" : "ce", c.temperature())
                        .filter(r -> r.tInt() < 0 || r.tInt() == c.tInt())
                        .filter(r -> r.d() == c.d() && r.hidden() == c.hidden());
            } catch (IllegalStateException ambiguous) {
                return Optional.empty();
            }
        }
        if (!c.paperASetting() || c.decayAfter() || !Double.isNaN(c.allocGamma())) return Optional.empty();
        if (c.isParity()) return parity(exp, c);
        String model = kind(c) == ModelKind.MLP ? "mlp" : c.layerNorm() ? "attention_ln" : "attention"; // the reference data's names
        if (c.arm() == Arm.SCALE) { // its rho column is 1; the factor is in the cell id (layer_embed_f0.80)
            String factor = String.format(java.util.Locale.ROOT, "_f%.2f", c.rho());
            return ReferenceData.cells(ReferenceData.Paper.A).stream()
                    .filter(r -> r.experiment().equals(exp.reference()) && r.armKind().equals(c.referenceArm()) && r.cell().endsWith(factor)
                            && r.p() == c.p() && Math.abs(r.trainFrac() - c.trainFrac()) < 1e-9 && Math.abs(r.lr() - c.lr()) < 1e-12
                            && Math.abs(r.wd() - c.weightDecay()) < 1e-9 && r.tInt() == c.tInt() && r.d() == c.d() && r.hidden() == c.hidden()
                            && r.model().equals(model))
                    .findFirst();
        }
        try {
            return ReferenceData.find(exp.reference(), c.p(), c.trainFrac(), c.weightDecay(), c.lr(), c.referenceArm(), c.rho())
                    .filter(r -> r.tInt() < 0 || r.tInt() == c.tInt())
                    .filter(r -> r.d() == c.d() && r.hidden() == c.hidden() && r.model().equals(model));
        } catch (IllegalStateException ambiguous) {
            return Optional.empty();
        }
    }

    /**
     * Paper A's sparse-parity cell (experiment parity or parity_lambda). Its free rows carry a
     * t_int (1000, or 1e9 in parity_lambda) that never acted, so t_int is matched for held arms only.
     */
    private static Optional<ReferenceCell> parity(ExperimentPlan exp, CellPlan c) {
        var t = c.parity();
        try {
            return ReferenceData.findParity(exp.reference(), t.n(), t.k(), t.trainSize(), c.hidden(), c.weightDecay(), c.lr(),
                            c.referenceArm(), c.rho())
                    .filter(r -> c.arm() == Arm.FREE || r.tInt() < 0 || r.tInt() == c.tInt());
        } catch (IllegalStateException ambiguous) {
            return Optional.empty();
        }
    }

    /**
     * Paper B's per-group allocation cells (experiment alloc, arm alloc): matched on p, f, λ, lr, ρ,
     * τ and γ, the allocation being Paper B's own definition (see dev.normclock.model.Allocation).
     */
    private static Optional<ReferenceCell> allocation(ExperimentPlan exp, CellPlan c) {
        if (kind(c) != ModelKind.MLP) return Optional.empty();
        return ReferenceData.cells(ReferenceData.Paper.B).stream()
                .filter(r -> r.experiment().equals(exp.reference()) && r.armKind().equals("alloc") && r.p() == c.p()
                        && Math.abs(r.trainFrac() - c.trainFrac()) < 1e-9 && Math.abs(r.lr() - c.lr()) < 1e-12
                        && Math.abs(r.wd() - c.weightDecay()) < 1e-9 && Math.abs(r.rho() - c.rho()) < 1e-9
                        && Math.abs(r.gamma() - c.allocGamma()) < 1e-9 && (Double.isNaN(r.tau()) ? c.temperature() == 1 : Math.abs(r.tau() - c.temperature()) < 1e-9)
                        && r.d() == c.d() && r.hidden() == c.hidden())
                .findFirst();
    }

    /**
     * Paper B's forking arms (experiment samestate): its arms are named by what they do at the fork
     * (clamp_same holds N0, clamp_raised ρ·N0, clamp_lowered N0/ρ, with ρ = 1.15 in every row;
     * free trains on), its fork step is t_fork, and d and H are not released.
     */
    private static Optional<ReferenceCell> forkingArm(CellPlan c) {
        String kind;
        double rho;
        if (c.arm() == Arm.FREE) {
            kind = "free";
            rho = Double.NaN;
        } else if (c.arm() == Arm.FORK) {
            kind = Math.abs(c.rho() - 1) < 1e-9 ? "clamp_same" : c.rho() > 1 ? "clamp_raised" : "clamp_lowered";
            rho = c.rho() > 1 ? c.rho() : 1 / c.rho();
        } else {
            return Optional.empty();
        }
        return ReferenceData.cells(ReferenceData.Paper.B).stream()
                .filter(r -> r.experiment().equals("samestate") && r.p() == c.p() && r.armKind().equals(kind) && r.loss().equals(
                        c.squaredError() ? "mse" : "ce") && r.tFork() == c.tInt() && Math.abs(r.trainFrac() - c.trainFrac()) < 1e-9
                        && Math.abs(r.lr() - c.lr()) < 1e-12 && Math.abs(r.wd() - c.weightDecay()) < 1e-9 && c.temperature() == 1
                        && (kind.equals("free") || kind.equals("clamp_same") || Math.abs(r.rho() - rho) < 1e-3))
                .findFirst();
    }

    /**
     * Steps a model of this cell is expected to train: the paper's median T_grok where it has
     * the cell, else the budget (a plan's estimate, never a result).
     */
    public static double expectedSteps(ExperimentPlan exp, CellPlan c) {
        // until: cell trains every seed until the cell's slowest has grokked: the paper's last T_grok (its budget if one never did)
        double median = of(exp, c).map(r -> !c.untilCell() ? r.tGrok().median()
                : r.tGrok().reached() < r.size() ? Double.NaN : java.util.Arrays.stream(r.tGrok().observedSorted()).max().orElse(Double.NaN))
                .orElse(Double.NaN);
        double steps = Double.isNaN(median) ? c.maxSteps() : median + c.retireWindow();
        return Math.min(c.maxSteps(), steps);
    }
}
