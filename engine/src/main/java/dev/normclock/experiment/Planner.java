package dev.normclock.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Groups a study's cells into populations: one per model and shape (p, f, d, H; for sparse parity
 * n, m, test points and H) and phase, at most
 * {@link #MAX_MODELS} models each. Phase 1 trains every free control (and the forking arms, which
 * need no Wc); phase 2 the clamped and rescaled arms, whose targets need the Wc phase 1 measured.
 */
public final class Planner {
    public static final int MAX_MODELS = 256;

    private Planner() {
    }

    public static List<PopulationPlan> plan(List<CellPlan> cells, int phase) {
        // arms that need no Wc (forks, one-shot scalings) train with the free controls
        Predicate<CellPlan> inPhase = phase == 1 ? c -> !c.arm().needsWc() : c -> c.arm().needsWc();
        Map<String, List<PopulationPlan.Slot>> byShape = new LinkedHashMap<>();
        for (CellPlan c : cells) {
            if (!inPhase.test(c)) continue;
            String shape = c.shapeKey();
            List<PopulationPlan.Slot> slots = byShape.computeIfAbsent(shape, k -> new ArrayList<>());
            for (int seed : c.seeds()) slots.add(new PopulationPlan.Slot(c, seed));
        }
        List<PopulationPlan> out = new ArrayList<>();
        byShape.forEach((shape, slots) -> {
            for (int from = 0, part = 0; from < slots.size(); from += MAX_MODELS, part++)
                out.add(new PopulationPlan("phase" + phase + "-" + shape + "-" + part, phase,
                        List.copyOf(slots.subList(from, Math.min(slots.size(), from + MAX_MODELS)))));
        });
        return out;
    }
}
