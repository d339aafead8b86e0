package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.experiment.Reproduction;
import dev.normclock.experiment.StudyFile;
import dev.normclock.results.ResultsException;

/**
 * The smoke preset end to end: trained, then analysed. Every cell's median is the censored median
 * of its seeds in the database; the delay law comes out increasing in ρ; the Wc power law, the
 * one-shot and held ratios and the claims are there; analysis.json reads back to the same result.
 */
class StudyAnalysisTest {
    static Path dir;
    static StudyResult result;

    @BeforeAll
    static void trainSmoke(@TempDir Path tmp) throws IOException {
        dir = tmp.resolve("smoke");
        try (CpuBackend be = new CpuBackend(2)) {
            Reproduction.Summary s = new Reproduction(be, dir, new Reproduction.Progress() { }, 60).run(StudyFile.load("smoke"), "test");
            assertTrue(!s.interrupted() && s.skipped().isEmpty(), s.toString());
        }
        result = StudyAnalysis.analyze(dir);
    }

    @Test
    void everyCellIsSummarisedFromItsSeeds() {
        assertEquals(StudyFile.load("smoke").cells().count(), result.cells().size());
        for (StudyResult.Cell c : result.cells()) {
            assertEquals(c.seeds(), c.finished(), c.cell());
            int[] t = c.tGrok().stream().mapToInt(Integer::intValue).toArray();
            double median = CensoredSample.fromSteps(t).median();
            assertEquals(Double.isNaN(median) ? null : median, c.medianTGrok(), c.experiment() + "/" + c.cell());
            if (c.medianTGrok() != null) assertTrue(c.ciLo() <= c.medianTGrok() && c.medianTGrok() <= c.ciHi(), c.toString());
            if (c.arm().equals("clamp") || c.arm().equals("rescale")) assertNotNull(c.wc(), "clamped cells record the Wc they used");
        }
    }

    @Test
    void theDelayLawIncreasesWithRho() {
        StudyResult.Fit f = result.fits().stream().filter(x -> x.experiment().equals("delay") && x.kind().equals("delay_law")).findFirst()
                .orElseThrow(() -> new AssertionError("no delay-law fit: " + result.fits() + " " + result.notes()));
        assertTrue(f.slope() > 0, "T_grok grows with rho: " + f);
        assertTrue(f.points() >= 2 && f.r2() >= 0 && f.r2() <= 1, f.toString());
        assertTrue(f.lo() == null || f.lo() <= f.hi(), f.toString());
        StudyResult.Claim alpha = claim("delay.alpha.p41");
        assertEquals(f.slope(), alpha.ours());
        assertEquals("no paper value", alpha.verdict(), "smoke cells are not the paper's");
    }

    @Test
    void theCriticalNormAndTheOneShotArmsAreAnalysed() {
        assertTrue(result.fits().stream().anyMatch(f -> f.kind().equals("critical_norm") && f.points() == 2), result.fits().toString());
        for (String p : List.of("p31", "p41")) {
            StudyResult.Claim wc = result.claims().stream().filter(c -> c.id().startsWith("wc.wc." + p + "_")).findFirst().orElseThrow();
            assertNotNull(wc.ours(), wc.toString());
            assertTrue(wc.lo() <= wc.ours() && wc.ours() <= wc.hi(), "Wc with its bootstrap interval: " + wc);
        }
        assertNotNull(claim("wc.wc_beta").ours());
        assertNotNull(claim("oneshot.rescale_ratio").ours());
        assertNotNull(claim("oneshot.clamp_ratio").ours());
    }

    @Test
    void theLeverAndTheScalingLawAreAnalysed() {
        assertNotNull(claim("lever.norm_lever").ours());
        assertNotNull(claim("lever.lr_lever_high").ours());
        assertNotNull(claim("lever.lr_lever_low").ours());
        assertTrue(claim("lever.norm_lever").ours() > 1, "a higher held norm delays grokking");
        StudyResult.Fit shared = result.fits().stream().filter(f -> f.kind().equals("shared_delay_law")).findFirst()
                .orElseThrow(() -> new AssertionError("no shared fit: " + result.fits() + " " + result.notes()));
        assertEquals(2, shared.intercepts().size(), shared.toString());
        assertTrue(shared.slope() > 0, shared.toString());
        assertNotNull(claim("scaling.shared_alpha").ours());
    }

    @Test
    void forkingArmsArePairedByTheirSeeds() {
        StudyResult.Claim c = claim("fork.fork_ratio.rho1.05");
        assertTrue(c.ours() > 1, "held above its own norm, a fork groks later: " + c);
        for (StudyResult.Cell cell : result.cells())
            if (cell.arm().equals("fork")) assertEquals(null, cell.wc(), "a fork's target is its own norm, not a Wc");
    }

