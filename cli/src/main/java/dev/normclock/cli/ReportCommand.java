package dev.normclock.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.normclock.analysis.StudyAnalysis;
import dev.normclock.analysis.StudyResult;
import dev.normclock.report.StudyReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `normclock report DIR`: report.html, report.md and the figures from a study's results. */
@Command(name = "report", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Writes the report of a study's results folder: report.html (one self-contained file that opens offline),",
                "report.md, and figures as SVG and PNG in DIR/figures: T_grok against rho on a log axis with the fitted",
                "delay laws, Wc against p on log-log axes with its power law, the rho x lr lever plot, one-shot against held,",
                "and train/test accuracy and the weight norm against step for a representative seed of each arm. Every",
                "number stands beside the paper's. Uses DIR/analysis.json, made anew from the database first.",
                ""},
        footer = {"", "Example: normclock report quick"})
final class ReportCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The study's results folder.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("no folder " + dir + ": give the --out folder of 'normclock reproduce'");
        StudyResult result = StudyAnalysis.analyze(dir);
        StudyAnalysis.write(dir, result);
        StudyReport.Files files = StudyReport.write(dir, result);
        spec.commandLine().getOut().println("report: " + files.html() + " and " + files.markdown() + " (figures in " + files.figures() + ")");
        return 0;
    }
}
