package dev.normclock.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.CudaLibraries;
import dev.normclock.bindings.cuda.Cublas;

/**
 * Finding native libraries at run time: by an explicit path, in known folders, through the
 * loader — and every miss as one line that says where it looked and what to set. The CUDA probes
 * never throw: on a machine without a GPU they say why, on one with a GPU they describe it.
 */
class NativeLibraryTest {
    /** The C library: present on every Linux, so it stands in for a library that is there. */
    static final String LIBC = "libc.so.6";

    @Test
    void aLibraryOnTheLoadersPathIsFoundAndItsSymbolsResolve() {
        NativeLibrary lib = NativeLibrary.find(List.of(LIBC), null, "X", List.of());
        assertTrue(lib.found(), lib.problem());
        assertTrue(lib.lookup().find("strlen").isPresent());
    }

    @Test
    void aLibraryInAKnownFolderIsFoundThereFirst(@TempDir Path dir) throws Exception {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
        if (!Files.exists(libc)) libc = Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6");
        Files.copy(libc, dir.resolve("libdemo.so.1.2"));
        NativeLibrary lib = NativeLibrary.find(List.of("libdemo.so.1"), null, "X", List.of(dir.resolve("missing"), dir));
        assertTrue(lib.found(), lib.problem());
        assertEquals(dir.resolve("libdemo.so.1.2").toString(), lib.location());
    }

    @Test
    void anExplicitPathThatIsWrongIsReportedInOneLine(@TempDir Path dir) throws Exception {
        NativeLibrary missing = NativeLibrary.find(List.of("libcuda.so.1"), dir.resolve("nope.so").toString(), "NORMCLOCK_LIBCUDA", List.of());
        assertFalse(missing.found());
        assertTrue(missing.problem().contains("not found at " + dir.resolve("nope.so")) && missing.problem().contains("NORMCLOCK_LIBCUDA"),
                missing.problem());
        Path text = Files.writeString(dir.resolve("libfake.so"), "not a library");
        NativeLibrary broken = NativeLibrary.find(List.of("libcuda.so.1"), text.toString(), "NORMCLOCK_LIBCUDA", List.of());
        assertFalse(broken.found());
        assertTrue(broken.problem().contains("cannot be loaded"), broken.problem());
        assertEquals(1, broken.problem().lines().count());
    }

    @Test
    void aLibraryNowhereSaysWhereItLooked(@TempDir Path dir) {
        NativeLibrary lib = NativeLibrary.find(List.of("libnormclock-none.so.9"), null, "NORMCLOCK_NONE", List.of(dir));
        assertFalse(lib.found());
        assertTrue(lib.problem().contains(dir.toString()) && lib.problem().contains("the loader's search path")
                && lib.problem().contains("set NORMCLOCK_NONE"), lib.problem());
    }

    @Test
    void theDriverProbeNeverThrows(@TempDir Path dir) {
        CudaDriver.Report wrong = CudaDriver.probe(Map.of(CudaLibraries.LIBCUDA_ENV, dir.resolve("libcuda.so.1").toString()));
        assertFalse(wrong.available());
        assertTrue(wrong.problem().startsWith("no CUDA driver: libcuda.so.1 not found at"), wrong.problem());
        CudaDriver.Report here = CudaDriver.probe(System.getenv());
        if (here.available()) {
            for (CudaDriver.Gpu g : here.gpus()) assertTrue(!g.name().isBlank() && g.memoryBytes() > 0 && g.ccMajor() >= 3, g.toString());
            System.out.println("GPUs: " + here.gpus());
        } else {
            assertEquals(1, here.problem().lines().count(), here.problem());
            System.out.println("no GPU here: " + here.problem());
        }
    }

    /** A cuBLAS built for CUDA 13 needs a CUDA 13 driver: the driver's version picks the majors tried, newest first. */
    @Test
    void cublasMajorVersionsFollowTheDriver() {
        assertEquals(java.util.List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11"), CudaLibraries.cublasSonames(13000));
        assertEquals(java.util.List.of("libcublas.so.12", "libcublas.so.11"), CudaLibraries.cublasSonames(12080));
        assertEquals(java.util.List.of("libcublas.so.11"), CudaLibraries.cublasSonames(11080));
        assertEquals(java.util.List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11"), CudaLibraries.cublasSonames(0));
        java.util.List<java.nio.file.Path> folders = CudaLibraries.cublasFolders(Map.of("VIRTUAL_ENV", "/opt/venv"));
        // both wheel layouts are searched where a Python site exists (here only named, not present)
        assertTrue(folders.contains(java.nio.file.Path.of("/usr/local/cuda/lib64")), folders.toString());
    }

    @Test
    void theCublasProbeLooksInTheToolkitAndTheWheelFolders() {
        Cublas.Report r = Cublas.probe(Map.of("CUDA_HOME", "/nonexistent-cuda", "HOME", "/nonexistent-home"), 0);
        if (!r.available()) {
            assertTrue(r.problem().contains("/nonexistent-cuda/lib64") && r.problem().contains("NORMCLOCK_CUBLAS"), r.problem());
            assertEquals(1, r.problem().lines().count());
        } else {
            assertTrue(r.version().matches("\\d+\\.\\d+\\.\\d+"), r.toString());
        }
    }
}
