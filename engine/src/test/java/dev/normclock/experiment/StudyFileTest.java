package dev.normclock.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void thePaperBPresetMatchesPaperBsCells() {
        StudyPlan s = StudyFile.load("paperb");
        assertEquals(List.of("mediation", "mediation_mse", "collapse", "samestate"), s.experiments().stream().map(ExperimentPlan::name).toList());
        for (ExperimentPlan e : s.experiments()) {
            assertEquals(switch (e.name()) {
                case "collapse" -> AnalysisKind.COLLAPSE;
                case "samestate" -> AnalysisKind.FORK;
                default -> AnalysisKind.MEDIATION;
            }, e.analysis());
            for (CellPlan c : e.cells()) {
                var ref = ReferenceLookup.of(e, c);
                assertTrue(ref.isPresent(), e.name() + "/" + c.id() + " has no paper cell");
                if (!e.name().equals("samestate")) // its released budget column is each arm's last T_grok
                    assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
                if (!Double.isNaN(ref.get().tau()))
                    assertEquals(ref.get().tau(), c.temperature(), 1e-12, e.name() + "/" + c.id() + ": temperature as the paper");
                assertEquals(ref.get().loss(), c.squaredError() ? "mse" : "ce");
            }
        }
        assertEquals(7 + 6 + 12 + 4, s.cells().count());
    }

    @Test
    void everyCellOfThePaperPresetHasThePapersCell() {
        StudyPlan s = StudyFile.load("paper");
        assertEquals(List.of("grokfss", "denserho", "efflr", "pscan", "normint", "tfnoln", "tfnormint", "mediation", "mediation_mse",
                        "collapse"),
                s.experiments().stream().map(ExperimentPlan::name).toList());
        for (ExperimentPlan e : s.experiments())
            for (CellPlan c : e.cells()) {
                var ref = ReferenceLookup.of(e, c);
                assertTrue(ref.isPresent(), e.name() + "/" + c.id() + " has no paper cell");
                assertEquals(ref.get().size(), c.seeds().length, e.name() + "/" + c.id() + ": seeds as the paper");
                assertEquals(ref.get().maxSteps(), c.maxSteps(), e.name() + "/" + c.id() + ": budget as the paper");
            }
        assertEquals(33 + 10 + 20 + 22 + 10 + 5 + 5 + 7 + 6 + 12, s.cells().count());
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
            "decay order | {arm: free, p: 23, max_steps: 10, decay_order: during} | decay_order: must be before (Paper A) or after"})
    void invalidFieldsAreNamed(String what, String cell, String message) {
        String text = "study: t\nexperiments:\n  - name: e\n    cells:\n      - " + cell + "\n";
        StudyFile.InvalidStudyException e = assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.parse(text, "t.yaml"));
        assertTrue(e.getMessage().contains(message), what + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith("t.yaml: "), "names the file: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
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
        assertTrue(assertThrows(StudyFile.InvalidStudyException.class, () -> StudyFile.load("no-such-preset-or-file")).getMessage()
                .contains("the presets are quick, paperb, paper, smoke"));
    }
}
