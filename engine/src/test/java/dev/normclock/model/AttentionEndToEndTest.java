package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.RunOutcome;
import dev.normclock.task.ModularAddition;
import dev.normclock.train.EvalSchedule;
import dev.normclock.train.PopulationTrainer;
import dev.normclock.train.TrainerState;

/**
 * A short run of the attention model through {@link PopulationTrainer}: p = 23, d = 32, 4 heads,
 * MLP 64, f = 0.6, lr 3e-3, λ = 1, with and without LayerNorm (one population each, two seeds):
 * every model memorises its training set well within the budget, and the metrics stay finite.
 */
class AttentionEndToEndTest {
    static final int P = 23, STEPS = 400;

    @Test
    void memorisesThroughThePopulationTrainer() {
        ModularAddition task = new ModularAddition(P, 0.6);
        for (boolean ln : new boolean[]{false, true}) {
            int models = 2;
            Hyper hyper = new Hyper(models);
            List<String> log = new ArrayList<>();
            try (CpuBackend be = new CpuBackend(2);
                 AttentionPopulation pop = new AttentionPopulation(P, 32, 4, 64, ln, models, task.trainSize())) {
                for (int m = 0; m < models; m++) {
                    hyper.seed[m] = m;
                    hyper.lr[m] = 3e-3f;
                    hyper.weightDecay[m] = 1f;
                    pop.initialise(m, 99L, m);
                    pop.assign(m, task.split(99L, m));
                }
                PopulationTrainer.Settings settings = PopulationTrainer.Settings.uniform(models, STEPS, EvalSchedule.every(50, STEPS), 10_000);
                long t0 = System.nanoTime();
                RunOutcome[] out = new PopulationTrainer(be).run(pop, hyper, settings, new TrainerState(models), new PopulationTrainer.Listener() {
                    @Override
                    public void evaluated(int step, int[] slots, MlpPopulation.Metrics[] metrics) {
                        for (int m : slots) log.add("LN=" + ln + " step " + step + " slot " + m + " " + metrics[m]);
                    }
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("attention end-to-end LN=%s: %s in %.1f s%n", ln, java.util.Arrays.toString(out), seconds);
                for (int i = 0; i < log.size(); i += 4) System.out.println(log.get(i));
                for (RunOutcome o : out) assertTrue(o.tMem() > 0 && o.tMem() <= STEPS, "LN=" + ln + " memorises: " + o);
            }
        }
    }
}
