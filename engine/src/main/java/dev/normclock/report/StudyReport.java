package dev.normclock.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.normclock.analysis.StudyResult;
import dev.normclock.experiment.Reproduction;
import dev.normclock.results.CurvePoint;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;

/**
 * The report of a study: report.html (self-contained) and report.md with the figures in
 * DIR/figures as SVG and PNG. Every number of ours stands beside the paper's: the claims table
 * first, then per experiment its fits, its figures and the table of its cells.
 */
public final class StudyReport {

    /** Where the report went. */
    public record Files(Path html, Path markdown, Path figures) {
    }

    private final Path dir, figures;
    private final StudyResult result;
    private final Map<String, List<RunRow>> runsByCell;
    private final ResultsStore store;

    private StudyReport(Path dir, StudyResult result, ResultsStore store) {
        this.dir = dir;
        this.figures = dir.resolve("figures");
        this.result = result;
        this.store = store;
        this.runsByCell = new LinkedHashMap<>();
        for (RunRow r : store.allRuns()) {
            String key = Reproduction.runKey(r); // study/experiment/cell/seedN
            if (key == null) continue;
            String cell = key.substring(key.indexOf('/') + 1, key.lastIndexOf('/'));
            runsByCell.computeIfAbsent(cell, k -> new ArrayList<>()).add(r);
        }
    }

    public static Files write(Path dir, StudyResult result) throws IOException {
        try (ResultsStore store = ResultsStore.openExisting(dir)) {
            return new StudyReport(dir, result, store).write();
        }
    }

    private Files write() throws IOException {
        java.nio.file.Files.createDirectories(figures);
        ReportDocument doc = new ReportDocument().title("normclock report: study " + result.study());
        doc.paragraph("Made by normclock " + result.version() + " from the results in this folder (`normclock.db`, study file `study.yaml`). "
                + "Medians of T_grok are over seeds, with seeds that did not grok within their budget counted as censored (never dropped); "
                + "intervals are 95 % percentile bootstraps over seeds (3000 resamples, fixed seed). The paper's numbers are the papers' "
                + "released per-seed results for the same cell (Paper A, arXiv 2606.13753; Paper B for its own experiments, such as "
                + "`mediation`). T_mem and T_grok are quantised to each run's evaluation grid (`log360`: round(T^(k/359)) over the "
                + "budget T, as Paper A's; `every25` as Paper B's).");
        simulatorNote(doc);
        tf32Note(doc);
        claims(doc);
        Map<String, List<StudyResult.Cell>> byExperiment = result.cells().stream()
                .collect(Collectors.groupingBy(StudyResult.Cell::experiment, LinkedHashMap::new, Collectors.toList()));
        for (var e : byExperiment.entrySet()) experiment(doc, e.getKey(), e.getValue());
        if (!result.notes().isEmpty()) {
            doc.heading(1, "Notes");
            doc.bullets(result.notes());
        }
        Path html = dir.resolve("report.html"), md = dir.resolve("report.md");
        doc.writeHtml(html);
        doc.writeMarkdown(md);
        return new Files(html, md, figures);
    }

    /** The backend name of runs trained on the CUDA simulator (--backend cuda-sim). */
    static final String SIMULATOR = "cuda-sim";

    /** A note when runs were trained on the CUDA simulator: they check the GPU code; their wall times are not a GPU's. */
    private void simulatorNote(ReportDocument doc) {
        List<RunRow> runs = store.allRuns();
        long simulated = runs.stream().filter(r -> SIMULATOR.equals(r.spec().backend())).count();
        if (simulated == 0) return;
        doc.note(simulatorNote(simulated, runs.size()));
    }

    /** "N runs ran on the CUDA simulator: a check of the GPU code, not GPU timings", with what that means. */
    public static String simulatorNote(long simulated, long runs) {
        return String.format(Locale.ROOT, "%s ran on the CUDA simulator (`--backend cuda-sim`): a check of the GPU code, not GPU timings. "
                + "The simulator runs the cuda backend's kernels on the CPU, so these results test the GPU code's logic; their wall "
                + "times are the simulator's, far slower than a GPU's.", simulated == runs ? (runs == 1 ? "1 run" : runs + " runs")
                : simulated + " of " + runs + " runs");
    }

