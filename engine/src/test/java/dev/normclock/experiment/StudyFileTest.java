package dev.normclock.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Study files: the presets read and match the paper's cells; every invalid field is named. */
class StudyFileTest {

    @Test
    void theQuickPresetIsTheDenseSweepsCellsAtEightSeeds() {
        StudyPlan s = StudyFile.load("quick");
        assertEquals(1, s.experiments().size());
        ExperimentPlan e = s.experiments().getFirst();
        assertEquals(AnalysisKind.DELAY_LAW, e.analysis());
        assertEquals(7, e.cells().size());
        assertEquals(56, s.models());
        for (CellPlan c : e.cells()) {
            assertTrue(ReferenceLookup.of(e, c).isPresent(), "the paper has cell " + c.id());
            assertEquals(ReferenceLookup.of(e, c).get().maxSteps(), c.maxSteps(), "budget of " + c.id() + " as the paper's (it sets the log grid)");
        }
    }

    @Test
    void theZooPresetIsTheAttentionModelsPaperCells() {
        StudyPlan s = StudyFile.load("zoo");
        assertEquals(List.of("tfnoln", "tfnormint"), s.experiments().stream().map(ExperimentPlan::name).toList());
        for (ExperimentPlan e : s.experiments())
            for (CellPlan c : e.cells()) {
                assertEquals("attention", c.model());
                var ref = ReferenceLookup.of(e, c);
                assertTrue(ref.isPresent(), e.name() + "/" + c.id() + " has no paper cell");
                assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
                if (c.arm() != Arm.FREE) assertEquals(ref.get().tInt(), c.tInt(), e.name() + "/" + c.id() + ": t_int as the paper");
            }
        assertEquals(6, s.cells().count());
    }

    @Test
    void thePaperBPresetMatchesPaperBsCells() {
        StudyPlan s = StudyFile.load("paperb");
        assertEquals(List.of("mediation", "mediation_mse", "mediation_p97", "mediation_mse_p97", "collapse", "collapse_p97", "samestate", "alloc",
                        "audit"), s.experiments().stream().map(ExperimentPlan::name).toList());
        for (ExperimentPlan e : s.experiments()) {
            assertEquals(switch (e.name()) {
                case "collapse", "collapse_p97" -> AnalysisKind.COLLAPSE;
                case "samestate" -> AnalysisKind.FORK;
                case "alloc" -> AnalysisKind.ALLOCATION;
                case "audit" -> AnalysisKind.PRECISION;
                default -> AnalysisKind.MEDIATION;
            }, e.analysis());
            for (CellPlan c : e.cells()) {
                assertTrue(c.untilCell(), "Paper B's protocol: every seed trains until its cell has grokked");
                var ref = ReferenceLookup.of(e, c);
                if (e.name().equals("audit")) continue; // Paper B's audit cells are not released: compared with its collapse cell where there is one
                assertTrue(ref.isPresent(), e.name() + "/" + c.id() + " has no paper cell");
                if (!e.name().equals("samestate")) // its released budget column is each arm's last T_grok
                    assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
                if (!Double.isNaN(ref.get().tau()))
                    assertEquals(ref.get().tau(), c.temperature(), 1e-12, e.name() + "/" + c.id() + ": temperature as the paper");
                assertEquals(ref.get().loss(), c.squaredError() ? "mse" : "ce");
            }
        }
        assertEquals(7 + 6 + 7 + 2 + 12 + 12 + 4 + 6 + 4, s.cells().count()); // alloc: its free control and five gammas
        assertTrue(s.experiments().getFirst().cells().stream().filter(c -> c.arm() == Arm.CLAMP).allMatch(CellPlan::wcFinal),
                "mediation's Wc is Paper B's: the median final-step norm");
    }

    /**
     * paper-cpu: every cell is the paper's but for the attention model's ρ = 0.90 and 0.95 (added to
     * fit α₂ where the paper's cells are too slow for a CPU), with the paper's budget and t_int; the
     * one-shot ×0.8 group scalings are the paper's layer arms, and efflr/normint hold at its fixed Wc.
     */
    @Test
    void thePaperCpuPresetIsThePapersCells() {
        StudyPlan s = StudyFile.load("paper-cpu");
        int layerArms = 0;
        for (ExperimentPlan e : s.experiments())
            for (CellPlan c : e.cells()) {
                var ref = ReferenceLookup.of(e, c);
                boolean added = e.name().equals("tfnoln") && (Math.abs(c.rho() - 0.9) < 1e-9 || Math.abs(c.rho() - 0.95) < 1e-9);
                assertEquals(!added, ref.isPresent(), e.name() + "/" + c.id());
                if (added) continue;
                assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
                if (c.arm() != Arm.FREE) assertEquals(ref.get().tInt(), c.tInt(), e.name() + "/" + c.id() + ": t_int as the paper");
                if (c.arm() == Arm.SCALE) {
                    layerArms++;
                    assertTrue(ref.get().cell().contains("__layer_") && ref.get().cell().endsWith("_f0.80"), ref.get().cell());
                }
                if (e.name().equals("efflr") || e.name().equals("normint") && c.arm().needsWc())
                    assertEquals(54.6, c.wc(), 1e-12, "held at the paper's fixed Wc: " + c.id());
            }
        assertEquals(4, layerArms, "E, W1, W2 and all scaled by 0.8 once");
    }

