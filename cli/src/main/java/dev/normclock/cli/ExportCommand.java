package dev.normclock.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.normclock.results.CurvePoint;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;
import dev.normclock.results.RunSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `normclock export DIR --csv DIR2`: the database's runs and curves as CSV files. */
@Command(name = "export", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Writes the runs and learning curves of a results folder as CSV: DIR2/runs.csv (one row per run: its",
                "configuration, status, T_mem, T_grok, norms at grok, wall time; empty fields where not reached) and",
                "DIR2/curves.csv (one row per run and logged step). Works on folders of 'train' and of 'reproduce'.",
                ""},
        footer = {"", "Example: normclock export quick --csv quick-csv"})
final class ExportCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The results folder (holding normclock.db).")
    Path dir;

    @Option(names = "--csv", paramLabel = "DIR2", required = true, description = "Folder for runs.csv and curves.csv (created if missing).")
    Path csv;

    @Override
    public Integer call() throws IOException {
        try (ResultsStore store = ResultsStore.openExisting(dir)) {
            Files.createDirectories(csv);
            List<RunRow> runs = store.allRuns();
            try (BufferedWriter w = Files.newBufferedWriter(csv.resolve("runs.csv"))) {
                w.write("run_id,experiment_id,status,seed,model,p,train_frac,d,hidden,lr,weight_decay,decay_order,rho,wc,clamp_target,"
                        + "clamp_from,temperature,max_steps,eval_grid,backend,version,t_mem,t_grok,norm_at_grok,norm_e_at_grok,"
                        + "norm_w1_at_grok,norm_w2_at_grok,final_step,wall_seconds,started_at,finished_at,config_json\n");
                for (RunRow r : runs) {
                    RunSpec s = r.spec();
                    var o = r.outcome();
                    w.write(String.join(",", String.valueOf(r.id()), String.valueOf(r.experimentId()), r.status().dbValue(),
                            String.valueOf(s.seed()), s.model(), String.valueOf(s.p()), num(s.trainFrac()), String.valueOf(s.d()),
                            String.valueOf(s.hidden()), num(s.lr()), num(s.weightDecay()), s.decayOrder(), num(s.rho()), num(s.wc()),
                            num(s.clampTarget()), String.valueOf(s.clampFrom()), num(s.temperature()), String.valueOf(s.maxSteps()),
                            s.evalGrid(), s.backend(), s.version(), step(o.tMem()), step(o.tGrok()), num(o.normAtGrok()),
                            num(o.normEAtGrok()), num(o.normW1AtGrok()), num(o.normW2AtGrok()), step(o.finalStep()),
                            num(o.wallSeconds()), r.startedAt(), r.finishedAt() == null ? "" : r.finishedAt(), quote(s.configJson())));
                    w.write('\n');
                }
            }
            long points = 0;
            try (BufferedWriter w = Files.newBufferedWriter(csv.resolve("curves.csv"))) {
                w.write("run_id,step,train_loss,train_acc,test_loss,test_acc,norm,norm_e,norm_w1,norm_w2,logit_scale,collapse\n");
                for (RunRow r : runs)
                    for (CurvePoint c : store.curve(r.id())) {
                        w.write(c.runId() + "," + c.step() + "," + num(c.trainLoss()) + "," + num(c.trainAcc()) + "," + num(c.testLoss()) + ","
                                + num(c.testAcc()) + "," + num(c.norm()) + "," + num(c.normE()) + "," + num(c.normW1()) + "," + num(c.normW2()) + ","
                                + num(c.logitScale()) + "," + num(c.collapse()) + "\n");
                        points++;
                    }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%d runs) and %s (%d points)%n", csv.resolve("runs.csv"), runs.size(),
                    csv.resolve("curves.csv"), points);
        }
        return 0;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static String step(int s) {
        return s < 0 ? "" : Integer.toString(s);
    }

    private static String quote(String s) {
        return s == null ? "" : "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
