package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.results.ResultsStore;

class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        return run(System.getenv(), args);
    }

    /** As above, with the environment the commands read (NORMCLOCK_SIM_* pointed at other builds). */
    static Run run(java.util.Map<String, String> env, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
        return new Run(code, out.toString(), err.toString());
    }

    /** A tiny cell that runs in well under a second. */
    static List<String> tiny(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--p", "11", "--train-frac", "0.5", "--width", "8", "--hidden", "16",
                "--seeds", "2", "--steps", "40", "--eval-grid", "every10", "--no-progress", "--out", out.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void trainPrintsTableAndRecordsRuns(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("T_grok"), r.out());
        assertTrue(r.out().contains("median T_grok"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            assertEquals(2, store.allRuns().size());
            assertEquals(4, store.curve(store.allRuns().get(0).id()).size()); // steps 10, 20, 30, 40
        }
        Run again = run(tiny(dir, "--seeds", "5-6").toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        try (ResultsStore store = ResultsStore.open(dir)) {
            assertEquals(4, store.allRuns().size(), "a second run adds to the database");
            assertEquals(2, store.experiments().size());
        }
    }

    @Test
    void jsonSummaryIsOneObject(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir, "--json", "--norm", "5", "--clamp-from", "10").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode j = new ObjectMapper().readTree(lines[0]);
        assertEquals(2, j.get("seeds").size());
        assertEquals(2, j.get("total").asInt());
        assertEquals(5.0, j.get("config").get("clamp_target").asDouble());
        for (JsonNode s : j.get("seeds")) {
            assertTrue(s.has("t_mem") && s.has("t_grok") && s.has("norm_at_grok") && s.has("status"));
            assertEquals("censored", s.get("status").asText()); // 40 steps are far too few to grok
        }
        assertTrue(j.has("median_t_grok"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "p below 2            | --p 1               | p must be at least 2",
            "f above 1            | --train-frac 1.5    | training fraction",
            "f zero               | --train-frac 0      | training fraction",
            "negative lr          | --lr -0.001         | --lr must be a positive number",
            "unknown flag         | --frobnicate 3      | Unknown option",
            "rho without wc       | --rho 1.0           | --rho needs --wc",
            "bad seeds            | --seeds x           | not a seed list",
            "bad decay order      | --decay-order sometimes | --decay-order",
            "zero threads         | --threads 0         | --threads must be at least 1",
            "bad grid             | --eval-grid weekly  | unknown evaluation grid"})
    void badInputIsOneLineAndExitTwoAndTouchesNothing(String what, String flags, String expected, @TempDir Path dir) throws Exception {
        assertEquals(0, run(tiny(dir).toArray(String[]::new)).code());
        Path db = dir.resolve(ResultsStore.FILE_NAME);
        byte[] before = Files.readAllBytes(db);
        Run r = run(tiny(dir, flags.trim().split(" +")).toArray(String[]::new));
        assertEquals(2, r.code(), what + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals("", r.out());
        assertArrayEquals(before, Files.readAllBytes(db), "existing results untouched");
    }

    @Test
    void outThatIsAFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "my notes");
        Run r = run(tiny(file).toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(file.toString()), r.err());
        assertEquals("my notes", Files.readString(file));
    }

    @Test
    void foreignDatabaseIsRefusedAndKept(@TempDir Path dir) throws Exception {
        Path db = Files.writeString(dir.resolve(ResultsStore.FILE_NAME), "this is somebody's spreadsheet, not a database");
        byte[] before = Files.readAllBytes(db);
        Run r = run(tiny(dir).toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("not a normclock"), r.err());
        assertArrayEquals(before, Files.readAllBytes(db));
    }

    @Test
    void helpListsEveryOption() {
        Run r = run("train", "--help");
        assertEquals(0, r.code());
        for (String o : List.of("--p", "--train-frac", "--width", "--hidden", "--lr", "--wd", "--seeds", "--steps", "--rho", "--wc",
                "--norm", "--clamp-from", "--temperature", "--out", "--threads", "--json"))
            assertTrue(r.out().contains(o), o);
        Run top = run("--help");
        assertTrue(top.out().contains("train") && top.out().contains("bench"));
        assertFalse(run("bench", "--help").out().isBlank());
    }

    @Test
    void benchJson() throws Exception {
        Run r = run("bench", "--p", "11", "--width", "8", "--hidden", "16", "--models", "2", "--seconds", "0.05", "--repeats", "1",
                "--warmup", "1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("model_steps_per_second").asDouble() > 0);
        assertTrue(j.get("executed_gflops").asDouble() > 0);
    }

    /** Every model benches, its shape in the JSON; the parity MLP's options apply to it alone, the modular shape's not to it. */
    @Test
    void benchEveryModel(@TempDir Path dir) throws Exception {
        // a stand-in for the PyTorch scripts: checks it is given the model's own shape options
        Path fake = Files.writeString(dir.resolve("fake_torch.py"), """
                import json, sys
                args = sys.argv[1:]
                parity = "--parity-n" in args
                assert parity != ("--p" in args), args
                print(json.dumps({"torch_version": "fake", "model_steps_per_second": 1.0, "best_threads": 1,
                                  "by_threads": {"1": 1.0}, "sgemm_gflops": 100.0, "sgemm_threads": 1}))
                """);
        for (String[] model : new String[][]{{"--model", "attention", "--p", "7", "--width", "32", "--hidden", "16"},
                {"--model", "parity-mlp", "--parity-n", "12", "--parity-m", "40", "--parity-test", "30", "--hidden", "16"}}) {
            List<String> args = new ArrayList<>(List.of(model));
            args.addAll(List.of("bench", "--models", "2", "--seconds", "0.05", "--repeats", "1", "--warmup", "1", "--json", "--torch",
                    "--torch-script", fake.toString(), "--python", "python3", "--torch-threads", "1"));
            args.add(0, args.remove(args.indexOf("bench")));
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals(model[1], j.get("model").asText());
            assertTrue(j.get("model_steps_per_second").asDouble() > 0 && j.get("executed_gflops").asDouble() > 0, r.out());
            assertEquals(j.get("executed_gflops").asDouble() / 100.0, j.get("gflops_fraction_of_sgemm_peak").asDouble(), 1e-9);
            assertEquals(model[1].equals("parity-mlp"), j.has("parity_n"), r.out());
        }
        for (String[] bad : new String[][]{{"bench", "--model", "parity-mlp", "--p", "7"}, {"bench", "--parity-n", "12"},
                {"bench", "--model", "attention", "--width", "40"}, {"bench", "--model", "transformer"}}) {
            Run r = run(bad);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void benchSweepWritesTableAndPlot(@TempDir Path dir) throws Exception {
        Run r = run("bench", "--sweep", "--sweep-models", "1,2", "--sweep-p", "7,11", "--width", "8", "--hidden", "16",
                "--seconds", "0.02", "--repeats", "1", "--warmup", "1", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve("bench-sweep.csv"));
        assertEquals(5, csv.size(), "header and 2 x 2 rows: " + csv);
        assertTrue(csv.get(1).startsWith("7,1,"), csv.get(1));
        byte[] png = Files.readAllBytes(dir.resolve("bench-sweep.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG");
    }

    @Test
    void torchBaselineWithoutItsScriptIsOneClearLine(@TempDir Path dir) {
        Run r = run("bench", "--p", "7", "--width", "8", "--hidden", "16", "--models", "1", "--seconds", "0.02", "--repeats", "1",
                "--warmup", "1", "--torch", "--torch-script", dir.resolve("missing.py").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("missing.py"), r.err());
    }

    @Test
    void torchBaselineFigures(@TempDir Path dir) throws Exception {
        // a stand-in for the PyTorch script: prints what mlp_population.py prints, checks the arguments it is given
        Path fake = Files.writeString(dir.resolve("fake_torch.py"), """
                import json, sys
                args = sys.argv[1:]
                assert args[args.index("--models") + 1] == "3", args
                t = int(args[args.index("--threads") + 1])
                print(json.dumps({"torch_version": "fake", "model_steps_per_second": 10.0 * t, "best_threads": t,
                                  "by_threads": {str(t): 10.0 * t}, "sgemm_gflops": 100.0 * t, "sgemm_threads": t}))
                """);
        Run r = run("bench", "--p", "7", "--width", "8", "--hidden", "16", "--models", "3", "--seconds", "0.05", "--repeats", "1",
                "--warmup", "1", "--torch", "--torch-script", fake.toString(), "--python", "python3", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(20.0, j.get("torch_model_steps_per_second").asDouble(), "the best of threads 1 and 2");
        assertEquals(2, j.get("torch_threads").asInt());
        assertEquals(200.0, j.get("sgemm_peak_gflops").asDouble());
        assertEquals(j.get("model_steps_per_second").asDouble() / 20.0, j.get("ratio_vs_torch").asDouble(), 1e-9);
    }

    @Test
    void paperBOptionsReachTheRuns(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir, "--loss", "mse", "--temperature", "1.3", "--rho", "1.0", "--wc", "3", "--clamp-from", "5",
                "--clamp-group", "W2", "--decay-order", "after").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("norm of W2 held at") && r.out().contains("mse loss"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            String config = store.allRuns().get(0).spec().configJson();
            assertTrue(config.contains("\"loss\":\"mse\"") && config.contains("\"clamp_group\":\"W2\""), config);
        }
        Run bad = run(tiny(dir, "--loss", "hinge").toArray(String[]::new));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--loss must be ce or mse"), bad.err());
        Run fork = run(tiny(dir, "--fork-at", "20", "--rho", "1.2").toArray(String[]::new));
        assertEquals(0, fork.code(), fork.err());
        assertTrue(fork.out().contains("forked at step 20: norm held at 1.20 x its own norm there"), fork.out());
        Run badFork = run(tiny(dir, "--fork-at", "20").toArray(String[]::new));
        assertEquals(2, badFork.code());
        assertTrue(badFork.err().contains("--fork-at needs --rho"), badFork.err());
        Run badGroup = run(tiny(dir, "--clamp-group", "U").toArray(String[]::new));
        assertEquals(2, badGroup.code());
        assertTrue(badGroup.err().contains("--clamp-group must be all, E, W1 or W2"), badGroup.err());
    }

    @Test
    void float64AndTheAllocationReachTheRuns(@TempDir Path dir) throws Exception {
        Run r = run(tiny(dir, "--precision", "float64", "--rho", "1.0", "--wc", "10", "--clamp-from", "5", "--alloc-gamma", "0.3",
                "--alloc-shares", "0.36,0.8,0.48").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        // θ = 0.09/0.13 × 1.3 = 0.9 of the 75 left after W1's 5: W2 √67.5, E √7.5
        assertTrue(r.out().contains(" as E 2.459, W1 8.000, W2 5.473 (Paper B's allocation, gamma +0.30)"), r.out());
        assertTrue(r.out().contains("cpu-float64 backend"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            String config = store.allRuns().get(0).spec().configJson();
            assertTrue(config.contains("\"precision\":\"float64\"") && config.contains("\"alloc_gamma\":0.3")
                    && config.contains("\"alloc_shares\":{\"E\":0.36,\"W1\":0.8,\"W2\":0.48}") && config.contains("\"alloc_targets\":{\"E\":2.459"), config);
            assertEquals("cpu-float64", store.allRuns().get(0).spec().backend());
        }
        Run badPrecision = run(tiny(dir, "--precision", "float16").toArray(String[]::new));
        assertEquals(2, badPrecision.code());
        assertTrue(badPrecision.err().contains("--precision must be float32 or float64"), badPrecision.err());
        Run noShares = run(tiny(dir, "--rho", "1.0", "--wc", "3", "--alloc-gamma", "0.3").toArray(String[]::new));
        assertEquals(2, noShares.code());
        assertTrue(noShares.err().contains("--alloc-gamma needs --alloc-shares fE,fW1,fW2"), noShares.err());
        Run group = run(tiny(dir, "--rho", "1.0", "--wc", "3", "--clamp-group", "W2", "--alloc-gamma", "0.3", "--alloc-shares", "0.36,0.8,0.48")
                .toArray(String[]::new));
        assertEquals(2, group.code());
        assertTrue(group.err().contains("drop --clamp-group"), group.err());
        Run badShares = run(tiny(dir, "--rho", "1.0", "--wc", "3", "--alloc-gamma", "0.3", "--alloc-shares", "0.2,0.5").toArray(String[]::new));
        assertEquals(2, badShares.code());
        assertTrue(badShares.err().contains("--alloc-shares takes three numbers fE,fW1,fW2"), badShares.err());
        Run notOne = run(tiny(dir, "--rho", "1.0", "--wc", "3", "--alloc-gamma", "0.3", "--alloc-shares", "0.2,0.5,0.4").toArray(String[]::new));
        assertEquals(2, notOne.code());
        assertTrue(notOne.err().contains("must sum to 1"), notOne.err());
        Run noTotal = run(tiny(dir, "--alloc-gamma", "0.3", "--alloc-shares", "0.36,0.8,0.48").toArray(String[]::new));
        assertEquals(2, noTotal.code());
        assertTrue(noTotal.err().contains("--alloc-gamma holds the total norm at a target"), noTotal.err());
        Run hold = run(tiny(dir, "--rho", "1.0", "--wc", "3", "--alloc-hold").toArray(String[]::new));
        assertEquals(2, hold.code());
        assertTrue(hold.err().contains("--alloc-hold"), hold.err());
    }

    @Test
    void theParityModelTrainsAndItsOptionsAreChecked(@TempDir Path dir) throws Exception {
        Run r = run("train", "--model", "parity-mlp", "--parity-n", "8", "--parity-k", "2", "--parity-m", "60", "--parity-test", "40",
                "--hidden", "16", "--seeds", "2", "--steps", "30", "--eval-grid", "every10", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("parity-mlp: n=8 k=2, 60 training and 40 test points, H=16"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            assertEquals(2, store.allRuns().size());
            assertTrue(store.allRuns().get(0).spec().configJson().contains("\"task\":\"sparse_parity\""));
            assertEquals(3, store.curve(store.allRuns().get(0).id()).size()); // steps 10, 20, 30
        }
        Run wrong = run(tiny(dir, "--parity-n", "8").toArray(String[]::new));
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("--parity-n applies to --model parity-mlp only"), wrong.err());
        Run badK = run("train", "--model", "parity-mlp", "--parity-n", "4", "--parity-k", "5", "--no-progress", "--out", dir.toString());
        assertEquals(2, badK.code());
        assertTrue(badK.err().contains("relevant bits k must lie in [1, n]"), badK.err());
        Run badGroup = run("train", "--model", "parity-mlp", "--clamp-group", "E", "--no-progress", "--out", dir.toString());
        assertEquals(2, badGroup.code());
        assertTrue(badGroup.err().contains("--clamp-group must be all, W1 or W2 for the parity-mlp model"), badGroup.err());
    }

    @Test
    void devicesListsTheCpuAndSaysWhyThereIsNoGpu(@TempDir Path dir) {
        Run r = run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("cpu:") && r.out().contains("Vector API") && r.out().contains("\ncublas: ")
                && r.out().contains("backends: cpu (used)"), r.out());
        assertTrue(r.out().contains("\ngpu:    none usable: ") || r.out().contains("\ngpu 0:"), r.out());
        assertTrue(r.out().contains("\nkernels: "), r.out());
        dev.normclock.backend.cuda.CudaAvailability here = dev.normclock.backend.cuda.CudaAvailability.probe(System.getenv());
        if (!here.usable()) { // the cuda backend is refused with what is missing (where it can run, it would train)
            Run cuda = run(tiny(dir, "--backend", "cuda").toArray(String[]::new));
            assertEquals(2, cuda.code());
            assertTrue(cuda.err().contains("--backend cuda: " + here.problem() + "; use --backend cpu or auto"), cuda.err());
            assertEquals(1, cuda.err().strip().lines().count(), cuda.err());
        }
        Run bad = run(tiny(dir, "--backend", "tpu").toArray(String[]::new));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--backend must be cpu, cuda, cuda-sim or auto"), bad.err());
    }
}
