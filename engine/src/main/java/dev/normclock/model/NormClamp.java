package dev.normclock.model;

import java.util.HashMap;
import java.util.Map;

import dev.normclock.backend.Backend;
import dev.normclock.backend.ClampPlan;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;

/**
 * The norm clamp of PROTOCOL §3, one for every population: after each step at which
 * {@link Hyper#clampsAt} holds a model, scale what it holds by target / norm. A model holds either
 * the whole ‖W‖ (the tensors {@code whole}), one clamp group g alone ({@code groups[g]}), or —
 * Paper B's allocation ({@link Hyper#allocTargets}) — each of several groups at its own target. A
 * forking arm first sets its target to forkScale × the norm it has reached there (N0). Norms come
 * from the per-tensor Σ W² that AdamW leaves, summed in tensor order. At a step where no model
 * forks, the clamp goes to the backend as a {@link ClampPlan}, which a GPU carries out without the
 * host; a fork's step takes the host path once, since its target comes from the norm reached.
 */
final class NormClamp {
    private final Tensor[] params;
    private final int[] whole;
    private final int[][] groups;
    private final String model;
    // the ClampPlan's set layouts, one array each, shared by the models that hold the same tensors
    private final int[] wholeLayout;
    private final int[][] groupLayout;
    private final Map<Integer, int[]> allocationLayout = new HashMap<>(); // by the bits of the groups held
    private ClampPlan plan;

    /**
     * @param params the population's parameter tensors (the indices below refer to them)
     * @param whole  the tensors of the whole ‖W‖
     * @param groups per clamp group, its tensors; null where the model has no such group
     * @param model  the model's name, for the message about a clamp group it does not have
     */
    NormClamp(Tensor[] params, int[] whole, int[][] groups, String model) {
        this.params = params;
        this.whole = whole;
        this.groups = groups;
        this.model = model;
        wholeLayout = layout(whole);
        groupLayout = new int[groups.length][];
        for (int g = 0; g < groups.length; g++) if (groups[g] != null) groupLayout[g] = layout(groups[g]);
    }

    /** Set 1 the listed tensors. */
    private int[] layout(int[] held) {
        int[] sets = new int[params.length];
        for (int j : held) sets[j] = 1;
        return sets;
    }

    /**
     * The step's AdamW update of the listed models, then their clamp: where the backend computes
     * (see {@link ClampPlan}) unless a model forks at this step, which sets its target from the
     * norm reached and so takes the host path once.
     */
    void update(Backend be, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step, double[][] sumSquares,
                int[] active) {
        if (forksAt(active, hyper, step)) {
            be.adamW(params, grads, m1, m2, decayed, hyper, step, sumSquares, active);
            project(be, active, hyper, step, sumSquares);
            return;
        }
        be.adamW(params, grads, m1, m2, decayed, hyper, step, plan(active, hyper, step), active);
    }

    /** Whether a listed model forks at this step. */
    private static boolean forksAt(int[] active, Hyper hyper, int step) {
        for (int m : active) if (hyper.clampsAt(m, step) && !Double.isNaN(hyper.forkScale[m])) return true;
        return false;
    }

    /** What the clamp does at this step to each listed model whose targets are set. */
    private ClampPlan plan(int[] active, Hyper hyper, int step) {
        if (plan == null || plan.now().length != hyper.models()) plan = ClampPlan.none(hyper.models());
        for (int m : active) {
            plan.now()[m] = hyper.clampsAt(m, step);
            if (!plan.now()[m]) continue;
            if (hyper.allocTargets[m] != null) {
                allocate(m, hyper.allocTargets[m]);
                continue;
            }
            int g = group(m, hyper.clampGroup[m]);
            plan.sets()[m] = g < 0 ? wholeLayout : groupLayout[g];
            plan.targets()[m][0] = hyper.clampTarget[m];
        }
        return plan;
    }

    /** Model m's allocation in the plan: each held group a set of its own, in group order, at its own target. */
    private void allocate(int m, double[] targets) {
        int held = 0, bits = 0;
        for (int g = 0; g < targets.length; g++) {
            if (Double.isNaN(targets[g])) continue;
            group(m, g);
            if (held == ClampPlan.SETS)
                throw new IllegalArgumentException("slot " + m + ": an allocation holds at most " + ClampPlan.SETS + " groups apart");
            plan.targets()[m][held++] = targets[g];
            bits |= 1 << g;
        }
        if (held == 0) throw new IllegalArgumentException("slot " + m + ": an allocation with no group's target: give one, or no allocation");
        plan.sets()[m] = allocationLayout.computeIfAbsent(bits, k -> {
            int[] sets = new int[params.length];
            for (int g = 0, s = 0; g < groups.length; g++)
                if ((k & 1 << g) != 0) {
                    s++;
                    for (int j : groups[g]) sets[j] = s;
                }
            return sets;
        });
    }

    /** Clamp group g of slot m, checked against this model's groups (−1: the whole norm). */
    private int group(int m, int g) {
        if (g >= groups.length || g >= 0 && groups[g] == null)
            throw new IllegalArgumentException("slot " + m + ": clamp group " + g + " is not a group of the " + model + " model");
        return g;
    }

    /**
     * The host path: a model that forks here sets its target to forkScale × the norm it has
     * reached (N0) and holds it from then on; then every clamping model is scaled as the plan says.
     */
    void project(Backend be, int[] active, Hyper hyper, int step, double[][] sumSquares) {
        for (int m : active) {
            if (!hyper.clampsAt(m, step) || Double.isNaN(hyper.forkScale[m])) continue;
            int g = group(m, hyper.clampGroup[m]);
            double ss = 0;
            for (int j : g < 0 ? whole : groups[g]) ss += sumSquares[m][j];
            hyper.clampTarget[m] = hyper.forkScale[m] * Math.sqrt(ss);
            hyper.forkScale[m] = Double.NaN;
        }
        plan(active, hyper, step).applyOnHost(be, params, sumSquares, active);
    }
}
