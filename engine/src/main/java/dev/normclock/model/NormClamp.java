package dev.normclock.model;

import java.util.Arrays;

import dev.normclock.backend.Backend;
import dev.normclock.backend.ClampPlan;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;

/**
 * The norm clamp of PROTOCOL §3, one for every population: after each step at which
 * {@link Hyper#clampsAt} holds a model, scale what it holds by target / norm. A model holds either
 * the whole ‖W‖ (the tensors {@code whole}) or one clamp group g alone ({@code groups[g]}). An
 * allocation holds the whole ‖W‖ too, but its first clamp reallocates: group g and the rest of the
 * whole are each scaled to their part of the target. A forking arm first sets its target to
 * forkScale × the norm it has reached there (N0). Norms come from the per-tensor Σ W² that AdamW
 * leaves, summed in tensor order. At a step where no model sets a target (every step but a fork's
 * and an allocation's first), the clamp goes to the backend as a {@link ClampPlan}, which a GPU
 * carries out without the host; otherwise the step takes this host path once.
 */
final class NormClamp {
    private final Tensor[] params;
    private final int[] whole;
    private final int[][] groups;
    private final String model;
    // the ClampPlan's set layouts, one array each, shared by the models that hold the same tensors
    private final int[] wholeLayout;
    private final int[][] groupLayout, allocationLayout;
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
        wholeLayout = layout(whole, null);
        groupLayout = new int[groups.length][];
        allocationLayout = new int[groups.length][];
        for (int g = 0; g < groups.length; g++) {
            if (groups[g] == null) continue;
            groupLayout[g] = layout(groups[g], null);
            int[] group = groups[g];
            int[] rest = Arrays.stream(whole).filter(j -> Arrays.stream(group).noneMatch(k -> k == j)).toArray();
            allocationLayout[g] = rest.length == 0 ? null : layout(group, rest);
        }
    }

    /** Set 1 the tensors of first, set 2 those of second. */
    private int[] layout(int[] first, int[] second) {
        int[] sets = new int[params.length];
        for (int j : first) sets[j] = 1;
        if (second != null) for (int j : second) sets[j] = 2;
        return sets;
    }

    /**
     * The step's AdamW update of the listed models, then their clamp: where the backend computes
     * (see {@link ClampPlan}) unless a model forks or allocates at this step, which sets its target
     * from the norm reached and so takes the host path once.
     */
    void update(Backend be, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step, double[][] sumSquares,
                int[] active) {
        if (setsTargetAt(active, hyper, step)) {
            be.adamW(params, grads, m1, m2, decayed, hyper, step, sumSquares, active);
            project(be, active, hyper, step, sumSquares);
            return;
        }
        be.adamW(params, grads, m1, m2, decayed, hyper, step, plan(active, hyper, step), active);
    }

    /** Whether a listed model forks, or allocates for the first time, at this step. */
    private static boolean setsTargetAt(int[] active, Hyper hyper, int step) {
        for (int m : active) {
            if (!hyper.clampsAt(m, step)) continue;
            if (!Double.isNaN(hyper.forkScale[m])) return true;
            if (!Double.isNaN(hyper.allocGamma[m]) && Double.isNaN(hyper.allocShare[m])) return true;
        }
        return false;
    }

    /** What the clamp does at this step to each listed model whose targets are set (see {@link #project} for the rules). */
    private ClampPlan plan(int[] active, Hyper hyper, int step) {
        if (plan == null || plan.now().length != hyper.models()) plan = ClampPlan.none(hyper.models());
        for (int m : active) {
            plan.now()[m] = hyper.clampsAt(m, step);
            if (!plan.now()[m]) continue;
            int g = hyper.clampGroup[m];
            if (g >= groups.length || g >= 0 && groups[g] == null)
                throw new IllegalArgumentException("slot " + m + ": clamp group " + g + " is not a group of the " + model + " model");
            double target = hyper.clampTarget[m];
            boolean allocation = !Double.isNaN(hyper.allocGamma[m]);
            if (allocation && hyper.allocHeld[m]) {
                if (allocationLayout[g] == null)
                    throw new IllegalArgumentException("slot " + m + ": an allocation needs a group that is part of the norm, not all of it");
                double share = hyper.allocShare[m];
                plan.sets()[m] = allocationLayout[g];
                plan.target1()[m] = share * target;
                plan.target2()[m] = Math.sqrt(1 - share * share) * target;
                continue;
            }
            plan.sets()[m] = allocation || g < 0 ? wholeLayout : groupLayout[g];
            plan.target1()[m] = target;
        }
        return plan;
    }

    void project(Backend be, int[] active, Hyper hyper, int step, double[][] sumSquares) {
        double[] factor = null;
        // slots by what they hold: index 0 the whole norm, 1 + g clamp group g alone
        int[][] which = new int[1 + groups.length][active.length];
        int[] count = new int[1 + groups.length];
        for (int m : active) {
            if (!hyper.clampsAt(m, step)) continue;
            boolean allocation = !Double.isNaN(hyper.allocGamma[m]);
            int g = hyper.clampGroup[m];
            if (g >= groups.length || g >= 0 && groups[g] == null)
                throw new IllegalArgumentException("slot " + m + ": clamp group " + g + " is not a group of the " + model + " model");
            if (allocation && (Double.isNaN(hyper.allocShare[m]) || hyper.allocHeld[m])) {
                allocate(be, m, hyper, sumSquares[m]);
                continue;
            }
            if (allocation) g = -1; // reallocated once: from then on the plain clamp of the whole norm
            double ss = 0;
            for (int j : g < 0 ? whole : groups[g]) ss += sumSquares[m][j];
            double norm = Math.sqrt(ss);
            if (!Double.isNaN(hyper.forkScale[m])) { // the fork: hold ρ·N0 from here on, N0 the norm reached now
                hyper.clampTarget[m] = hyper.forkScale[m] * norm;
                hyper.forkScale[m] = Double.NaN;
            }
            if (factor == null) factor = new double[sumSquares.length];
            factor[m] = hyper.clampTarget[m] / norm;
            which[g + 1][count[g + 1]++] = m;
        }
        if (factor == null) return;
        for (int k = 0; k <= groups.length; k++) {
            if (count[k] == 0) continue;
            int[] held = k == 0 ? whole : groups[k - 1];
            Tensor[] ts = new Tensor[held.length];
            for (int i = 0; i < ts.length; i++) ts[i] = params[held[i]];
            be.scale(ts, factor, Arrays.copyOf(which[k], count[k]));
        }
    }

    /**
     * Model m's allocation: group g scaled to share·target and the rest of the whole to
     * √(1 − share²)·target, the share set at the first call — the group's norm then, times 1 + γ,
     * renormalised with the rest. Once per model, or at every clamp when the shares are held; rare
     * either way next to the step, so per model.
     */
    private void allocate(Backend be, int m, Hyper hyper, double[] sumSquares) {
        int[] group = groups[hyper.clampGroup[m]];
        int[] rest = Arrays.stream(whole).filter(j -> Arrays.stream(group).noneMatch(k -> k == j)).toArray();
        if (rest.length == 0) throw new IllegalArgumentException("slot " + m + ": an allocation needs a group that is part of the norm, not all of it");
        double ssGroup = 0, ssRest = 0;
        for (int j : group) ssGroup += sumSquares[j];
        for (int j : rest) ssRest += sumSquares[j];
        if (Double.isNaN(hyper.allocShare[m])) {
            double s0 = Math.sqrt(ssGroup / (ssGroup + ssRest)), a = (1 + hyper.allocGamma[m]) * s0;
            hyper.allocShare[m] = a / Math.sqrt(a * a + 1 - s0 * s0);
        }
        double share = hyper.allocShare[m], target = hyper.clampTarget[m];
        double[] factor = new double[hyper.models()];
        int[] one = {m};
        factor[m] = share * target / Math.sqrt(ssGroup);
        be.scale(tensors(group), factor, one);
        factor[m] = Math.sqrt(1 - share * share) * target / Math.sqrt(ssRest);
        be.scale(tensors(rest), factor, one);
    }

    private Tensor[] tensors(int[] indices) {
        Tensor[] ts = new Tensor[indices.length];
        for (int i = 0; i < ts.length; i++) ts[i] = params[indices[i]];
        return ts;
    }
}
