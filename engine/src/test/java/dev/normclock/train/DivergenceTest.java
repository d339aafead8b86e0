package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.ModularAddition.Split;

/** A model whose weights turn NaN is marked diverged at that step; the others train on unaffected. */
class DivergenceTest {

    private static RunOutcome[] train(boolean poison) {
        ModularAddition task = new ModularAddition(11, 0.5);
        int models = 3;
        Hyper hyper = new Hyper(models);
        Split[] splits = new Split[models];
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(11, 8, 16), models, task.trainSize())) {
            for (int m = 0; m < models; m++) {
                splits[m] = task.split(3L, m);
                pop.initialise(m, 3L, m, 1e-6);
                hyper.lr[m] = 3e-3f;
                hyper.weightDecay[m] = 1f;
            }
            if (poison) pop.w2.set(1, 2, 3, Float.NaN);
            PopulationTrainer.Settings s = PopulationTrainer.Settings.uniform(models, 60, EvalSchedule.every(20, 60), 0);
            RunOutcome[] out = new PopulationTrainer(be).run(pop, hyper, splits, s, new PopulationTrainer.Listener() { });
            if (poison) {
                // the healthy models' weights are finite
                for (float v : pop.w2.toArray(0)) assertTrue(Float.isFinite(v));
                for (float v : pop.w2.toArray(2)) assertTrue(Float.isFinite(v));
            }
            return out;
        }
    }

    @Test
    void nanInOneModelMarksItDivergedAndSparesTheOthers() {
        RunOutcome[] clean = train(false);
        RunOutcome[] poisoned = train(true);
        assertEquals(RunStatus.DIVERGED, poisoned[1].status());
        assertEquals(1, poisoned[1].finalStep(), "diverged at its first step");
        assertNotEquals(RunStatus.DIVERGED, poisoned[0].status());
        assertNotEquals(RunStatus.DIVERGED, poisoned[2].status());
        assertEquals(60, poisoned[0].finalStep());
        // the other models are unaffected by their neighbour: same outcome as without the NaN
        assertEquals(clean[0].status(), poisoned[0].status());
        assertEquals(clean[0].tMem(), poisoned[0].tMem());
        assertEquals(clean[2].tMem(), poisoned[2].tMem());
    }
}
