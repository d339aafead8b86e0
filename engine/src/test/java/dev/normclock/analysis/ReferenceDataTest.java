package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.normclock.analysis.ReferenceData.Paper;

class ReferenceDataTest {

    @Test
    void loadsEveryRowAndGroupsCells() {
        assertEquals(2532, ReferenceData.paperA().size()); // wc -l minus the header
        assertEquals(1572, ReferenceData.paperB().size());
        assertEquals(159, ReferenceData.cells().size()); // distinct (experiment, cell) pairs
        assertEquals(139, ReferenceData.cells(Paper.B).size());
        assertEquals(2532, ReferenceData.cells().stream().mapToInt(ReferenceCell::size).sum());
        assertSame(ReferenceData.paperA(), ReferenceData.paperA()); // cached
    }

    @Test
    void paperBMediationCellsByLossAndTemperature() {
        assertTrue(ReferenceData.isPaperB("mediation"));
        assertFalse(ReferenceData.isPaperB("denserho"));
        // awk over paperB_per_seed.csv: the 12 seeds of mlp_ce_full_p59_up_rho1.15_tau1.30 have median T_grok 6825
        ReferenceCell up = ReferenceData.findB("mediation", 59, 0.4, 1.0, 1e-3, "clamp", 1.15, "ce", 1.3).orElseThrow();
        assertEquals("mlp_ce_full_p59_up_rho1.15_tau1.30", up.cell());
        assertEquals(6825.0, up.tGrok().median());
        // under MSE the control is also a clamp at rho = 1: the base cell is the one meant
        ReferenceCell base = ReferenceData.findB("mediation", 59, 0.4, 1.0, 1e-3, "clamp", 1.0, "mse", 1.0).orElseThrow();
        assertEquals("mlp_mse_full_p59_base_rho1.00_tau1.00", base.cell());
        assertTrue(ReferenceData.findB("mediation", 59, 0.4, 1.0, 1e-3, "clamp", 1.15, "ce", 1.2).isEmpty(), "no tau = 1.2 cell");
    }

    @Test
    void denseRhoCellAtRhoOne() {
        ReferenceCell c = ReferenceData.find("denserho", 59, 0.4, 1.0, 1e-3, "clamp", 1.0).orElseThrow();
        assertEquals("adamw_p59_a0.40_d128_H256_wd1e00_lr1e-03_clamp_rho1.00", c.cell());
        assertEquals(16, c.size());
        assertEquals(54.5133, c.wc());
        assertEquals(500, c.tInt());
        assertEquals(12000, c.maxSteps());
        // awk -F, '$1=="denserho" && $2 ~ /clamp_rho1.00$/ {print $20}' paperA_per_seed.csv | sort -n
        // -> 3160 3418 3509 3697 3697 3795 3795 3999 3999 3999 4214 4214 4214 4326 4558 4803: the 8th and
        // 9th are both 3999.
        assertEquals(3999.0, c.tGrok().median());
        assertEquals(16, c.tGrok().reached());
    }

    @Test
    void pscanCellMatchesTheReadme() {
        // The README quotes median T_grok 4053.5 for pscan p = 59, ρ = 1.00 (12 seeds): (3996 + 4111)/2.
        ReferenceCell c = ReferenceData.find("pscan", 59, 0.4, 1.0, 0.001, "clamp", 1.0).orElseThrow();
        assertEquals(12, c.size());
        assertEquals(4053.5, c.tGrok().median());
    }

    @Test
    void freeControlNormAtGrok() {
        ReferenceCell c = ReferenceData.find("denserho", 59, 0.4, 1.0, 1e-3, "free", Double.NaN).orElseThrow();
        assertEquals("none", c.arm());
        // awk: sorted norm_at_grok of the 16 ctrl seeds, 8th 54.4733 and 9th 54.5534.
        assertEquals((54.4733 + 54.5534) / 2, c.medianNormAtGrok(), 1e-12);
    }

    @Test
    void grokfssCensoring() {
        // awk -F, '$1=="grokfss" && $4==29 && $5==0.3 {n++; if($20==-1)c++} END{print n, c}' -> 20 20
        ReferenceCell none = ReferenceData.find("grokfss", 29, 0.30, 1.0, 1e-3, "free", Double.NaN).orElseThrow();
        assertEquals(20, none.size());
        assertEquals(20, none.size() - none.tGrok().reached());
        assertTrue(none.tGrok().medianIsCensored());
        assertTrue(Double.isNaN(none.tGrok().median()));
        assertTrue(Double.isNaN(none.medianNormAtGrok()));
        // p = 29, f = 0.40: 8 of 20 censored; the 10th and 11th of the sorted observed values
        // (18158 … 36745 41537 … 45537) give (36745 + 41537)/2 = 39141.
        ReferenceCell some = ReferenceData.find("grokfss", 29, 0.40, 1.0, 1e-3, "free", 1.0).orElseThrow();
        assertEquals(12, some.tGrok().reached());
        assertEquals(39141.0, some.tGrok().median());
    }

