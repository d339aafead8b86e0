package dev.normclock.experiment;

import java.util.List;

/**
 * Models trained together: the seeds of one or more cells that share a shape ({@link CellPlan#shapeKey()}), each
 * slot with its own hyperparameters. {@code phase} 1 holds the free controls, phase 2 the arms
 * that need their Wc.
 */
public record PopulationPlan(String id, int phase, List<Slot> slots) {

    /** One model: a seed of a cell. */
    public record Slot(CellPlan cell, int seed) {
        /** Names the run across processes: a resumed study finds its runs by this key. */
        public String runKey(String study) {
            return study + "/" + cell.experiment() + "/" + cell.id() + "/seed" + seed;
        }
    }

    public CellPlan first() {
        return slots.getFirst().cell();
    }

    public int models() {
        return slots.size();
    }
}