    @Test
    void everyCellOfThePaperPresetHasThePapersCell() {
        StudyPlan s = StudyFile.load("paper");
        assertEquals(List.of("grokfss", "denserho", "efflr", "pscan", "normint", "tfnoln", "tfnormint", "parity", "mediation", "mediation_mse",
                        "collapse", "alloc", "audit"),
                s.experiments().stream().map(ExperimentPlan::name).toList());
        for (ExperimentPlan e : s.experiments())
            for (CellPlan c : e.cells()) {
                var ref = ReferenceLookup.of(e, c);
                if (e.name().equals("audit")) continue; // Paper B's audit cells are not released
                assertTrue(ref.isPresent(), e.name() + "/" + c.id() + " has no paper cell");
                // sparse parity is cheap but runs 12 of the paper's 16 seeds
                assertEquals(e.name().equals("parity") ? 12 : ref.get().size(), c.seeds().length, e.name() + "/" + c.id() + ": seeds");
                assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
                if (c.arm() != Arm.FREE) assertEquals(ref.get().tInt(), c.tInt(), e.name() + "/" + c.id() + ": t_int as the paper");
            }
        assertEquals(33 + 10 + 20 + 22 + 14 + 5 + 5 + 4 + 7 + 6 + 12 + 6 + 4, s.cells().count()); // normint: 10 and the 4 scalings; alloc: a control and 5 gammas
    }

    @Test
    void listsExpandIntoEveryCombinationAndSeedsCountFromZero() {
        StudyPlan s = StudyFile.parse("""
                study: t
                experiments:
                  - name: e
                    cells:
                      - {arm: free, p: [23, 29], train_frac: [0.4, 0.5], max_steps: 100, seeds: 3}
                      - {arm: clamp, p: 23, train_frac: 0.4, rho: [0.9, 1.1], max_steps: 1000, seeds: [4, 7]}
                """, "test");
        List<CellPlan> cells = s.experiments().getFirst().cells();
        assertEquals(6, cells.size());
        assertEquals(List.of(23, 23, 29, 29), cells.subList(0, 4).stream().map(CellPlan::p).toList());
        assertEquals(3, cells.getFirst().seeds().length);
        assertEquals(7, cells.getLast().seeds()[1]);
        assertEquals(1.1, cells.getLast().rho());
        assertTrue(cells.get(0).isControlOf(cells.get(5)));
    }

