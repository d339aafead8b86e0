package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.RunOutcome;

/**
 * The small cell of the papers' own code (p = 41, f = 0.6, d = 32, H = 64, lr 3e-3, λ = 1, clamp
 * from 150) memorises and groks within 3000 steps, and held at 0.9·Wc it groks before held at
 * 1.1·Wc, with Wc measured by the free run, as the delay law says.
 */
class GrokkingEndToEndTest {

    private static CellSpec cell(double rho, double wc, int maxSteps) {
        return new CellSpec(41, 0.6, 32, 64, 3e-3, 1.0, false, rho, wc, Double.NaN, 150, 1.0,
                new int[]{0, 1, 2}, maxSteps, "every10", 0, 7L, 1e-6);
    }

    @Test
    void freeRunGroksAndTheClampOrdersTheDelay() {
        try (CpuBackend be = new CpuBackend(2)) {
            CellRunner runner = new CellRunner(be);
            CellResult free = runner.run(cell(Double.NaN, Double.NaN, 3000), null, 0, new PopulationTrainer.Listener() { });
            for (RunOutcome o : free.outcomes()) {
                assertTrue(o.tMem() > 0 && o.tMem() < 3000, "memorises: " + o);
                assertTrue(o.tGrok() > o.tMem() && o.tGrok() <= 3000, "groks after memorising: " + o);
            }
            assertEquals(3, free.grokkedCount());
            double wc = free.medianNormAtGrok();
            System.out.printf("free: median T_grok %.0f, Wc %.2f, %.0f model-steps/s%n", free.medianTGrok(), wc, free.modelStepsPerSecond());

            CellResult low = runner.run(cell(0.9, wc, 6000), null, 0, new PopulationTrainer.Listener() { });
            CellResult high = runner.run(cell(1.1, wc, 6000), null, 0, new PopulationTrainer.Listener() { });
            System.out.printf("0.9 Wc: median %.0f (%d/3); 1.1 Wc: median %.0f (%d/3)%n",
                    low.medianTGrok(), low.grokkedCount(), high.medianTGrok(), high.grokkedCount());
            assertEquals(3, low.grokkedCount());
            double highMedian = Double.isNaN(high.medianTGrok()) ? Double.POSITIVE_INFINITY : high.medianTGrok();
            assertTrue(low.medianTGrok() < highMedian, "0.9·Wc groks before 1.1·Wc");
            for (int i = 0; i < 3; i++) {
                int tl = low.outcomes()[i].tGrok(), th = high.outcomes()[i].tGrok();
                assertTrue(th < 0 || tl < th, "seed " + i + ": " + tl + " vs " + th);
            }
        }
    }
}
