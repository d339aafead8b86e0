package dev.normclock.backend;

/**
 * What the norm clamp does to each model right after a step's AdamW update, decided on the host
 * (from {@link Hyper}) and carried out where the backend computes, so that no norm travels to the
 * host and back: model m's parameter tensors fall into at most {@link #SETS} held sets — tensor j
 * is in set {@code sets[m][j]} (0: not scaled, 1 … SETS) — and when {@code now[m]} each set s is
 * scaled by {@code targets[m][s − 1]} / ‖set s‖, its norm taken from the Σ W² that AdamW just
 * produced, summed in tensor order. A plain clamp holds one set (the whole ‖W‖, or one clamp group);
 * Paper B's allocation three (E, W1 and W2, each at its own target). A fork sets its target from
 * the norm reached and takes the host path instead (see dev.normclock.model.NormClamp).
 *
 * <p>Models that share a set layout share its array, so a backend can batch them by identity.
 */
public record ClampPlan(int[][] sets, double[][] targets, boolean[] now) {
    /** The most held sets a model has: Paper B's allocation holds the MLP's three weight groups apart. */
    public static final int SETS = 3;

    /** An empty plan for a population of this many models and tensors: nothing clamps. */
    public static ClampPlan none(int models) {
        return new ClampPlan(new int[models][], new double[models][SETS], new boolean[models]);
    }

    /** Whether any listed model clamps at this step. */
    public boolean any(int[] models) {
        for (int m : models) if (now[m]) return true;
        return false;
    }

    /**
     * Each listed model's factor for each tensor, from the per-tensor Σ W²: target_s / √(Σ over set s
     * in tensor order), 1 outside the sets and for models that do not clamp now. In double, as the
     * host path computes it; a backend rounds it to its precision when scaling.
     */
    public double factor(int m, int tensor, double[] sumSquares) {
        if (!now[m]) return 1;
        int s = sets[m][tensor];
        if (s == 0) return 1;
        double ss = 0;
        int[] set = sets[m];
        for (int j = 0; j < set.length; j++) if (set[j] == s) ss += sumSquares[j];
        return targets[m][s - 1] / Math.sqrt(ss);
    }

    /**
     * The plan carried out on the host from Σ W² per model and tensor: one {@link Backend#scale}
     * per set layout and set, over the models that share it.
     */
    public void applyOnHost(Backend be, Tensor[] params, double[][] sumSquares, int[] models) {
        java.util.IdentityHashMap<int[], java.util.List<Integer>> byLayout = new java.util.IdentityHashMap<>();
        for (int m : models) if (now[m]) byLayout.computeIfAbsent(sets[m], k -> new java.util.ArrayList<>()).add(m);
        double[] factor = new double[sumSquares.length];
        for (var e : byLayout.entrySet()) {
            int[] layout = e.getKey(), listed = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            for (int s = 1; s <= SETS; s++) {
                int count = 0;
                for (int v : layout) if (v == s) count++;
                if (count == 0) continue;
                Tensor[] held = new Tensor[count];
                int first = -1;
                for (int j = 0, k = 0; j < layout.length; j++)
                    if (layout[j] == s) {
                        held[k++] = params[j];
                        if (first < 0) first = j;
                    }
                for (int m : listed) factor[m] = factor(m, first, sumSquares[m]);
                be.scale(held, factor, listed);
            }
        }
    }
}
