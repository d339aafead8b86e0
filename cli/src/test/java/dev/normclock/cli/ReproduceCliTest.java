package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** `reproduce`, `analyze`, `report` and `export` on a small study, and their answers to bad input. */
class ReproduceCliTest {
    static final String STUDY = """
            study: cli
            defaults: {train_frac: 0.6, d: 32, hidden: 64, lr: 3.0e-3, t_int: 150, seeds: 2, eval_grid: every10}
            experiments:
              - name: delay
                analysis: delay_law
                cells:
                  - {arm: free, p: 41, max_steps: 2500}
                  - {arm: clamp, p: 41, rho: [0.9, 1.1], max_steps: 3000}
            """;

    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    @Test
    void reproduceTrainsAnalysesAndReports(@TempDir Path dir) throws Exception {
        Path study = dir.resolve("study.yaml"), out = dir.resolve("out");
        Files.writeString(study, STUDY);
        CliTest.Run r = run("reproduce", "--preset", study.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("phase 1: 1 populations, 2 models"), r.out());
        assertTrue(r.out().contains("estimated time"), r.out());
        assertTrue(r.out().contains("trained 2 populations"), r.out());
        assertTrue(r.out().contains("delay_law"), r.out());
        for (String f : List.of("normclock.db", "study.yaml", "analysis.json", "report.html", "report.md", "figures/delay-delay.svg",
                "figures/delay-delay.png", "figures/delay-accuracy.png", "figures/delay-norm.svg"))
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        JsonNode analysis = new ObjectMapper().readTree(out.resolve("analysis.json").toFile());
        assertEquals(3, analysis.get("cells").size());
        assertTrue(analysis.get("claims").size() >= 2, analysis.toString());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("data:image/svg+xml;base64,") && !html.contains("http://") && !html.contains("https://"), "self-contained");

        CliTest.Run again = run("reproduce", "--preset", study.toString(), "--out", out.toString(), "--no-progress", "--no-report");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("trained 0 populations") && again.out().contains("6 kept from before"), "nothing is recomputed: " + again.out());

        CliTest.Run analyze = run("analyze", out.toString());
        assertEquals(0, analyze.code(), analyze.err());
        assertTrue(analyze.out().contains("delay-law slope"), analyze.out());
        CliTest.Run table = run("analyze", out.toString(), "--claims-markdown");
        assertEquals(0, table.code(), table.err());
        java.util.List<String> rows = table.out().strip().lines().toList();
        assertEquals("| experiment | claim | ours [95 %] | paper | verdict |", rows.getFirst());
        assertTrue(rows.size() > 2 && rows.stream().skip(2).allMatch(l -> l.startsWith("| ") && l.endsWith(" |")), table.out());
        CliTest.Run report = run("report", out.toString());
        assertEquals(0, report.code(), report.err());
        Path csv = dir.resolve("csv");
        CliTest.Run export = run("export", out.toString(), "--csv", csv.toString());
        assertEquals(0, export.code(), export.err());
        assertEquals(7, Files.readAllLines(csv.resolve("runs.csv")).size(), "header and 6 runs");
        assertTrue(Files.readAllLines(csv.resolve("curves.csv")).size() > 6);
    }

    @Test
    void planAndShowPresetTrainNothing(@TempDir Path dir) {
        CliTest.Run plan = run("reproduce", "--preset", "paper", "--plan", "--out", dir.resolve("p").toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("grokfss") && plan.out().contains("critical_norm"), plan.out());
        assertTrue(plan.out().contains("phase 2"), plan.out());
        assertTrue(plan.out().contains("parity") && plan.out().contains("compared with Paper A's parity"), plan.out());
        assertFalse(Files.exists(dir.resolve("p")), "--plan writes nothing");
        CliTest.Run help = run("reproduce", "--help");
        assertTrue(help.out().contains("sparse-parity experiments") && help.out().contains("parity_n, parity_k, parity_m"), help.out());
        CliTest.Run show = run("reproduce", "--show-preset", "quick");
        assertEquals(0, show.code());
        assertTrue(show.out().startsWith("# normclock study: quick") && show.out().contains("rho: 1.10"), show.out());
    }

    /** The paper-cpu preset promises every Paper A headline within 6 hours on 2 cores: its plan says so. */
    @Test
    void paperCpuPlansWithinSixHoursOnTwoCores(@TempDir Path dir) {
        CliTest.Run plan = run("reproduce", "--preset", "paper-cpu", "--plan", "--backend", "cpu", "--threads", "2", "--out",
                dir.resolve("p").toString());
        assertEquals(0, plan.code(), plan.err());
        var m = java.util.regex.Pattern.compile("estimated time: ([0-9.]+) (h|min) ").matcher(plan.out());
        assertTrue(m.find(), plan.out());
        double hours = Double.parseDouble(m.group(1)) / (m.group(2).equals("h") ? 1 : 60);
        assertTrue(hours <= 6, "paper-cpu plans " + hours + " h");
        for (String e : new String[]{"grokfss", "denserho", "pscan", "efflr", "normint", "parity", "tfnoln", "tfnormint"})
            assertTrue(plan.out().contains("  " + e + " "), e + " in " + plan.out());
    }

    @Test
    void badInputGetsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, STUDY.replace("rho: [0.9, 1.1]", "rho: [0.9, -1]"));
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("study.yaml"), "study: another\n");
        Path study = dir.resolve("s.yaml");
        Files.writeString(study, STUDY);
        String[][] cases = {
                {"reproduce", "--preset", "nope"},
                {"reproduce", "--preset", "quick", "--only", "pscan", "--plan"},
                {"reproduce", "--preset", bad.toString(), "--plan"},
                {"reproduce", "--preset", study.toString(), "--out", other.toString(), "--no-progress"},
                {"reproduce"},
                {"analyze", dir.resolve("empty").toString()},
                {"export", dir.resolve("empty").toString(), "--csv", dir.resolve("x").toString()},
        };
        String[] expect = {"no preset or study file 'nope'", "--only pscan: study quick has no such experiment (it has denserho)",
                "experiments[0].cells[1].rho: must be > 0", "holds results of a different study", "give --preset",
                "holds no study", "no results database in"};
        for (int i = 0; i < cases.length; i++) {
            CliTest.Run r = run(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().contains(expect[i]), String.join(" ", cases[i]) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }
}
