package dev.normclock.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import dev.normclock.bindings.NativeLibrary;

/**
 * normclock's CUDA simulator (native/sim): the same cuda backend, with the driver API and cuBLAS
 * served by a library that runs the kernels on the CPU — each GPU thread a fiber, every load and
 * store checked — and with the kernels compiled for the host instead of the GPU. It is how the
 * GPU code runs without a GPU (CI, this project's machines): it proves the kernels' logic, the
 * bindings and the host side, never speed. {@code --backend cuda-sim} selects it; {@code auto}
 * and {@code cuda} never do.
 *
 * <p>The build packages both parts in the engine's jar where a C++ compiler exists (Maven profile
 * {@code cuda-sim}); NORMCLOCK_SIM_LIBRARY and NORMCLOCK_SIM_KERNELS point at other builds (the
 * tests give a kernel module with a planted bug that way).
 */
public final class CudaSimulator {
    static final String LIBRARY_RESOURCE = "/dev/normclock/backend/cuda/sim/libnormclock-cudasim.so";
    static final String KERNELS_RESOURCE = "/dev/normclock/backend/cuda/sim/normclock-sim-kernels.so";
    public static final String LIBRARY_ENV = "NORMCLOCK_SIM_LIBRARY", KERNELS_ENV = "NORMCLOCK_SIM_KERNELS";
    /** One line for a build without the simulator: what is missing and what to do. */
    public static final String NOT_BUILT = "the CUDA simulator is not built: this normclock was built where no C++ compiler (g++) was "
            + "found, so its jar holds no libnormclock-cudasim.so; install g++ and rebuild (native/sim/build.sh runs from Maven when "
            + "g++ is on the PATH, or with -Pcuda-sim)";

    private static Path extracted; // the packaged library, written out once per process

    private CudaSimulator() {
    }

    /** Why the simulator cannot run here (one line), or null when it can. */
    public static String problem(Map<String, String> env) {
        if (!System.getProperty("os.name", "").startsWith("Linux"))
            return "the CUDA simulator runs on Linux only (it loads ELF kernel modules)";
        String lib = env.get(LIBRARY_ENV), kernels = env.get(KERNELS_ENV);
        if (lib != null && !lib.isBlank() && !Files.isRegularFile(Path.of(lib)))
            return LIBRARY_ENV + " names " + lib + ", which is not a file: fix or unset it";
        if (kernels != null && !kernels.isBlank() && !Files.isRegularFile(Path.of(kernels)))
            return KERNELS_ENV + " names " + kernels + ", which is not a file: fix or unset it";
        if ((lib == null || lib.isBlank()) && CudaSimulator.class.getResource(LIBRARY_RESOURCE) == null) return NOT_BUILT;
        if ((kernels == null || kernels.isBlank()) && CudaSimulator.class.getResource(KERNELS_RESOURCE) == null) return NOT_BUILT;
        return null;
    }

    /**
     * Where the kernels' host build comes from, for messages: the file NORMCLOCK_SIM_KERNELS names,
     * or the one packaged in this jar, with its size; null when there is none.
     */
    public static String describeKernels(Map<String, String> env) {
        String kernels = env.get(KERNELS_ENV);
        try {
            if (kernels != null && !kernels.isBlank())
                return Path.of(kernels).getFileName() + ", " + Files.size(Path.of(kernels)) + " bytes, from " + KERNELS_ENV + "=" + kernels;
            try (InputStream in = CudaSimulator.class.getResourceAsStream(KERNELS_RESOURCE)) {
                if (in == null) return null;
                return "normclock-sim-kernels.so, " + in.transferTo(java.io.OutputStream.nullOutputStream()) + " bytes, packaged in this build";
            }
        } catch (IOException e) {
            return null;
        }
    }

    /** The simulator's library, which exports the driver API and cuBLAS; an IllegalStateException saying why when it cannot. */
    static NativeLibrary library(Map<String, String> env) {
        String problem = problem(env);
        if (problem != null) throw new IllegalStateException(problem);
        String lib = env.get(LIBRARY_ENV);
        Path path = lib != null && !lib.isBlank() ? Path.of(lib) : extractLibrary();
        NativeLibrary found = NativeLibrary.find(List.of("libnormclock-cudasim.so"), path.toString(), LIBRARY_ENV, List.of());
        if (!found.found()) throw new IllegalStateException("the CUDA simulator's library cannot be loaded: " + found.problem());
        return found;
    }

    /** The kernels compiled for the host: the image cuModuleLoadData takes from the simulator, as the fatbin from a GPU driver. */
    static byte[] kernels(Map<String, String> env) {
        String kernels = env.get(KERNELS_ENV);
        try {
            if (kernels != null && !kernels.isBlank()) return Files.readAllBytes(Path.of(kernels));
            try (InputStream in = CudaSimulator.class.getResourceAsStream(KERNELS_RESOURCE)) {
                if (in == null) throw new IllegalStateException(NOT_BUILT);
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new IllegalStateException("the CUDA simulator's kernels cannot be read: " + e.getMessage(), e);
        }
    }

    private static synchronized Path extractLibrary() {
        if (extracted != null) return extracted;
        try (InputStream in = CudaSimulator.class.getResourceAsStream(LIBRARY_RESOURCE)) {
            if (in == null) throw new IllegalStateException(NOT_BUILT);
            Path file = Files.createTempFile("normclock-cudasim", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            extracted = file;
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("the CUDA simulator's library cannot be written to a temporary file: " + e.getMessage()
                    + " (set TMPDIR to a writable folder)", e);
        }
    }
}