    @Test
    void paperBFieldsReachTheCellAndItsId() {
        StudyPlan s = StudyFile.parse("""
                study: b
                experiments:
                  - name: mediation
                    reference: denserho
                    defaults: {p: 59, max_steps: 1000}
                    cells:
                      - {arm: free, temperature: 1.3}
                      - {arm: clamp, rho: 1.15, temperature: 1.3, clamp_group: W2}
                      - {arm: free, loss: mse}
                      - {arm: clamp, rho: 1.15, loss: mse}
                """, "b.yaml");
        ExperimentPlan e = s.experiments().getFirst();
        List<CellPlan> c = e.cells();
        assertEquals(1.3, c.get(1).temperature());
        assertEquals(3, c.get(1).clampGroup());
        assertTrue(c.get(1).id().endsWith("_rho1.15_W2_tau1.30"), c.get(1).id());
        assertTrue(c.get(3).squaredError() && c.get(3).id().endsWith("_mse"), c.get(3).id());
        assertTrue(c.get(0).isControlOf(c.get(1)) && !c.get(2).isControlOf(c.get(1)), "a control shares τ and the loss");
        assertTrue(c.get(2).isControlOf(c.get(3)));
        assertTrue(ReferenceLookup.of(e, c.get(1)).isEmpty(), "Paper B's settings are not Paper A's cells");
        var bad = assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(
                "study: t\nexperiments:\n  - {name: a, cells: [{arm: free, p: 23, max_steps: 5, loss: hinge}]}\n", "f"));
        assertTrue(bad.getMessage().contains("experiments[0].cells[0].loss: must be ce or mse"), bad.getMessage());
    }

    @Test
    void sparseParityCellsTakeThePapersDefaultsAndSayTheirTaskInIdAndConfig() {
        StudyPlan s = StudyFile.parse("""
                study: t
                defaults: {train_frac: 0.6, d: 32, p: 41}
                experiments:
                  - name: parity
                    reference: parity
                    defaults: {model: parity-mlp, max_steps: 50000}
                    cells:
                      - {arm: free}
                      - {arm: clamp, rho: [0.90, 1.30]}
                      - {arm: clamp, rho: 1.30, parity_n: 20}
                      - {arm: free, parity_n: 20}
                      - {arm: free, parity_m: 600, parity_test: 500, hidden: 64, t_int: 150, seeds: 3}
                  - name: mixed
                    cells:
                      - {arm: free, max_steps: 100}
                """, "t.yaml");
        ExperimentPlan e = s.experiment("parity");
        List<CellPlan> c = e.cells();
        CellPlan free = c.get(0), held = c.get(2);
        assertEquals(new dev.normclock.task.SparseParity(30, 3, 1000, 2000), free.parity(), "the CLI's parity defaults");
        assertEquals(512, free.hidden());
        assertEquals(1000, held.tInt(), "PROTOCOL §3: parity holds the norm from step 1000");
        assertEquals("parity_n30_k3_m1000_H512_wd1_lr1e-3_free", free.id());
        assertEquals("parity_n30_k3_m1000_H512_wd1_lr1e-3_clamp_rho1.30", held.id());
        assertEquals("parity_n30_k3_m600_H64_wd1_lr1e-3_free_test500", c.get(5).id());
        assertEquals(64, c.get(5).hidden());
        assertEquals(150, c.get(5).tInt());
        var config = held.config();
        assertEquals("sparse_parity", config.get("task"));
        assertEquals("parity-mlp", config.get("model"));
        assertEquals(List.of(30, 3, 1000, 2000), List.of(config.get("parity_n"), config.get("parity_k"), config.get("parity_m"),
                config.get("parity_test")));
        assertEquals(null, config.get("p"), "the study's default p is modular addition's, not the parity cell's");
        assertEquals(0, held.p());
        assertTrue(Double.isNaN(held.trainFrac()));
        assertTrue(free.isControlOf(held) && free.isControlOf(c.get(1)));
        assertTrue(!free.isControlOf(c.get(3)) && c.get(4).isControlOf(c.get(3)), "a control shares n");
        assertTrue(!c.get(5).isControlOf(held), "and m, the test size and H");
        CellPlan modular = s.experiment("mixed").cells().getFirst();
        assertEquals(41, modular.p());
        assertTrue(!modular.isParity() && modular.id().startsWith("p41_f0.60_d32_H256"), modular.id());
        assertTrue(!free.shapeKey().equals(c.get(4).shapeKey()) && free.shapeKey().equals(held.shapeKey()), "one population per parity shape");
    }

    @Test
    void parityCellsFindPaperAsReleasedParityCells() {
        StudyPlan s = StudyFile.parse("""
                study: t
                experiments:
                  - name: parity
                    reference: parity
                    defaults: {model: parity-mlp, max_steps: 50000}
                    cells:
                      - {arm: free}
                      - {arm: clamp, rho: [0.90, 1.10, 1.30]}
                      - {arm: free, parity_n: 20}
                      - {arm: free, hidden: 256}
                      - {arm: free, parity_m: 600}
                      - {arm: clamp, rho: 1.30, t_int: 500, id: held_early}
                """, "t.yaml");
        ExperimentPlan e = s.experiments().getFirst();
        List<CellPlan> c = e.cells();
        var free = ReferenceLookup.of(e, c.get(0)).orElseThrow();
        assertEquals("adamw_n30_k3_m1000_H512_wd1e00_lr1e-03__free", free.cell());
        assertEquals(20.625, free.medianNormAtGrok(), 1e-9, "PROTOCOL §5: free sparse parity groks at ‖W‖ ≈ 20.6");
        assertEquals(2647.5, free.tGrok().median(), 1e-9, "(T ≈ 2648)");
        assertEquals("adamw_n30_k3_m1000_H512_wd1e00_lr1e-03__clamp_rho0.90", ReferenceLookup.of(e, c.get(1)).orElseThrow().cell());
        assertTrue(ReferenceLookup.of(e, c.get(2)).isEmpty(), "the paper has no ρ = 1.10");
        var held = ReferenceLookup.of(e, c.get(3)).orElseThrow();
        assertEquals(6538.5, held.tGrok().median(), 1e-9, "PROTOCOL §5: clamp ρ = 1.30 → T ≈ 6539");
        assertEquals("adamw_n20_k3_m1000_H512_wd1e00_lr1e-03__free", ReferenceLookup.of(e, c.get(4)).orElseThrow().cell());
        assertTrue(ReferenceLookup.of(e, c.get(5)).isEmpty(), "H differs");
        assertEquals("adamw_n30_k3_m600_H512_wd1e00_lr1e-03__free", ReferenceLookup.of(e, c.get(6)).orElseThrow().cell());
        assertTrue(ReferenceLookup.of(e, c.get(7)).isEmpty(), "held from another step");
        assertEquals(6538.5 + c.get(3).retireWindow(), ReferenceLookup.expectedSteps(e, c.get(3)), 1e-9, "the plan expects the paper's T_grok");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "k above n | {arm: free, model: parity-mlp, parity_n: 20, parity_k: 25, max_steps: 10} | experiments[0].cells[0].parity_k: the relevant bits are among the parity_n = 20 input bits, so k must be from 1 to 20; got 25",
            "m missing | {arm: free, model: parity-mlp, parity_m: null, max_steps: 10} | experiments[0].cells[0].parity_m: missing",
            "m zero | {arm: free, model: parity-mlp, parity_m: 0, max_steps: 10} | experiments[0].cells[0].parity_m: must be a whole number from 1",
            "n not a number | {arm: free, model: parity-mlp, parity_n: many, max_steps: 10} | experiments[0].cells[0].parity_n: must be a whole number",
            "p on parity | {arm: free, model: parity-mlp, p: 41, max_steps: 10} | experiments[0].cells[0].p: the parity-mlp model learns sparse parity, which has no p",
            "parity field on the mlp | {arm: free, p: 41, parity_n: 20, max_steps: 10} | experiments[0].cells[0].parity_n: applies to model: parity-mlp only; this cell's model is mlp",
            "layer norm | {arm: free, model: parity-mlp, layer_norm: true, max_steps: 10} | experiments[0].cells[0].layer_norm: only the attention model has LayerNorms",
            "clamp group | {arm: clamp, model: parity-mlp, rho: 1, wc: 20, clamp_group: E, max_steps: 2000} | experiments[0].cells[0].clamp_group: must be one of W1, W2, all for the parity-mlp model",
            "model | {arm: free, model: parity, max_steps: 10} | experiments[0].cells[0].model: must be mlp, attention or parity-mlp; got 'parity'",
            "no parity control | {arm: clamp, model: parity-mlp, rho: 1.3, max_steps: 2000} | needs the Wc of a free control with parity_n=30, parity_k=3, parity_m=1000, parity_test=2000, hidden=512"})
    void invalidParityFieldsAreNamed(String what, String cell, String message) {
        invalidFieldsAreNamed(what, cell, message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown field | {arm: free, p: 23, max_steps: 10, rhoo: 1} | experiments[0].cells[0].rhoo: unknown field",
            "rho on a free cell | {arm: free, p: 23, max_steps: 10, rho: 1.0} | experiments[0].cells[0].rho: a free cell has no clamp",
            "bad arm | {arm: held, p: 23, max_steps: 10} | experiments[0].cells[0].arm: must be one of free, clamp, rescale",
            "p too small | {arm: free, p: 1, max_steps: 10} | experiments[0].cells[0].p: must be a whole number from 2",
            "negative lr | {arm: free, p: 23, max_steps: 10, lr: -1} | experiments[0].cells[0].lr: must be > 0",
            "missing budget | {arm: free, p: 23} | experiments[0].cells[0].max_steps: missing",
            "budget before t_int | {arm: clamp, p: 23, rho: 1, wc: 40, max_steps: 100} | max_steps: 100 ends before the clamp starts at t_int=500",
            "no control | {arm: clamp, p: 23, rho: 1, max_steps: 1000} | needs the Wc of a free control with p=23",
            "bad grid | {arm: free, p: 23, max_steps: 10, eval_grid: sometimes} | experiments[0].cells[0].eval_grid: unknown evaluation grid",
            "fraction | {arm: free, p: 23, max_steps: 10, train_frac: 1.5} | experiments[0].cells[0].train_frac: must be > 0",
            "seed twice | {arm: free, p: 23, max_steps: 10, seeds: [1, 1]} | experiments[0].cells[0].seeds: a seed is listed twice",
            "decay order | {arm: free, p: 23, max_steps: 10, decay_order: during} | decay_order: must be before (Paper A) or after",
            "precision | {arm: free, p: 23, max_steps: 10, precision: float16} | precision: must be float32 or float64; got 'float16'",
            "alloc without control | {arm: clamp, p: 23, rho: 1, wc: 40, max_steps: 1000, alloc_gamma: 0.3} | takes its shares of E, W1 and W2 from a free control with p=23",
            "alloc on a free cell | {arm: free, p: 23, max_steps: 10, alloc_gamma: 0.3} | alloc_gamma: an allocation holds the norm from t_int: it needs arm: clamp",
            "alloc with a group | {arm: clamp, p: 23, rho: 1, wc: 40, max_steps: 1000, clamp_group: W2, alloc_gamma: 0.3} | clamp_group: an allocation holds E, W1 and W2 each at its own target",
            "alloc on attention | {arm: clamp, model: attention, p: 23, d: 32, rho: 1, wc: 40, max_steps: 1000, alloc_gamma: 0.3} | alloc_gamma: Paper B",
            "alloc hold | {arm: clamp, p: 23, rho: 1, wc: 40, max_steps: 1000, alloc_gamma: 0.3, alloc_hold: true} | experiments[0].cells[0].alloc_hold: removed: an allocation now follows Paper B",
            "alloc gamma | {arm: clamp, p: 23, rho: 1, wc: 40, max_steps: 1000, alloc_gamma: -1} | alloc_gamma: must be > -1"})
    void invalidFieldsAreNamed(String what, String cell, String message) {
        String text = "study: t\nexperiments:\n  - name: e\n    cells:\n      - " + cell + "\n";
        StudyFile.InvalidStudyException e = assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(text, "t.yaml"));
        assertTrue(e.getMessage().contains(message), what + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith("t.yaml: "), "names the file: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }

    @Test
    void allocationAndPrecisionCellsHaveTheirOwnIdsPopulationsAndReferences() {
        StudyPlan s = StudyFile.load("paperb");
        ExperimentPlan alloc = s.experiments().stream().filter(e -> e.name().equals("alloc")).findFirst().orElseThrow();
        CellPlan up = alloc.cells().stream().filter(c -> c.allocGamma() == 0.3).findFirst().orElseThrow();
        assertTrue(up.id().endsWith("_clamp_rho1.00_alloc+0.30"), up.id());
        assertEquals(-1, up.clampGroup(), "an allocation holds E, W1 and W2, not one group");
        assertEquals(0.3, (Double) up.config().get("alloc_gamma"));
        assertTrue(alloc.cells().stream().anyMatch(c -> c.isControlOf(up)), "the free control whose shares the allocation takes");
        assertEquals("mlp_ce_full_p59_alloc_g+0.30", ReferenceLookup.of(alloc, up).orElseThrow().cell());
        ExperimentPlan audit = s.experiments().stream().filter(e -> e.name().equals("audit")).findFirst().orElseThrow();
        CellPlan f32 = audit.cells().get(0), f64 = audit.cells().get(1);
        assertEquals(dev.normclock.backend.Precision.FLOAT64, f64.precision());
        assertTrue(f64.id().endsWith("_float64") && !f32.id().endsWith("_float64"), f32.id() + " / " + f64.id());
        assertEquals("float64", f64.config().get("precision"));
        assertNotEquals(f32.shapeKey(), f64.shapeKey(), "the two precisions train in separate populations");
        assertEquals(ReferenceLookup.of(audit, f32).orElseThrow().cell(), ReferenceLookup.of(audit, f64).orElseThrow().cell());
    }

    @Test
    void studyLevelErrors() {
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse("study: [unclosed", "f")).getMessage()
                .contains("not valid YAML"));
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse("study: t\n", "f")).getMessage()
                .contains("experiments: give a list"));
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(
                "study: t\nexperiments:\n  - {name: a, cells: [{arm: free, p: 23, max_steps: 5}]}\n  - {name: a, cells: [{arm: free, p: 23, max_steps: 5}]}\n",
                "f")).getMessage().contains("'a' names two experiments"));
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(
                "study: t\nexperiments:\n  - {name: a, analysis: magic, cells: [{arm: free, p: 23, max_steps: 5}]}\n", "f")).getMessage()
                .contains("experiments[0].analysis: must be one of critical_norm, delay_law"));
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(
                "study: t\nexperiments:\n  - {name: a, analysis: scaling, cells: [{arm: free, model: parity-mlp, max_steps: 5}]}\n", "f"))
                .getMessage().contains("experiments[0].analysis: scaling fits the delay law across p, which sparse-parity cells do not have"));
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.load("no-such-preset-or-file")).getMessage()
                .contains("the presets are quick, paperb, paper-cpu, zoo, paper, smoke"));
    }
}