    /** A warning when runs were trained with TF32 GEMMs (--tf32 on the cuda backend): their arithmetic is not FP32. */
    private void tf32Note(ReportDocument doc) {
        List<RunRow> runs = store.allRuns();
        long tf32 = runs.stream().filter(r -> tf32(r.spec().configJson())).count();
        if (tf32 == 0) return;
        doc.note(String.format(Locale.ROOT, "%d of %d runs were trained with TF32 matrix products (`--tf32` on the cuda backend): TF32 rounds "
                + "the products' inputs to 10 mantissa bits, which changes the numerics; these runs are not the float32 computation "
                + "the papers ran, and their results may differ from float32 runs of the same seeds.", tf32, runs.size()));
    }

    /** Whether a run's stored config says "tf32": true. */
    static boolean tf32(String c) {
        if (c == null || !c.contains("tf32")) return false;
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(c).path("tf32").asBoolean(false);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void claims(ReportDocument doc) {
        doc.heading(1, "Headline numbers beside the paper's");
        if (result.claims().isEmpty()) {
            doc.paragraph("No claim could be computed yet (no experiment has enough finished runs).");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        List<String> rules = new ArrayList<>();
        for (StudyResult.Claim c : result.claims()) {
            String rule = c.rule() == null || c.rule().isEmpty() ? "" : c.rule();
            if (!rule.isEmpty() && !rules.contains(rule)) rules.add(rule);
            String difference = c.differenceLo() == null ? "—" : String.format(java.util.Locale.ROOT, "[%.3g, %.3g]", c.differenceLo(), c.differenceHi());
            if (c.undefinedShare() != null && c.undefinedShare() > 0)
                difference += String.format(java.util.Locale.ROOT, " (%.0f %% of resamples undefined)", 100 * c.undefinedShare());
            rows.add(List.of(c.statement(), range(c.ours(), c.lo(), c.hi(), "%.3g"), c.paper() == null ? "—" : c.paper(), difference,
                    c.verdict() + (rule.isEmpty() ? "" : " (rule " + (rules.indexOf(rule) + 1) + ")"), c.scope() == null ? "" : c.scope()));
        }
        doc.table(List.of("claim", "ours [95 % interval]", "paper", "difference [95 %]", "verdict", "what it can show"), rows);
        if (!rules.isEmpty()) {
            doc.paragraph("Rules (the difference is ours − the paper's, or ln ours − ln the paper's for a ratio; the paper's number is "
                    + "recomputed from its released seeds by the same statistic where it can be):");
            for (int i = 0; i < rules.size(); i++) doc.paragraph((i + 1) + ". " + rules.get(i));
        }
    }

    private void experiment(ReportDocument doc, String name, List<StudyResult.Cell> cells) throws IOException {
        doc.heading(1, "Experiment " + name);
        List<StudyResult.Fit> fits = result.fits().stream().filter(f -> f.experiment().equals(name)).toList();
        if (!fits.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (StudyResult.Fit f : fits)
                rows.add(List.of(f.kind(), f.label(), range(f.slope(), f.lo(), f.hi(), "%.3f"), fmt(f.r2(), "%.3f"), String.valueOf(f.points()),
                        f.undefinedShare() == null ? "—" : String.format(java.util.Locale.ROOT, "%.0f %%", 100 * f.undefinedShare()),
                        f.excluded().isEmpty() ? "—" : String.join("; ", f.excluded())));
            doc.heading(2, "Fits");
            doc.table(List.of("law", "cells", "slope [95 % interval]", "R²", "points", "undefined resamples", "excluded (median censored)"), rows);
        }
        doc.heading(2, "Figures");
        List<StudyResult.Cell> clamped = cells.stream().filter(c -> c.rho() != null && c.medianTGrok() != null || c.rho() != null
                && c.reference() != null).toList();
        boolean severalRho = clamped.stream().map(StudyResult.Cell::rho).distinct().count() > 1;
        if (fits.stream().anyMatch(f -> f.kind().equals("delay_law")) || severalRho) delayFigure(doc, name, cells, fits);
        if (cells.stream().anyMatch(c -> c.allocGamma() != null)) allocationFigure(doc, name, cells);
        if (fits.stream().anyMatch(f -> f.kind().equals("critical_norm"))) wcFigure(doc, name, cells, fits);
        if (cells.stream().map(StudyResult.Cell::temperature).filter(java.util.Objects::nonNull).distinct().count() > 1)
            temperatureFigure(doc, name, cells);
        curveFigures(doc, name, cells);
        doc.heading(2, "Cells");
        List<List<String>> rows = new ArrayList<>();
        for (StudyResult.Cell c : cells) {
            StudyResult.Reference r = c.reference();
            rows.add(List.of(c.cell(), c.arm(), c.rho() == null ? "—" : fmt(c.rho(), "%.2f"), c.wc() == null ? "—" : fmt(c.wc(), "%.2f"),
                    c.grokked() + "/" + c.finished(), c.finished() == 0 ? "not run" : c.medianTGrok() == null ? "censored"
                            : range(c.medianTGrok(), c.ciLo(), c.ciHi(), "%.0f"),
                    c.medianTMem() == null ? "—" : fmt(c.medianTMem(), "%.0f"), c.medianNormAtGrok() == null ? "—" : fmt(c.medianNormAtGrok(), "%.2f"),
                    c.medianFinalNorm() == null ? "—" : fmt(c.medianFinalNorm(), "%.2f"),
                    r == null ? "—" : r.grokked() + "/" + r.seeds(),
                    r == null ? "—" : r.medianTGrok() == null ? "censored" : range(r.medianTGrok(), r.ciLo(), r.ciHi(), "%.0f"),
                    r == null || r.medianNormAtGrok() == null ? "—" : fmt(r.medianNormAtGrok(), "%.2f") + ("final step".equals(r.normAt()) ? " (final)" : ""),
                    r == null || r.rankTestP() == null ? "—" : fmt(r.rankTestP(), "%.3f"), r == null ? "—" : r.verdict()));
        }
        doc.table(List.of("cell", "arm", "ρ", "Wc used", "grokked", "median T_grok [95 %]", "median T_mem", "‖W‖ at grok", "‖W‖ final",
                "paper grokked", "paper median T_grok [95 %]", "paper ‖W‖ at grok (Paper B: final)", "rank test p", "verdict"), rows);
    }

    /** T_grok against ρ on a log axis: our medians with intervals per group, the fitted lines, the paper's medians. */
    private void delayFigure(ReportDocument doc, String experiment, List<StudyResult.Cell> cells, List<StudyResult.Fit> fits) throws IOException {
        Chart chart = Chart.of("T_grok against ρ (" + experiment + ")", "ρ = held norm / Wc", "median T_grok (steps)").logY();
        Function<StudyResult.Cell, String> group = c -> (c.arm().equals("clamp") ? "" : c.arm() + " ")
                + (cells.stream().map(StudyResult.Cell::taskLabel).distinct().count() > 1 ? c.taskLabel() : "")
                + (cells.stream().map(StudyResult.Cell::lr).distinct().count() > 1 ? " lr=" + c.lr() : "") + tau(cells, c);
        Map<String, List<StudyResult.Cell>> groups = cells.stream().filter(c -> c.rho() != null)
                .collect(Collectors.groupingBy(c -> group.apply(c).strip(), TreeMap::new, Collectors.toList()));
        for (var g : groups.entrySet()) {
            List<StudyResult.Cell> l = g.getValue().stream().sorted(Comparator.comparingDouble(StudyResult.Cell::rho)).toList();
            String label = g.getKey().isEmpty() ? "ours" : "ours " + g.getKey();
            chart.points(label, arr(l, StudyResult.Cell::rho), arr(l, StudyResult.Cell::medianTGrok), arr(l, StudyResult.Cell::ciLo),
                    arr(l, StudyResult.Cell::ciHi));
            if (l.stream().anyMatch(c -> c.reference() != null && c.reference().medianTGrok() != null))
                chart.dashed("paper " + (g.getKey().isEmpty() ? "" : g.getKey()).strip(), arr(l, StudyResult.Cell::rho),
                        arr(l, c -> c.reference() == null ? null : c.reference().medianTGrok()));
        }
        for (StudyResult.Fit f : fits) {
            if (!f.kind().equals("delay_law")) continue;
            double[] rho = cells.stream().filter(c -> c.rho() != null && (f.label().equals(c.taskLabel()) || f.label().equals("lr=" + c.lr())))
                    .mapToDouble(StudyResult.Cell::rho).sorted().toArray();
            if (rho.length < 2) continue;
            double[] x = {rho[0], rho[rho.length - 1]};
            double[] y = {Math.exp(f.intercept() + f.slope() * x[0]), Math.exp(f.intercept() + f.slope() * x[1])};
            chart.line(String.format(Locale.ROOT, "fit %s: α = %.2f", f.label(), f.slope()), x, y);
        }
        for (StudyResult.Fit f : fits) {
            if (!f.kind().equals("shared_delay_law")) continue;
            for (var g : f.intercepts().entrySet()) {
                double[] rho = cells.stream().filter(c -> c.rho() != null && g.getKey().equals("p=" + c.p())).mapToDouble(StudyResult.Cell::rho)
                        .sorted().toArray();
                if (rho.length < 2) continue;
                double[] x = {rho[0], rho[rho.length - 1]};
                chart.dashed(String.format(Locale.ROOT, "shared α = %.2f, %s", f.slope(), g.getKey()), x,
                        new double[]{Math.exp(g.getValue() + f.slope() * x[0]), Math.exp(g.getValue() + f.slope() * x[1])});
            }
        }
        for (StudyResult.Cell free : cells.stream().filter(c -> c.arm().equals("free") && c.medianTGrok() != null).limit(3).toList()) {
            double[] rho = cells.stream().filter(c -> c.rho() != null).mapToDouble(StudyResult.Cell::rho).sorted().toArray();
            if (rho.length == 0) continue;
            chart.dashed("free control " + free.cell().replaceAll("_d128_H256|_wd1", ""), new double[]{rho[0], rho[rho.length - 1]},
                    new double[]{free.medianTGrok(), free.medianTGrok()});
        }
        doc.figure(chart.save(figures, experiment + "-delay", "Median T_grok against ρ on a log axis, with 95 % bootstrap intervals over "
                + "seeds; straight lines are the fitted delay laws ln T = a + α·ρ (per group; with several p, also the shared slope "
                + "with one intercept per p); dashed: the paper's medians for the same cells and the free control's median."));
    }

    /** Wc against p on log-log axes with the fitted power law and the paper's values. */
    private void wcFigure(ReportDocument doc, String experiment, List<StudyResult.Cell> cells, List<StudyResult.Fit> fits) throws IOException {
        Chart chart = Chart.of("Critical norm Wc against p (" + experiment + ")", "p", "Wc = median ‖W‖ at T_grok").logX().logY();
        Map<Double, List<StudyResult.Cell>> byF = cells.stream().filter(c -> c.arm().equals("free") && c.medianNormAtGrok() != null)
                .collect(Collectors.groupingBy(StudyResult.Cell::trainFrac, TreeMap::new, Collectors.toList()));
        for (var g : byF.entrySet()) {
            List<StudyResult.Cell> l = g.getValue().stream().filter(c -> c.lr() == 1e-3 || g.getValue().stream().allMatch(x -> x.lr() == c.lr()))
                    .sorted(Comparator.comparingInt(StudyResult.Cell::p)).toList();
            if (l.isEmpty()) continue;
            chart.points(String.format(Locale.ROOT, "ours f=%.2f", g.getKey()), arr(l, c -> (double) c.p()), arr(l, StudyResult.Cell::medianNormAtGrok));
            if (l.stream().anyMatch(c -> c.reference() != null && c.reference().medianNormAtGrok() != null))
                chart.dashed(String.format(Locale.ROOT, "paper f=%.2f", g.getKey()), arr(l, c -> (double) c.p()),
                        arr(l, c -> c.reference() == null ? null : c.reference().medianNormAtGrok()));
        }
        for (StudyResult.Fit f : fits) {
            if (!f.kind().equals("critical_norm")) continue;
            double[] p = cells.stream().mapToDouble(StudyResult.Cell::p).distinct().sorted().toArray();
            double[] x = {p[0], p[p.length - 1]};
            chart.line(String.format(Locale.ROOT, "fit Wc ∝ p^%.2f", f.slope()), x,
                    new double[]{Math.exp(f.intercept()) * Math.pow(x[0], f.slope()), Math.exp(f.intercept()) * Math.pow(x[1], f.slope())});
        }
        doc.figure(chart.save(figures, experiment + "-wc", "Wc (median over grokked seeds of ‖W‖ at T_grok, free runs) against p on "
                + "log-log axes, per training fraction, with the fitted power law; dashed: the paper's."));
    }

    /** Paper B's view: median T_grok against the temperature τ, one series per held ρ, the paper's dashed beside it. */
    private void temperatureFigure(ReportDocument doc, String experiment, List<StudyResult.Cell> cells) throws IOException {
        Chart chart = Chart.of("T_grok against τ (" + experiment + ")", "τ (logits divided by τ)", "median T_grok (steps)").logY();
        Map<Double, List<StudyResult.Cell>> byRho = cells.stream().filter(c -> c.rho() != null && c.temperature() != null)
                .collect(Collectors.groupingBy(StudyResult.Cell::rho, TreeMap::new, Collectors.toList()));
        for (var g : byRho.entrySet()) {
            List<StudyResult.Cell> l = g.getValue().stream().sorted(Comparator.comparingDouble(StudyResult.Cell::temperature)).toList();
            String rho = "ρ=" + fmt(g.getKey(), "%.2f");
            chart.points("ours " + rho, arr(l, StudyResult.Cell::temperature), arr(l, StudyResult.Cell::medianTGrok), arr(l, StudyResult.Cell::ciLo),
                    arr(l, StudyResult.Cell::ciHi));
            if (l.size() > 1 && l.stream().anyMatch(c -> c.reference() != null && c.reference().medianTGrok() != null))
                chart.dashed("paper " + rho, arr(l, StudyResult.Cell::temperature), arr(l, c -> c.reference() == null ? null : c.reference().medianTGrok()));
        }
        doc.figure(chart.save(figures, experiment + "-temperature", "Median T_grok against the temperature τ for each held ρ, with 95 % "
                + "bootstrap intervals; dashed: the paper's released cells. Under cross-entropy a higher τ undoes the delay of a higher "
                + "norm (Paper B's mediation); under squared error it does much less."));
    }

    /** Paper B's allocation: median T_grok against γ, one series per held total (ρ), the paper's dashed. */
    private void allocationFigure(ReportDocument doc, String experiment, List<StudyResult.Cell> cells) throws IOException {
        Chart chart = Chart.of("T_grok against the allocation γ (" + experiment + ")", "γ (power moved from E to W2; W1 fixed)",
                "median T_grok (steps)").logY();
        Map<String, List<StudyResult.Cell>> byTotal = cells.stream().filter(c -> c.allocGamma() != null)
                .collect(Collectors.groupingBy(c -> c.taskLabel() + (c.rho() == null ? "" : " ρ=" + fmt(c.rho(), "%.2f"))
                        + (c.temperature() == null || c.temperature() == 1 ? "" : " τ=" + fmt(c.temperature(), "%.2f")), TreeMap::new, Collectors.toList()));
        for (var g : byTotal.entrySet()) {
            List<StudyResult.Cell> l = g.getValue().stream().sorted(Comparator.comparingDouble(StudyResult.Cell::allocGamma)).toList();
            String suffix = byTotal.size() == 1 ? "" : " " + g.getKey();
            chart.points("ours" + suffix, arr(l, StudyResult.Cell::allocGamma), arr(l, StudyResult.Cell::medianTGrok),
                    arr(l, StudyResult.Cell::ciLo), arr(l, StudyResult.Cell::ciHi));
            if (l.size() > 1 && l.stream().anyMatch(c -> c.reference() != null && c.reference().medianTGrok() != null))
                chart.dashed("paper" + suffix, arr(l, StudyResult.Cell::allocGamma), arr(l, c -> c.reference() == null ? null : c.reference().medianTGrok()));
        }
        doc.figure(chart.save(figures, experiment + "-allocation", "Median T_grok against γ of Paper B's allocation (E, W1 and W2 each "
                + "held at its own target from the free control's shares, together ρ × Wc; W1 fixed, γ moving power between E and W2; "
                + "γ = 0 pins each group to the control's shares), with 95 % bootstrap intervals; dashed: Paper B's released cells."));
    }

    /** Train/test accuracy and ‖W‖ against step for the seed nearest its cell's median T_grok, one per cell (at most eight). */
    private void curveFigures(ReportDocument doc, String experiment, List<StudyResult.Cell> cells) throws IOException {
        Chart acc = Chart.of("Accuracy against step (" + experiment + ")", "step", "accuracy").logX();
        Chart norm = Chart.of("Weight norm against step (" + experiment + ")", "step", "‖W‖").logX();
        int shown = 0;
        java.util.Set<String> labels = new java.util.HashSet<>();
        for (StudyResult.Cell c : cells) {
            if (shown == 8) break;
            List<RunRow> runs = runsByCell.getOrDefault(experiment + "/" + c.cell(), List.of());
            if (runs.isEmpty()) continue;
            double target = c.medianTGrok() == null ? Double.MAX_VALUE : c.medianTGrok();
            RunRow rep = runs.stream().min(Comparator.comparingDouble(r -> Math.abs((r.outcome().tGrok() < 0 ? Double.MAX_VALUE
                    : r.outcome().tGrok()) - target))).orElseThrow();
            List<CurvePoint> curve = store.curve(rep.id()).stream().filter(p -> p.step() > 0).toList();
            if (curve.size() < 2) continue;
            String label = (c.rho() == null ? c.arm() : c.arm() + " ρ=" + fmt(c.rho(), "%.2f")) + (cells.stream().map(StudyResult.Cell::taskLabel)
                    .distinct().count() > 1 ? " " + c.taskLabel() : "") + (cells.stream().map(StudyResult.Cell::lr).distinct().count() > 1 ? " lr=" + c.lr() : "")
                    + tau(cells, c);
            if (!labels.add(label)) label = c.cell(); // cells that differ in what the label leaves out (τ, loss, group): their ids
            double[] step = curve.stream().mapToDouble(CurvePoint::step).toArray();
            acc.line(label + " test", step, curve.stream().mapToDouble(CurvePoint::testAcc).toArray());
            acc.dashed(label + " train", step, curve.stream().mapToDouble(CurvePoint::trainAcc).toArray());
            norm.line(label, step, curve.stream().mapToDouble(CurvePoint::norm).toArray());
            shown++;
        }
        if (shown == 0) return;
        doc.figure(acc.save(figures, experiment + "-accuracy", "Test (solid) and train (dashed) accuracy against step for the seed "
                + "of each cell whose T_grok is nearest the cell's median."));
        doc.figure(norm.save(figures, experiment + "-norm", "The weight norm ‖W‖ (every weight matrix: E, W1, W2 of the MLP; W1, W2 of the "
                + "parity MLP) against step for the same seeds: "
                + "free runs find their own norm, held arms sit at ρ·Wc from t_int on, one-shot arms are rescaled once and released."));
    }

    /** " τ=…" where the experiment's cells differ in temperature (Paper B), else nothing. */
    private static String tau(List<StudyResult.Cell> cells, StudyResult.Cell c) {
        return cells.stream().map(StudyResult.Cell::temperature).distinct().count() > 1 && c.temperature() != null
                ? " τ=" + fmt(c.temperature(), "%.2f") : "";
    }

    private static double[] arr(List<StudyResult.Cell> l, Function<StudyResult.Cell, Double> f) {
        return l.stream().mapToDouble(c -> {
            Double v = f.apply(c);
            return v == null ? Double.NaN : v;
        }).toArray();
    }

    static String fmt(double v, String f) {
        return String.format(Locale.ROOT, f, v);
    }

    static String range(Double v, Double lo, Double hi, String f) {
        if (v == null) return "—";
        String s = fmt(v, f);
        return lo == null || hi == null ? s : s + " [" + fmt(lo, f) + ", " + fmt(hi, f) + "]";
    }

}
