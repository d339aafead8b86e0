package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.normclock.analysis.StudyAnalysis;
import dev.normclock.analysis.StudyResult;
import dev.normclock.report.StudyReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `normclock analyze DIR`: the study's cells, fits and claims beside the paper's, into analysis.json. */
@Command(name = "analyze", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Analyses a study's results folder (the --out of 'normclock reproduce'): per cell the censored median T_grok",
                "with a bootstrap interval over seeds (3000 resamples, fixed seed; seeds that did not grok are counted as",
                "censored, never dropped) beside the paper's cell with a rank test; the delay-law, shared-slope and Wc",
                "power-law fits; and each of Paper A's headline numbers the study can speak to, with a verdict and its rule.",
                "Writes DIR/analysis.json and prints the tables. Can run while the study trains (finished runs only).",
                ""},
        footer = {"", "Example: normclock analyze quick"})
final class AnalyzeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The study's results folder.")
    Path dir;

    @CommandLine.Option(names = "--report", description = "Also write the report (as 'normclock report' does).")
    boolean report;

    @CommandLine.Option(names = "--claims-markdown", description = "Print only the claims, as a Markdown table (claim, ours with its "
            + "interval, the paper's, the verdict) for a README or a paper's notes; analysis.json is written as always.")
    boolean claimsMarkdown;

    @Override
    public Integer call() throws Exception {
        if (claimsMarkdown) {
            StudyResult result = StudyAnalysis.analyze(dir);
            StudyAnalysis.write(dir, result);
            PrintWriter out = spec.commandLine().getOut();
            claimsTable(out, result);
            out.flush();
            return 0;
        }
        return analyzeAndReport(dir, spec.commandLine().getOut(), report);
    }

    /** The claims as a Markdown table: one row each, ours beside the paper's (as compared) and the verdict. */
    static void claimsTable(PrintWriter o, StudyResult r) {
        o.println("| experiment | claim | ours [95 %] | paper | verdict |");
        o.println("|---|---|---|---|---|");
        for (StudyResult.Claim c : r.claims())
            o.printf(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", c.experiment(), cell(c.statement()), range(c.ours(), c.lo(), c.hi(), "%.3g"),
                    c.paper() == null ? "—" : cell(c.paper()), c.verdict());
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    /** Analyses DIR, writes analysis.json, prints the summary and, if asked, writes the report. */
    static int analyzeAndReport(Path dir, PrintWriter out, boolean report) throws Exception {
        StudyResult result = StudyAnalysis.analyze(dir);
        Path json = StudyAnalysis.write(dir, result);
        print(out, result);
        try (dev.normclock.results.ResultsStore store = dev.normclock.results.ResultsStore.openExisting(dir)) {
            var runs = store.allRuns();
            long simulated = runs.stream().filter(r -> "cuda-sim".equals(r.spec().backend())).count();
            if (simulated > 0) out.println("note: " + StudyReport.simulatorNote(simulated, runs.size()));
        }
        out.println("analysis: " + json);
        if (report) {
            StudyReport.Files files = StudyReport.write(dir, result);
            out.println("report: " + files.html() + " and " + files.markdown() + " (figures in " + files.figures() + ")");
        }
        out.flush();
        return 0;
    }

    static void print(PrintWriter o, StudyResult r) {
        o.printf(Locale.ROOT, "study %s: cells (median T_grok with 95%% bootstrap interval; * = censored median)%n", r.study());
        o.printf(Locale.ROOT, "  %-10s %-40s %7s %-22s %-22s %7s  %s%n", "experiment", "cell", "grokked", "ours", "paper", "rank p", "verdict");
        for (StudyResult.Cell c : r.cells()) {
            String ours = c.finished() == 0 ? "not run" : range(c.medianTGrok(), c.ciLo(), c.ciHi());
            StudyResult.Reference ref = c.reference();
            String paper = ref == null ? "-" : range(ref.medianTGrok(), ref.ciLo(), ref.ciHi());
            o.printf(Locale.ROOT, "  %-10s %-40s %3d/%-3d %-22s %-22s %7s  %s%n", c.experiment(), c.cell(), c.grokked(), c.finished(), ours,
                    paper, ref == null || ref.rankTestP() == null ? "-" : String.format(Locale.ROOT, "%.3f", ref.rankTestP()),
                    ref == null ? "" : ref.verdict());
        }
        if (!r.fits().isEmpty()) o.println("fits:");
        for (StudyResult.Fit f : r.fits())
            o.printf(Locale.ROOT, "  %-10s %-17s %-22s slope %s, R² %.3f, %d points%s%n", f.experiment(), f.kind(), f.label(),
                    range(f.slope(), f.lo(), f.hi(), "%.2f"), f.r2(), f.points(),
                    f.excluded().isEmpty() ? "" : "; excluded: " + String.join("; ", f.excluded()));
        if (!r.claims().isEmpty()) o.println("claims (ours beside the paper's):");
        for (StudyResult.Claim c : r.claims())
            o.printf(Locale.ROOT, "  %-9s %s%n            ours %s | paper %s%s%s%n", "[" + c.verdict() + "]", c.statement(),
                    range(c.ours(), c.lo(), c.hi(), "%.3g"), c.paper() == null ? "-" : c.paper(),
                    c.differenceLo() == null ? "" : String.format(Locale.ROOT, " | difference [%.3g, %.3g]", c.differenceLo(), c.differenceHi()),
                    c.rule().isEmpty() ? "" : " | rule: " + c.rule());
        for (String n : r.notes()) o.println("note: " + n);
    }

    static String range(Double v, Double lo, Double hi) {
        if (v == null) return "censored*";
        return range(v, lo, hi, "%.0f");
    }

    static String range(Double v, Double lo, Double hi, String f) {
        if (v == null) return "-";
        String s = String.format(Locale.ROOT, f, v);
        if (lo == null || hi == null) return s;
        return s + String.format(Locale.ROOT, " [" + f + ", " + f + "]", lo, hi);
    }
}
