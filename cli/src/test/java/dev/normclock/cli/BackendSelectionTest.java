package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.normclock.backend.Precision;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.KernelImage;
import dev.normclock.bindings.cuda.CudaLibraries;

/**
 * --backend and `devices` where the cuda backend cannot run: cuda is refused in one line naming
 * what is missing (exit 2), auto falls back to the cpu, and `devices` says whether the kernels
 * are in this build. The environment is given explicitly where the answer must not depend on the
 * machine: a driver path that does not exist, or the C library posing as a driver.
 */
class BackendSelectionTest {
    static final Map<String, String> NO_DRIVER = Map.of(CudaLibraries.LIBCUDA_ENV, "/nonexistent/libcuda.so.1");
    static final Map<String, String> NOT_A_DRIVER = Map.of(CudaLibraries.LIBCUDA_ENV, "/lib/x86_64-linux-gnu/libc.so.6");
    static final CudaAvailability HERE = CudaAvailability.probe(System.getenv());

    static String resolveError(String backend, Precision precision, Map<String, String> env) {
        return assertThrows(IllegalArgumentException.class,
                () -> BackendChoice.resolve(backend, precision, new PrintWriter(new StringWriter()), env)).getMessage();
    }

    @Test
    void cudaWithoutADriverSaysSoAndWhatToDo() {
        String m = resolveError("cuda", Precision.FLOAT32, NO_DRIVER);
        assertTrue(m.startsWith("--backend cuda: no CUDA driver: libcuda.so.1 not found at /nonexistent/libcuda.so.1"), m);
        assertTrue(m.endsWith("; use --backend cpu or auto (see 'normclock devices')"), m);
        assertEquals(1, m.lines().count());
    }

    @Test
    void cudaWithALibraryThatIsNotTheDriverSaysWhichFunctionIsMissing() {
        String m = resolveError("cuda", Precision.FLOAT32, NOT_A_DRIVER);
        assertTrue(m.contains("cuInit"), m);
        assertEquals(1, m.lines().count());
    }

    @Test
    void cudaComputesInFloat32Only() {
        String m = resolveError("cuda", Precision.FLOAT64, Map.of());
        assertTrue(m.contains("--backend cuda computes in float32") && m.contains("--precision float64 runs on the cpu"), m);
    }

    @Test
    void autoWithoutAGpuTakesTheCpuQuietly() {
        StringWriter err = new StringWriter();
        assertEquals(BackendChoice.Kind.CPU, BackendChoice.resolve("auto", Precision.FLOAT32, new PrintWriter(err, true), NO_DRIVER));
        assertEquals("", err.toString());
        assertEquals(BackendChoice.Kind.CPU, BackendChoice.resolve("cpu", Precision.FLOAT32, new PrintWriter(err, true), Map.of()));
        assertEquals(BackendChoice.Kind.CPU, BackendChoice.resolve("auto", Precision.FLOAT64, new PrintWriter(err, true), Map.of()));
        assertTrue(resolveError("tpu", Precision.FLOAT32, Map.of()).contains("--backend must be cpu, cuda, cuda-sim or auto"));
    }