    @Test
    void temperatureMediationIsMeasuredOnPairedSeeds() {
        StudyResult.Claim delay = claim("mediation.norm_delay");
        assertTrue(delay.ours() > 1, "held further above Wc, the model groks later: " + delay);
        StudyResult.Claim recovery = claim("mediation.recovery");
        assertTrue(recovery.statement().contains("(T1 − T2) / (T1 − T0)"), recovery.toString());
        assertEquals("no paper value", recovery.verdict(), "smoke cells are not the paper's");
        if (recovery.ours() != null && recovery.lo() != null)
            assertTrue(recovery.lo() <= recovery.ours() && recovery.ours() <= recovery.hi(), "the bootstrap interval holds the estimate: " + recovery);
        List<StudyResult.Cell> cells = result.cells().stream().filter(c -> c.experiment().equals("mediation")).toList();
        assertEquals(4, cells.size(), "control, base and two temperatures of the up arm");
    }

    @Test
    void theCollapseGridIsFittedOnTheLogitScaleAndOnRho() {
        StudyResult.Claim onScale = claim("collapse.r2_logit_scale"), onRho = claim("collapse.r2_rho");
        assertNotNull(onScale.ours(), "R² of ln T on the logit scale: " + onScale);
        assertNotNull(onRho.ours(), "R² of ln T on rho: " + onRho);
        assertTrue(onScale.ours() >= 0 && onScale.ours() <= 1 && onRho.ours() >= 0 && onRho.ours() <= 1);
        assertEquals(2, result.fits().stream().filter(f -> f.experiment().equals("collapse")).count());
    }

    @Test
    void theAttentionModelsUnembeddingClampIsAnalysed() {
        List<StudyResult.Cell> cells = result.cells().stream().filter(c -> c.experiment().equals("attention")).toList();
        assertEquals(3, cells.size());
        for (StudyResult.Cell c : cells) assertTrue(c.grokked() > 0, "the tiny LayerNorm attention model groks: " + c);
        assertNotNull(cells.get(1).wc(), "held at rho times the control's ||U|| at grok");
        assertEquals(cells.get(1).wc(), cells.get(2).wc(), "both arms multiply the same Wc of U");
        assertTrue(cells.get(1).wc() < cells.get(0).medianNormAtGrok(), "||U|| alone is less than the whole norm at grok");
    }

