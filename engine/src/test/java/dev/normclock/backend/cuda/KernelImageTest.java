package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The kernels' build product: where nvcc is installed the engine build compiles native/src into a
 * fatbin and packages it (the build tells the tests through the system property normclock.kernels);
 * where it is not, the backend says "kernels not built" in one line.
 */
class KernelImageTest {
    static final Path NVCC = Path.of("/usr/local/cuda/bin/nvcc");
    /** The fatbin container's magic number (little-endian 0xBA55ED50). */
    static final int FATBIN_MAGIC = 0xBA55ED50;

    @Test
    void whereNvccIsInstalledTheBuildPackagesAFatbin() {
        assumeTrue(Files.isExecutable(NVCC), "no nvcc at " + NVCC + ": the build made no fatbin, as intended");
        assumeTrue("built".equals(System.getProperty("normclock.kernels")), "the cuda-kernels profile was switched off (-P!cuda-kernels)");
        assertTrue(KernelImage.built(), KernelImage.RESOURCE + " is missing although nvcc exists");
        byte[] image = KernelImage.load();
        assertTrue(image.length > 10_000, "a fatbin of every kernel: " + image.length + " bytes");
        assertEquals(FATBIN_MAGIC, ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        assertEquals(image.length, KernelImage.size());
        // native/build.sh's targets: Ampere and Hopper machine code, and PTX for GPUs newer than Hopper
        assertEquals("sm_80 + sm_90 + compute_90 PTX", KernelImage.targets(image));
    }

    @Test
    void theTargetsAreReadFromTheContainerHeaders() {
        // a container by hand: one sm_86 ELF entry (payload 4 bytes), one compute_75 PTX entry (payload 2 bytes)
        ByteBuffer b = ByteBuffer.allocate(16 + 64 + 4 + 64 + 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, FATBIN_MAGIC).putShort(4, (short) 1).putShort(6, (short) 16).putLong(8, 64 + 4 + 64 + 2);
        b.putShort(16, (short) 2).putInt(20, 64).putLong(24, 4).putInt(16 + 28, 86);
        b.putShort(84, (short) 1).putInt(88, 64).putLong(92, 2).putInt(84 + 28, 75);
        assertEquals("sm_86 + compute_75 PTX", KernelImage.targets(b.array()));
        assertEquals("unreadable", KernelImage.targets(new byte[16]));
        byte[] cut = java.util.Arrays.copyOf(b.array(), 40);
        assertEquals("unreadable", KernelImage.targets(cut));
    }

    @Test
    void theFatbinHoldsEveryKernelTheBackendLaunches() throws Exception {
        assumeTrue(KernelImage.built(), "no fatbin in this build");
        String text = new String(KernelImage.load(), java.nio.charset.StandardCharsets.ISO_8859_1);
        String source = Files.readString(Path.of(System.getProperty("user.dir")).resolve("src/main/java/dev/normclock/backend/cuda/CudaBackend.java"));
        var names = java.util.regex.Pattern.compile("kernel\\(\"(nc_\\w+)\"\\)").matcher(source).results().map(r -> r.group(1)).distinct().toList();
        names = new java.util.ArrayList<>(names);
        names.addAll(java.util.List.of("nc_cross_entropy", "nc_squared_error")); // launched through loss(name, …)
        assertTrue(names.size() >= 20, names.toString());
        for (String name : names) assertTrue(text.contains(name), name + " is not in the fatbin");
    }

    @Test
    void theMessageForABuildWithoutKernelsIsOneLineSayingWhatToDo() {
        assertEquals(1, KernelImage.NOT_BUILT.lines().count());
        assertTrue(KernelImage.NOT_BUILT.startsWith("kernels not built"));
        assertTrue(KernelImage.NOT_BUILT.contains("nvcc"));
        if (!KernelImage.built()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, KernelImage::load);
            assertEquals(KernelImage.NOT_BUILT, e.getMessage());
        }
    }
}
