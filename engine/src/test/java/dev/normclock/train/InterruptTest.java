package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;

/** A stop request ends every unfinished model as interrupted, keeping what it had reached. */
class InterruptTest {

    @Test
    void stopEndsUnfinishedModelsAsInterrupted() {
        CellSpec cell = new CellSpec(11, 0.5, 8, 16, 3e-3, 1.0, false, Double.NaN, Double.NaN, Double.NaN, 500, 1.0,
                new int[]{0, 1}, 1000, "every5", 0, 1L, 1e-6);
        List<Integer> finishedAt = new ArrayList<>();
        PopulationTrainer.Listener stopAt50 = new PopulationTrainer.Listener() {
            int step;

            @Override
            public void stepped(int s, int active, int grokked) {
                step = s;
            }

            @Override
            public void finished(int slot, RunOutcome outcome) {
                finishedAt.add(outcome.finalStep());
            }

            @Override
            public boolean stopRequested() {
                return step >= 50;
            }
        };
        try (CpuBackend be = new CpuBackend(1)) {
            CellResult r = new CellRunner(be).run(cell, null, 0, stopAt50);
            for (RunOutcome o : r.outcomes()) {
                assertEquals(RunStatus.INTERRUPTED, o.status());
                assertEquals(50, o.finalStep());
            }
            assertEquals(List.of(50, 50), finishedAt, "the listener hears of every interrupted model");
            assertTrue(r.modelSteps() == 100, "2 models x 50 steps, got " + r.modelSteps());
        }
    }
}