    @Test
    void sparseParityIsTrainedStoredAndAnalysedLikeTheMlp() {
        List<StudyResult.Cell> cells = result.cells().stream().filter(c -> c.experiment().equals("parity")).toList();
        assertEquals(4, cells.size(), "free control and three held arms");
        for (StudyResult.Cell c : cells) {
            assertEquals(new StudyResult.Parity(16, 3, 400, 500), c.parity(), c.cell());
            assertTrue(c.cell().startsWith("parity_n16_k3_m400_H64"), c.cell());
            assertEquals(c.seeds(), c.grokked(), "the tiny parity task groks in every seed: " + c);
        }
        assertEquals(cells.getFirst().medianNormAtGrok(), cells.get(1).wc(), "held at rho times the free control's Wc");
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir)) {
            var runs = store.allRuns().stream().filter(r -> Reproduction.runKey(r).startsWith("smoke/parity/")).toList();
            assertEquals(12, runs.size());
            for (var r : runs) {
                assertEquals("parity-mlp", r.spec().model());
                assertTrue(r.spec().configJson().contains("\"task\":\"sparse_parity\"") && r.spec().configJson().contains("\"parity_n\":16"),
                        r.spec().configJson());
                assertTrue(!store.curve(r.id()).isEmpty(), "its curve is logged");
            }
        }
        StudyResult.Fit f = result.fits().stream().filter(x -> x.experiment().equals("parity")).findFirst()
                .orElseThrow(() -> new AssertionError("no parity fit: " + result.fits() + " " + result.notes()));
        assertEquals("delay_law", f.kind());
        assertEquals("n=16 k=3 m=400", f.label());
        assertEquals(3, f.points());
        assertTrue(f.slope() > 0, "held higher, parity groks later: " + f);
        assertEquals(f.slope(), claim("parity.alpha.n16_k3_m400").ours());
        assertEquals("no paper value", claim("parity.alpha.n16_k3_m400").verdict(), "smoke cells are not the paper's");
        assertEquals(cells.getFirst().medianNormAtGrok(), claim("parity.wc." + cells.getFirst().cell()).ours());
        assertTrue(claim("parity.above_wc.n16_k3_m400").ours() > 1, "held at 1.3 Wc it groks later than free");
    }

    @Test
    void theReportOfEveryAnalysisIsWritten() throws IOException {
        // the mediation and collapse cells share rho across temperatures: each needs a series of its own
        var files = dev.normclock.report.StudyReport.write(dir, result);
        String md = java.nio.file.Files.readString(files.markdown());
        for (String experiment : List.of("delay", "mediation", "collapse", "parity"))
            assertTrue(md.contains("Experiment " + experiment), "the report has experiment " + experiment);
        assertTrue(java.nio.file.Files.exists(files.figures().resolve("collapse-delay.png")), "the collapse grid's figure");
        assertTrue(java.nio.file.Files.exists(files.figures().resolve("mediation-temperature.png")), "T_grok against tau");
        assertTrue(java.nio.file.Files.exists(files.figures().resolve("parity-delay.png")), "sparse parity's delay law");
    }

    @Test
    void theAllocationAndThePrecisionAuditAreAnalysed() throws IOException {
        for (String gamma : List.of("-0.30", "+0.30")) {
            StudyResult.Claim c = claim("alloc.alloc_ratio.gamma" + gamma);
            assertTrue(c.ours() > 0 && c.lo() <= c.ours() && c.ours() <= c.hi(), c.toString());
        }
        String f32 = StudyFile.load("smoke").experiments().stream().filter(e -> e.name().equals("audit")).findFirst().orElseThrow()
                .cells().getFirst().id();
        // float64 is the same computation up to rounding: on this small cell every seed groks at the same logged step
        assertEquals(1.0, claim("audit.precision_ratio." + f32).ours(), 0.1);
        assertTrue(result.notes().stream().anyMatch(n -> n.startsWith("audit: " + f32 + ": ") && n.contains("seeds grok at the same logged step")),
                result.notes().toString());
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir)) {
            var audit = store.allRuns().stream().filter(r -> Reproduction.runKey(r).startsWith("smoke/audit/")).toList();
            assertEquals(4, audit.size());
            assertEquals(2, audit.stream().filter(r -> r.spec().backend().equals("cpu-float64")).count(), "the float64 cells ran on the float64 backend");
            assertTrue(audit.stream().anyMatch(r -> r.spec().configJson().contains("\"precision\":\"float64\"")));
        }
        // Paper B's allocation: each run stores the control's shares and the targets; after t_int its logged norms of E, W1, W2 are those targets
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir)) {
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            int checked = 0;
            java.util.Set<String> shares = new java.util.HashSet<>();
            for (var r : store.allRuns()) {
                if (!Reproduction.runKey(r).startsWith("smoke/alloc/")) continue;
                var c = json.readTree(r.spec().configJson());
                if (c.get("alloc_gamma").isNull()) continue;
                var f = c.get("alloc_shares");
                double fe = f.get("E").asDouble(), fw1 = f.get("W1").asDouble(), fw2 = f.get("W2").asDouble();
                assertEquals(1.0, fe * fe + fw1 * fw1 + fw2 * fw2, 1e-12, "Paper B's shares: each norm over their root sum of squares " + f);
                shares.add(f.toString());
                var t = c.get("alloc_targets");
                double e = t.get("E").asDouble(), w1 = t.get("W1").asDouble(), w2 = t.get("W2").asDouble();
                assertEquals(c.get("clamp_target").asDouble(), Math.sqrt(e * e + w1 * w1 + w2 * w2), 1e-9, "the targets make up the held total");
                assertEquals(f.get("W1").asDouble() * c.get("clamp_target").asDouble(), w1, 1e-9, "W1 at fW1 x the total");
                for (var point : store.curve(r.id())) {
                    if (point.step() < c.get("t_int").asInt()) continue;
                    assertEquals(e, point.normE(), 1e-4 * e, "E at step " + point.step());
                    assertEquals(w1, point.normW1(), 1e-4 * w1, "W1 at step " + point.step());
                    assertEquals(w2, point.normW2(), 1e-4 * w2, "W2 at step " + point.step());
                    checked++;
                }
            }
            assertEquals(1, shares.size(), "every seed and gamma of the cell group takes the same control's shares: " + shares);
            assertTrue(checked > 0, "logged points after t_int");
        }
        var files = dev.normclock.report.StudyReport.write(dir, result);
        assertTrue(java.nio.file.Files.exists(files.figures().resolve("alloc-allocation.png")), "T_grok against gamma");
    }

    @Test
    void analysisJsonReadsBack() throws IOException {
        StudyAnalysis.write(dir, result);
        assertEquals(result, StudyAnalysis.read(dir));
    }

    @Test
    void aFolderWithoutAStudyIsRefused(@TempDir Path empty) {
        var e = assertThrows(IllegalArgumentException.class, () -> StudyAnalysis.analyze(empty));
        assertTrue(e.getMessage().contains("holds no study"), e.getMessage());
        assertThrows(ResultsException.class, () -> dev.normclock.results.ResultsStore.openExisting(empty));
    }

    static StudyResult.Claim claim(String id) {
        List<StudyResult.Claim> found = result.claims().stream().filter(c -> c.id().equals(id)).toList();
        assertEquals(1, found.size(), id + " in " + Arrays.toString(result.claims().stream().map(StudyResult.Claim::id).toArray()));
        return found.getFirst();
    }
}