    @Test
    void theCommandsRefuseCudaInOneLineWhereItCannotRun(@TempDir Path dir) {
        assumeTrue(!HERE.usable(), "a usable GPU is here: these would train (the GPU tests cover that)");
        String want = "--backend cuda: " + HERE.problem();
        for (String[] args : new String[][]{
                {"bench", "--backend", "cuda", "--seconds", "0.1"},
                {"reproduce", "--preset", "smoke", "--backend", "cuda", "--out", dir.resolve("r").toString()}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains(want), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void devicesSaysWhetherTheKernelsAreBuiltAndWhyCudaCannotRun() {
        CliTest.Run r = CliTest.run("devices");
        assertEquals(0, r.code(), r.err());
        if (KernelImage.built()) {
            assertTrue(r.out().contains("\nkernels: found (normclock.fatbin, "), r.out());
            assertTrue(r.out().contains(" bytes, sm_80 + sm_90 + compute_90 PTX)\n"), r.out());
        }
        else assertTrue(r.out().contains("\nkernels: kernels not built: "), r.out());
        if (!HERE.usable()) assertTrue(r.out().contains("backends: cpu (used); cuda cannot run: " + HERE.problem()), r.out());
    }

    @Test
    void theSelfCheckWithoutAGpuSaysSoInOneLineAndExits2(@TempDir Path dir) {
        assumeTrue(!HERE.usable(), "a usable GPU is here: the self-check would run");
        CliTest.Run r = CliTest.run("devices", "--check", "--log", dir.resolve("check.log").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("normclock devices --check: no usable GPU here: "), r.err());
    }

    @Test
    void thePrimitivesOnlyCheckWithoutAGpuSaysSoInOneLineAndIsRefusedWithoutCheck(@TempDir Path dir) {
        assumeTrue(!HERE.usable(), "a usable GPU is here: the self-check would run");
        CliTest.Run r = CliTest.run("devices", "--check", "--primitives-only", "--log", dir.resolve("check.log").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("normclock devices --check: no usable GPU here: "), r.err());
        CliTest.Run alone = CliTest.run("devices", "--primitives-only");
        assertEquals(2, alone.code(), alone.err());
        assertEquals(1, alone.err().strip().lines().count(), alone.err());
        assertTrue(alone.err().contains("--primitives-only is an option of --check"), alone.err());
    }

    @Test
    void tf32IsRefusedInOneLineWhereverTheCpuBackendWouldRun(@TempDir Path dir) {
        String want = "--tf32 applies to the cuda backend's cuBLAS GEMMs only";
        java.util.List<String[]> cases = new java.util.ArrayList<>(java.util.List.of(
                CliTest.tiny(dir.resolve("t"), "--backend", "cpu", "--tf32").toArray(String[]::new),
                new String[]{"bench", "--backend", "cpu", "--tf32", "--seconds", "0.1"},
                new String[]{"reproduce", "--preset", "smoke", "--backend", "cpu", "--tf32", "--plan", "--out", dir.resolve("r").toString()}));
        if (!HERE.usable()) cases.add(CliTest.tiny(dir.resolve("a"), "--tf32").toArray(String[]::new)); // auto chose the cpu
        for (String[] args : cases) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(want), r.err());
        }
        assertFalse(java.nio.file.Files.exists(dir.resolve("t").resolve("normclock.db")), "refused before anything was trained");
    }

    /** --softmax-sum top-last trains on the cpu backend and every run records it; the cuda backends refuse it in one line. */
    @Test
    void theSoftmaxSumOrderIsRecordedOnTheCpuAndRefusedOnCuda(@TempDir Path dir) throws Exception {
        CliTest.Run ok = CliTest.run(CliTest.tiny(dir.resolve("t"), "--backend", "cpu", "--softmax-sum", "top-last").toArray(String[]::new));
        assertEquals(0, ok.code(), ok.err());
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir.resolve("t"))) {
            for (var r : store.allRuns()) assertTrue(r.spec().configJson().contains("\"softmax_sum\":\"top-last\""), r.spec().configJson());
        }
        CliTest.Run plain = CliTest.run(CliTest.tiny(dir.resolve("p"), "--backend", "cpu").toArray(String[]::new));
        assertEquals(0, plain.code(), plain.err());
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir.resolve("p"))) {
            for (var r : store.allRuns()) assertTrue(r.spec().configJson().contains("\"softmax_sum\":\"warp\""), "the default, warp, is recorded");
        }
        var onCuda = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BackendChoice.softmaxSum("top-last", BackendChoice.Kind.CUDA_SIM));
        assertTrue(onCuda.getMessage().startsWith("--softmax-sum top-last applies to the cpu backend only"), onCuda.getMessage());
        assertEquals(dev.normclock.backend.SoftmaxSum.WARP, BackendChoice.softmaxSum(null, BackendChoice.Kind.CUDA_SIM), "the cuda kernels' own order");
        for (String[] args : new String[][]{
                {"reproduce", "--preset", "smoke", "--backend", "cpu", "--softmax-sum", "sideways", "--plan", "--out", dir.resolve("r").toString()}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("--softmax-sum"), r.err());
        }
    }

    /**
     * A study keeps one float32 arithmetic: one trained in class order (normclock's default before
     * warp), resumed with the default, is refused in one line that names the option to resume it, and nothing is lost.
     */
    @Test
    void aStudyResumesOnlyWithTheSoftmaxSumItStartedWith(@TempDir Path dir) throws Exception {
        String out = dir.resolve("r").toString();
        CliTest.Run first = CliTest.run("reproduce", "--preset", "smoke", "--only", "fork", "--backend", "cpu", "--softmax-sum", "class-order",
                "--no-progress", "--no-report", "--out", out);
        assertEquals(0, first.code(), first.err());
        int runs;
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir.resolve("r"))) {
            runs = store.allRuns().size();
            for (var r : store.allRuns()) assertFalse(r.spec().configJson().contains("softmax_sum"), "class order is what an unrecorded run means");
        }
        CliTest.Run other = CliTest.run("reproduce", "--preset", "smoke", "--only", "fork", "--backend", "cpu", "--no-progress", "--no-report", "--out", out);
        assertEquals(2, other.code(), other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("resume with --softmax-sum class-order"), other.err());
        CliTest.Run same = CliTest.run("reproduce", "--preset", "smoke", "--only", "fork", "--backend", "cpu", "--softmax-sum", "class-order",
                "--no-progress", "--no-report", "--out", out);
        assertEquals(0, same.code(), same.err());
        try (var store = dev.normclock.results.ResultsStore.openExisting(dir.resolve("r"))) {
            assertEquals(runs, store.allRuns().size(), "every run kept, none trained again");
        }
    }

    @Test
    void tf32IsDocumentedOnEveryCommandThatTakesIt() {
        for (String cmd : new String[]{"train", "reproduce", "bench"}) {
            CliTest.Run r = CliTest.run(cmd, "--help");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("--tf32"), cmd + ": " + r.out());
            assertTrue(r.out().replaceAll("\\s+", " ").contains("changes the numerics"), cmd + ": " + r.out());
        }
    }
}
