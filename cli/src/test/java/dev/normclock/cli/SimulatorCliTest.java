package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.backend.Precision;
import dev.normclock.backend.cuda.CudaSimulator;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;

/**
 * The CLI on the CUDA simulator ({@code --backend cuda-sim}): training records "cuda-sim", the
 * commands say it is a simulation, `devices` shows the simulator and proves it opens, the
 * self-check passes, the refusals are one line with exit 2, and the self-check catches bugs planted
 * in a copy of the kernels — each failure named by its primitive, every other primitive passing
 * (the backend is opened afresh after a kernel fault). Skipped only where there is no C++ compiler
 * (then the build has no simulator); a built simulator that does not run fails these tests.
 */
class SimulatorCliTest {
    static final Map<String, String> ENV = System.getenv();

    @BeforeAll
    static void needsACompiler() {
        assumeTrue(compiler() != null, "no C++ compiler (g++) here: the build has no CUDA simulator");
    }

    /** The C++ compiler the simulator's build uses (CXX, else g++ on the PATH), or null. */
    static String compiler() {
        String cxx = System.getenv().getOrDefault("CXX", "g++");
        if (cxx.contains("/")) return Files.isExecutable(Path.of(cxx)) ? cxx : null;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cxx))) return cxx;
        return null;
    }

    private static void oneLineRefusal(CliTest.Run r, String expected, String what) {
        assertEquals(2, r.code(), what + ": " + r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), what + ": " + r.err());
        assertTrue(r.err().contains(expected), what + ": " + r.err());
    }

    @Test
    void trainOnTheSimulatorRecordsCudaSimInTheDatabaseAndTheExport(@TempDir Path dir) throws Exception {
        CliTest.Run r = CliTest.run(CliTest.tiny(dir, "--backend", "cuda-sim").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(" model-steps/s, cuda-sim backend, normclock CUDA simulator, GEMMs on cuBLAS)"), r.out());
        assertTrue(r.out().contains("\nsimulated: the cuda backend's kernels run on the CUDA simulator on this CPU: a check of the GPU code, "
                + "not GPU timings"), r.out());
        try (ResultsStore store = ResultsStore.open(dir)) {
            List<RunRow> runs = store.allRuns();
            assertEquals(2, runs.size());
            for (RunRow run : runs) {
                assertEquals("cuda-sim", run.spec().backend());
                assertTrue(run.spec().configJson().contains("\"backend\":\"cuda-sim\""), run.spec().configJson());
            }
        }
        CliTest.Run export = CliTest.run("export", dir.toString(), "--csv", dir.resolve("csv").toString());
        assertEquals(0, export.code(), export.err());
        List<String> rows = Files.readAllLines(dir.resolve("csv").resolve("runs.csv"));
        int column = List.of(rows.getFirst().split(",")).indexOf("backend");
        assertTrue(column >= 0, rows.getFirst());
        for (String row : rows.subList(1, rows.size())) assertEquals("cuda-sim", row.split(",")[column], row);

        CliTest.Run json = CliTest.run(CliTest.tiny(dir.resolve("j"), "--backend", "cuda-sim", "--gemm", "kernel", "--json").toArray(String[]::new));
        assertEquals(0, json.code(), json.err());
        JsonNode j = new ObjectMapper().readTree(json.out());
        assertEquals("cuda-sim", j.get("backend").asText());
        assertTrue(j.get("simulated").asBoolean());
        assertEquals("nc_gemm", j.get("gemm").asText());
    }

    @Test
    void everyBackendOptionListsTheChoicesAndSaysWhatCudaSimIs() {
        for (String cmd : new String[]{"train", "reproduce", "bench"}) {
            CliTest.Run r = CliTest.run(cmd, "--help");
            assertEquals(0, r.code(), r.err());
            String help = r.out().replaceAll("\\s+", " ");
            assertTrue(help.contains("--backend=NAME cpu, cuda, cuda-sim or auto."), cmd + ": " + help);
            assertTrue(help.contains("it proves the GPU code's logic, not its speed"), cmd + ": " + help);
            assertTrue(help.contains("auto: cuda where it can run, else cpu (never cuda-sim)"), cmd + ": " + help);
            assertTrue(help.contains("--gemm=WHERE With --backend cuda or cuda-sim: where the GEMMs run."), cmd + ": " + help);
        }
        String devices = CliTest.run("devices", "--help").out().replaceAll("\\s+", " ");
        assertTrue(devices.contains("--backend=NAME cuda (the GPU through NVIDIA's driver) or cuda-sim"), devices);
        assertTrue(devices.contains("--gemm=WHERE"), devices);
    }

    @Test
    void autoAndCudaNeverPickTheSimulator() {
        StringWriter err = new StringWriter();
        assertEquals(BackendChoice.Kind.CPU, BackendChoice.resolve("auto", Precision.FLOAT32, new PrintWriter(err, true), BackendSelectionTest.NO_DRIVER));
        assertEquals("", err.toString());
        String m = BackendSelectionTest.resolveError("cuda", Precision.FLOAT32, BackendSelectionTest.NO_DRIVER);
        assertTrue(m.startsWith("--backend cuda: no CUDA driver"), m);
        assertEquals(BackendChoice.Kind.CUDA_SIM, BackendChoice.resolve("cuda-sim", Precision.FLOAT32, new PrintWriter(err, true), ENV));
    }

    @Test
    void devicesShowsTheSimulatorSaysItIsASimulationAndProvesItOpens() {
        CliTest.Run r = CliTest.run("devices", "--backend", "cuda-sim");
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        assertTrue(o.startsWith("cpu:    "), o);
        assertTrue(o.contains("\nsimulation: cuda-sim is normclock's CUDA simulator, not a GPU: the cuda backend's kernels run on this CPU"), o);
        assertTrue(o.contains("it proves the GPU code's logic, not its speed\n"), o);
        assertTrue(o.contains("\ndriver: the simulator's library, CUDA driver API "), o);
        assertTrue(o.contains("\nsettings: ") && o.contains("(NORMCLOCK_SIM_THREADS)") && o.contains("(NORMCLOCK_SIM_MEMORY)"), o);
        assertTrue(o.contains("\ngpu 0:  normclock CUDA simulator, ") && o.contains(" (simulated)\n"), o);
        assertTrue(o.contains("\ncublas: the simulator's, version "), o);
        assertTrue(o.contains("\nkernels: the kernels of native/src built for this CPU (normclock-sim-kernels.so, "), o);
        assertTrue(o.contains("\ncuda-sim opens: nc_scale and a 3x4x5 GEMM on cuBLAS agree with the expected values ("), o);
        assertTrue(o.contains("\nbackends: cpu; cuda-sim (only with --backend cuda-sim: auto and cuda never use it)\n"), o);

        CliTest.Run kernel = CliTest.run("devices", "--backend", "cuda-sim", "--gemm", "kernel");
        assertEquals(0, kernel.code(), kernel.err());
        assertTrue(kernel.out().contains("\ncuda-sim opens: nc_scale and a 3x4x5 GEMM on nc_gemm agree with the expected values ("), kernel.out());

        CliTest.Run plain = CliTest.run("devices");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("\ncuda-sim: available (--backend cuda-sim)\n"), plain.out());
    }

    @Test
    void thePrimitivesCheckOnTheSimulatorPassesOnBothGemmPaths(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("check.log");
        CliTest.Run r = CliTest.run("devices", "--check", "--backend", "cuda-sim", "--primitives-only", "--log", log.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String o = r.out();
        assertTrue(o.startsWith("normclock ") && o.contains(" GPU self-check on the CUDA simulator ("), o);
        assertTrue(o.contains("\na simulation: "), o);
        assertTrue(o.contains("\nprimitives: the conformance suite, cuda-sim with GEMMs on cuBLAS against cpu-float64"), o);
        assertTrue(o.contains("\nprimitives: the conformance suite, cuda-sim with GEMMs on nc_gemm against cpu-float64"), o);
        assertFalse(o.contains("FAIL"), o);
        assertTrue(o.strip().endsWith("self-check passed"), o);
        assertFalse(o.contains("\ntraining: "), "primitives only");
        assertEquals(o, Files.readString(log));
    }

    @Test
    void benchOnTheSimulatorPrintsTheCountersPerStepAndTheRooflineAndSaysItIsNotAGpusSpeed() throws Exception {
        String[] small = {"bench", "--backend", "cuda-sim", "--p", "11", "--width", "8", "--hidden", "16", "--models", "2",
                "--seconds", "0.01", "--repeats", "1", "--warmup", "1"};
        CliTest.Run r = CliTest.run(small);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(", 2 models, cuda-sim backend (normclock CUDA simulator), GEMMs on cuBLAS\n"), r.out());
        assertTrue(r.out().contains("model-steps/s below are the simulator's speed, not a GPU's"), r.out());
        assertTrue(r.out().contains("\n  per step (the simulator's counters over "), r.out());
        assertTrue(r.out().contains(" kernel launches, ") && r.out().contains(" cuBLAS calls, ") && r.out().contains(" host synchronisations, "), r.out());
        assertTrue(r.out().contains("; per evaluation (over "), r.out());
        assertTrue(r.out().contains("\n  roofline, an estimate for an H200, not measured: FP32 "), r.out());
        assertTrue(r.out().contains(" per model-step: ") && r.out().contains("-bound, at most ") && r.out().contains("launches alone: "), r.out());
        assertFalse(r.out().contains("of the estimate"), "the simulator's speed is never set against a GPU's estimate: " + r.out());

        String[] json = Stream.concat(Stream.of(small), Stream.of("--json")).toArray(String[]::new);
        CliTest.Run j = CliTest.run(json);
        assertEquals(0, j.code(), j.err());
        JsonNode o = new ObjectMapper().readTree(j.out());
        assertEquals("cuda-sim", o.get("backend").asText());
        assertTrue(o.get("simulated").asBoolean());
        assertEquals("cuBLAS", o.get("gemm").asText());
        JsonNode c = o.get("counters_per_step");
        assertEquals(1, c.get("graph_launches").asDouble(), "a steady step is one CUDA Graph launch: " + c);
        assertEquals(0, c.get("kernel_launches").asDouble() + c.get("cublas_calls").asDouble(), c.toString());
        assertEquals(0, c.get("host_synchronizations").asDouble(), "a steady step waits for nothing: " + c);
        assertEquals(0, c.get("device_to_host_bytes").asDouble(), "a steady step reads nothing back: " + c);
        for (String k : new String[]{"host_to_device_copies", "host_to_device_bytes", "device_to_host_copies", "device_to_host_bytes"})
            assertTrue(c.has(k), k);
        assertEquals(0, c.get("allocations").asDouble(), "a steady step allocates nothing: " + c);
        for (String k : new String[]{"kernel_launches_per_step", "graph_launches_per_step", "cublas_calls_per_step", "host_syncs_per_step",
                "host_to_device_bytes_per_step", "device_to_host_bytes_per_step", "evaluation_device_to_host_copies",
                "evaluation_device_to_host_bytes", "evaluation_host_syncs"})
            assertTrue(o.has(k) && o.get(k).isNumber() && o.get(k).asDouble() >= 0, k + " in " + o);
        assertEquals(c.get("kernel_launches").asDouble(), o.get("kernel_launches_per_step").asDouble(), "the same counters, top level and nested");
        assertEquals(1, o.get("graph_launches_per_step").asDouble(), o.toString());
        assertTrue(o.get("evaluation_device_to_host_copies").asDouble() > 0, "an evaluation reads its metrics back: " + o);
        assertEquals("simulator", o.get("counters_source").asText());
        JsonNode roof = o.get("roofline");
        assertEquals("NVIDIA H200", roof.get("device").asText());
        assertTrue(roof.get("estimate_only").asBoolean());
        for (String k : new String[]{"fp32_peak_gflops", "tf32_peak_gflops", "memory_bandwidth_gbs", "flops_per_model_step", "bytes_per_model_step",
                "estimated_model_steps_per_second", "launch_floor_seconds_per_model_step"})
            assertTrue(roof.get(k).isNumber() && roof.get(k).asDouble() > 0, k + " in " + roof);
        assertTrue(List.of("compute", "memory").contains(roof.get("bound").asText()), roof.toString());
        assertFalse(roof.has("measured_over_estimate"), "the simulator's time is not a GPU's: " + roof);
        assertEquals(o.get("flops_per_model_step").asDouble(), roof.get("flops_per_model_step").asDouble(), 0);

        CliTest.Run kernel = CliTest.run(Stream.concat(Stream.of(json), Stream.of("--gemm", "kernel")).toArray(String[]::new));
        assertEquals(0, kernel.code(), kernel.err());
        JsonNode k = new ObjectMapper().readTree(kernel.out());
        assertEquals("nc_gemm", k.get("gemm").asText());
        assertEquals(0, k.get("counters_per_step").get("cublas_calls").asDouble(), "no cuBLAS on the kernel path");

        CliTest.Run eager = CliTest.run(Stream.concat(Stream.of(json), Stream.of("--no-graphs")).toArray(String[]::new));
        assertEquals(0, eager.code(), eager.err());
        JsonNode e = new ObjectMapper().readTree(eager.out());
        assertEquals(0, e.get("graph_launches_per_step").asDouble(), "--no-graphs issues every launch: " + e);
        assertTrue(e.get("kernel_launches_per_step").asDouble() > 0 && e.get("kernel_launches_per_step").asDouble() <= 12, e.toString());
        assertEquals(9, e.get("cublas_calls_per_step").asDouble(), e.toString());
        assertEquals(0, e.get("host_syncs_per_step").asDouble(), e.toString());
    }

    @Test
    void aStudyOnTheSimulatorSaysSoInThePlanTheOutputAndTheReport(@TempDir Path dir) throws Exception {
        Path study = Files.writeString(dir.resolve("study.yaml"), """
                study: simcheck
                description: A tiny study on the simulator.
                base_key: 7
                defaults: {train_frac: 0.6, d: 8, hidden: 16, lr: 3.0e-3, t_int: 150, seeds: 2, eval_grid: every10}
                experiments:
                  - name: wc
                    analysis: critical_norm
                    cells:
                      - {arm: free, p: 11, max_steps: 40}
                """);
        Path out = dir.resolve("out");
        CliTest.Run r = CliTest.run("reproduce", "--preset", study.toString(), "--backend", "cuda-sim", "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\n  estimated time: none on cuda-sim (the CUDA simulator runs the GPU kernels on this CPU"), r.out());
        assertTrue(r.out().contains("\nsimulated: the cuda backend's kernels run on the CUDA simulator"), r.out());
        assertTrue(r.out().contains("\nnote: 2 runs ran on the CUDA simulator (`--backend cuda-sim`): a check of the GPU code, not GPU timings."), r.out());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("2 runs ran on the CUDA simulator (`--backend cuda-sim`): a check of the GPU code, not GPU timings."), md);
        assertTrue(Files.readString(out.resolve("report.html")).contains("2 runs ran on the CUDA simulator"));
    }

    @Test
    void theRefusalsAreOneLineWithExit2(@TempDir Path dir) {
        oneLineRefusal(CliTest.run(CliTest.tiny(dir.resolve("a"), "--backend", "cuda-sim", "--precision", "float64").toArray(String[]::new)),
                "--backend cuda-sim computes in float32; --precision float64 runs on the cpu backend", "cuda-sim with float64");
        for (String[] args : new String[][]{
                CliTest.tiny(dir.resolve("b"), "--backend", "cpu", "--gemm", "kernel").toArray(String[]::new),
                {"bench", "--backend", "cpu", "--gemm", "cublas", "--seconds", "0.1"},
                {"reproduce", "--preset", "smoke", "--backend", "cpu", "--gemm", "kernel", "--plan", "--out", dir.resolve("r").toString()}})
            oneLineRefusal(CliTest.run(args), "--gemm applies to the cuda backend (--backend cuda or cuda-sim) only", String.join(" ", args));
        for (String[] args : new String[][]{
                CliTest.tiny(dir.resolve("c"), "--backend", "cuda-sim", "--tf32", "--gemm", "kernel").toArray(String[]::new),
                {"bench", "--backend", "cuda-sim", "--tf32", "--gemm", "kernel", "--seconds", "0.1"}})
            oneLineRefusal(CliTest.run(args), "--tf32 applies to cuBLAS's GEMMs; --gemm kernel runs them on normclock's nc_gemm kernel",
                    String.join(" ", args));
        oneLineRefusal(CliTest.run(CliTest.tiny(dir.resolve("d"), "--backend", "cuda-sim", "--gemm", "fast").toArray(String[]::new)),
                "--gemm must be auto, cublas or kernel; got 'fast'", "a bad --gemm");
        oneLineRefusal(CliTest.run("devices", "--backend", "cpu"), "--backend of devices must be cuda or cuda-sim", "devices --backend cpu");
        oneLineRefusal(CliTest.run("bench", "--backend", "cpu", "--no-graphs", "--seconds", "0.1"),
                "--no-graphs applies to the cuda backend (--backend cuda or cuda-sim) only", "bench --backend cpu --no-graphs");
        assertFalse(Files.exists(dir.resolve("a").resolve("normclock.db")), "refused before anything was trained");
        assertFalse(Files.exists(dir.resolve("c").resolve("normclock.db")), "refused before anything was trained");
    }

    @Test
    void aSimulatorLibraryThatIsNotThereIsRefusedInOneLine(@TempDir Path dir) {
        Map<String, String> env = new HashMap<>(ENV);
        String missing = dir.resolve("no-such-libnormclock-cudasim.so").toString();
        env.put(CudaSimulator.LIBRARY_ENV, missing);
        String problem = CudaSimulator.LIBRARY_ENV + " names " + missing + ", which is not a file: fix or unset it";
        for (String[] args : new String[][]{
                CliTest.tiny(dir.resolve("t"), "--backend", "cuda-sim").toArray(String[]::new),
                {"bench", "--backend", "cuda-sim", "--seconds", "0.1"},
                {"reproduce", "--preset", "smoke", "--backend", "cuda-sim", "--plan", "--out", dir.resolve("r").toString()}})
            oneLineRefusal(CliTest.run(env, args), "--backend cuda-sim: " + problem, String.join(" ", args));
        oneLineRefusal(CliTest.run(env, "devices", "--backend", "cuda-sim"), "--backend cuda-sim: " + problem, "devices --backend cuda-sim");
        oneLineRefusal(CliTest.run(env, "devices", "--check", "--backend", "cuda-sim", "--primitives-only", "--log", dir.resolve("l").toString()),
                "normclock devices --check --backend cuda-sim: the CUDA simulator cannot run here: " + problem, "devices --check");
        CliTest.Run plain = CliTest.run(env, "devices");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("\ncuda-sim: " + problem + "\n"), plain.out());
        assertFalse(Files.exists(dir.resolve("t").resolve("normclock.db")));
    }

    // ------------------------------------------------------------------------------------------
    // Planted bugs: the self-check on the simulator finds each, and names its primitive first
    // ------------------------------------------------------------------------------------------

    /**
     * Copies native/src, replaces {@code old} by {@code planted} in {@code file} (exactly once),
     * builds the simulator's kernels from the copy and runs `devices --check --backend cuda-sim
     * --primitives-only` on them; returns the check's output after asserting exit 1.
     */
    private static String checkWithPlantedBug(Path dir, String file, String old, String planted) throws Exception {
        Path nativeDir = Path.of(System.getProperty("normclock.native", "../native"));
        Path src = dir.resolve("src"), out = dir.resolve("out");
        Files.createDirectories(src);
        try (Stream<Path> files = Files.list(nativeDir.resolve("src"))) {
            for (Path f : files.toList()) Files.copy(f, src.resolve(f.getFileName()));
        }
        String text = Files.readString(src.resolve(file));
        assertEquals(text.indexOf(old), text.lastIndexOf(old), "the line to break occurs once in " + file);
        assertTrue(text.contains(old), file + " no longer holds: " + old);
        Files.writeString(src.resolve(file), text.replace(old, planted));
        Process build = new ProcessBuilder("bash", nativeDir.resolve("sim").resolve("build.sh").toString(), out.toString(), src.toString())
                .redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes());
        assertTrue(build.waitFor(120, TimeUnit.SECONDS), "the simulator's build finishes");
        assertEquals(0, build.exitValue(), buildLog);
        Map<String, String> env = new HashMap<>(ENV);
        env.put(CudaSimulator.KERNELS_ENV, out.resolve("normclock-sim-kernels.so").toString());
        CliTest.Run r = CliTest.run(env, "devices", "--check", "--backend", "cuda-sim", "--primitives-only", "--log", dir.resolve("check.log").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().strip().endsWith("self-check FAILED (see " + dir.resolve("check.log") + ")"), r.out());
        return r.out();
    }

    /** The case lines that failed, without their indentation. */
    private static List<String> failures(String output) {
        return output.lines().filter(l -> l.startsWith("  ") && l.contains(" of its tolerance  FAIL")).map(String::strip).toList();
    }

    private static void assertFailuresOnly(String output, List<String> primitives) {
        List<String> failed = failures(output);
        assertFalse(failed.isEmpty(), output);
        for (String f : failed)
            assertTrue(primitives.stream().anyMatch(f::startsWith), "only " + primitives + " fail, every other primitive passes: " + f);
        assertEquals(2, output.lines().filter(l -> l.contains(" comparisons, SOME FAILED")).count(), "both GEMM paths fail: " + output);
    }

    /** nc_transpose writes dst[r][c] instead of dst[c][r]: out of its allocation, a fault; the backend is opened afresh for the next case. */
    @Test
    void aTransposeWrittenUntransposedFailsTransposeAndNothingElse(@TempDir Path dir) throws Exception {
        String out = checkWithPlantedBug(dir, "elementwise.cuh", "*at(dst, m, c, r) = *at(src, m, r, c);", "*at(dst, m, r, c) = *at(src, m, r, c);");
        assertTrue(failures(out).getFirst().startsWith("transpose "), out);
        assertFailuresOnly(out, List.of("transpose "));
        assertTrue(out.contains("the backend was opened afresh after the case that threw"), out);
    }

    /** blockPartial without its barrier: thread 0 reads the other warps' sums before they are written (a shared-memory race). */
    @Test
    void aMissingBarrierInTheBlockSumsFailsAdamWAndSumSquares(@TempDir Path dir) throws Exception {
        String out = checkWithPlantedBug(dir, "optimizer.cuh", "warps[threadIdx.x >> 5] = v;\n    __syncthreads();\n",
                "warps[threadIdx.x >> 5] = v;\n");
        assertTrue(failures(out).getFirst().startsWith("adamW "), out);
        assertFailuresOnly(out, List.of("adamW ", "sumSquares"));
    }

    /**
     * warpSum's shuffle offset halved (o >> 1: offsets 8, 4, 2, 1, 0, so each lane sums itself twice
     * and never sees the other half-warp): the sums of the block reductions (adamW's Σw²,
     * sumSquares) and of LayerNorm are wrong, without any fault. (The offset o + 1 would not be a
     * bug: 17, 9, 5, 3, 2 span all 32 lanes under XOR, so that butterfly still sums every lane.)
     */
    @Test
    void aWrongWarpShuffleOffsetFailsTheDoubleWarpSums(@TempDir Path dir) throws Exception {
        String out = checkWithPlantedBug(dir, "common.cuh",
                "__device__ __forceinline__ double warpSum(double v) {\n    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);",
                "__device__ __forceinline__ double warpSum(double v) {\n    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o >> 1);");
        assertTrue(failures(out).getFirst().startsWith("adamW "), out);
        // and the loss totals, whose double sums go through warpSum too
        assertFailuresOnly(out, List.of("adamW ", "sumSquares", "layerNorm", "loss into totals", "hiddenToCrossEntropy into totals"));
        assertTrue(failures(out).stream().anyMatch(f -> f.startsWith("layerNorm ")), out);
    }
}