    @Test
    void emptyFieldsAndPaperBColumns() {
        ReferenceRun parity = ReferenceData.paperA().stream().filter(r -> r.experiment().equals("parity")).findFirst().orElseThrow();
        assertEquals(-1, parity.p());
        assertTrue(Double.isNaN(parity.trainFrac()));
        assertEquals(20, parity.parityN());
        assertEquals(3, parity.parityK());
        assertEquals(1000, parity.parityM());
        assertEquals(512, parity.hidden());
        assertNull(parity.loss());
        assertEquals(-1, parity.tFork());

        // First data row of paperB_per_seed.csv.
        ReferenceRun b = ReferenceData.paperB().getFirst();
        assertEquals("dose", b.experiment());
        assertEquals("mlp", b.model());
        assertEquals("ce", b.loss());
        assertEquals(113, b.p());
        assertEquals(70.5184, b.wc());
        assertEquals(2186, b.maxSteps());
        assertEquals(975, b.tGrok());
        assertEquals(59.9406, b.normAtGrok());
        assertTrue(Double.isNaN(b.tau()));
        assertEquals(-1, b.tFork());
        assertEquals(-1, b.parityN());

        ReferenceRun fork = ReferenceData.paperB().stream().filter(r -> r.experiment().equals("samestate")).findFirst().orElseThrow();
        assertEquals(800, fork.tFork());
        assertEquals(-1, fork.d());
        assertTrue(fork.grokked());
        assertTrue(Double.isNaN(fork.normAtGrok()));
    }

    @Test
    void everyCellButSparseParityIsFoundByItsOwnConfiguration() {
        int checked = 0;
        for (ReferenceCell c : ReferenceData.cells()) {
            if (c.experiment().startsWith("parity")) continue;
            assertSame(c, ReferenceData.find(c.experiment(), c.p(), c.trainFrac(), c.wd(), c.lr(), c.armKind(), c.rho()).orElseThrow(),
                c.cell());
            checked++;
        }
        assertEquals(159 - 15, checked); // 7 parity + 8 parity_lambda cells
        // Sparse parity cells differ in n and m, which find does not take: ambiguous, and said so.
        assertThrows(IllegalStateException.class, () -> ReferenceData.find("parity", -1, Double.NaN, 1.0, 1e-3, "free", Double.NaN));
    }

    @Test
    void armKinds() {
        assertEquals("free", ReferenceRun.armKind("fss", "adamw_p29_a0.30_d128_H256_wd1e00_lr1e-03"));
        assertEquals("free", ReferenceRun.armKind("ab", "adamw_p59_a0.50_d128_H256_wd1e00_lr3e-03"));
        assertEquals("clamp", ReferenceRun.armKind("clamp", "adamw_p59_a0.40_d128_H256_wd1e00_lr1e-03__clamp_rho0.90"));
        assertEquals("clamp_unembed", ReferenceRun.armKind("clamp", "adamw_p71_a0.40_d128_h4_H512_wd1e+00_lr1e-03__clamp_unembed_rho1.00"));
        assertEquals("layer_embed", ReferenceRun.armKind("layer", "adamw_p59_a0.40_d128_H256_wd1e00_lr1e-03__layer_embed_f0.80"));
        assertEquals("clamp_same", ReferenceRun.armKind("clamp_same", "p59_clamp_same"));
    }

    @Test
    void matchingUsesARelativeTolerance() {
        assertTrue(ReferenceData.find("denserho", 59, 0.4 * (1 + 1e-12), 1.0, 1e-3 * (1 - 1e-12), "clamp", 1.0).isPresent());
        assertFalse(ReferenceData.find("denserho", 59, 0.4, 1.0, 1.001e-3, "clamp", 1.0).isPresent());
        assertFalse(ReferenceData.find("denserho", 59, 0.4, 1.0, 1e-3, "clamp", 1.01).isPresent());
        assertFalse(ReferenceData.find("denserho", 59, 0.4, 1.0, 1e-3, "rescale", 1.0).isPresent());
        assertTrue(ReferenceData.find("normint", 59, 0.4, 1.0, 1e-3, "rescale", 0.7).isPresent());
        assertTrue(ReferenceData.find("normint", 59, 0.4, 1.0, 1e-3, "layer_embed", 1.0).isPresent());
        // tfnormint's only ρ = 1.00 clamp is on the unembedding alone: "clamp" (whole model) must not match it.
        assertFalse(ReferenceData.find("tfnormint", 71, 0.4, 1.0, 1e-3, "clamp", 1.0).isPresent());
        assertEquals("adamw_p71_a0.40_d128_h4_H512_wd1e+00_lr1e-03__clamp_unembed_rho1.00",
            ReferenceData.find("tfnormint", 71, 0.4, 1.0, 1e-3, "clamp_unembed", 1.0).orElseThrow().cell());
        // Paper B.
        ReferenceCell dose = ReferenceData.find(Paper.B, "dose", 113, 0.4, 1.0, 1e-3, "clamp", 0.85).orElseThrow();
        assertEquals("mlp_ce_full_p113_clamp_rho0.85", dose.cell());
    }
}
