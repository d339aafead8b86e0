package dev.normclock.bindings.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.normclock.bindings.NativeLibrary;

/**
 * Where normclock looks for the CUDA driver and cuBLAS. The driver (libcuda.so.1) comes with the
 * GPU driver and is found through the loader's path, or NORMCLOCK_LIBCUDA. cuBLAS comes from a CUDA
 * toolkit (CUDA_HOME, /usr/local/cuda) or from the Python wheels (site-packages/nvidia/cublas/lib for
 * CUDA 12, site-packages/nvidia/cu13/lib for CUDA 13, e.g. beside PyTorch), or NORMCLOCK_CUBLAS,
 * its major version one the driver runs.
 */
public final class CudaLibraries {
    public static final String LIBCUDA_ENV = "NORMCLOCK_LIBCUDA", CUBLAS_ENV = "NORMCLOCK_CUBLAS";

    private CudaLibraries() {
    }

    public static NativeLibrary driver(Map<String, String> env) {
        return NativeLibrary.find(List.of("libcuda.so.1", "libcuda.so"), env.get(LIBCUDA_ENV), LIBCUDA_ENV, List.of());
    }

    /**
     * cuBLAS of a major version the driver runs: a cuBLAS built for CUDA 13 needs a CUDA 13 driver,
     * so with driverVersion 12080 (cuDriverGetVersion's 12.8) only libcublas.so.12 and .11 are
     * tried, newest first; 0 (unknown) tries 13, 12 and 11.
     */
    public static NativeLibrary cublas(Map<String, String> env, int driverVersion) {
        return NativeLibrary.find(cublasSonames(driverVersion), env.get(CUBLAS_ENV), CUBLAS_ENV, cublasFolders(env));
    }

    public static List<String> cublasSonames(int driverVersion) {
        int major = driverVersion <= 0 ? Integer.MAX_VALUE : driverVersion / 1000;
        List<String> out = new ArrayList<>();
        for (int m : new int[]{13, 12, 11})
            if (m <= major) out.add("libcublas.so." + m);
        if (out.isEmpty()) out.add("libcublas.so.11"); // an older driver: let the error say what was looked for
        return out;
    }

    /** CUDA toolkit library folders, then the nvidia-cublas wheel's folder in every Python site it can see. */
    public static List<Path> cublasFolders(Map<String, String> env) {
        List<Path> out = new ArrayList<>();
        for (String home : new String[]{env.get("CUDA_HOME"), env.get("CUDA_PATH"), "/usr/local/cuda"})
            if (home != null && !home.isBlank()) out.add(Path.of(home, "lib64"));
        List<Path> roots = new ArrayList<>();
        for (String prefix : new String[]{env.get("VIRTUAL_ENV"), env.get("CONDA_PREFIX"), "/usr", "/usr/local", "/opt/conda",
                env.get("HOME") == null ? null : env.get("HOME") + "/.local"})
            if (prefix != null && !prefix.isBlank()) roots.add(Path.of(prefix, "lib"));
        for (Path lib : roots) {
            if (!Files.isDirectory(lib)) continue;
            try (Stream<Path> pythons = Files.list(lib)) {
                for (Path py : pythons.filter(d -> d.getFileName().toString().startsWith("python3")).sorted().toList())
                    for (String site : new String[]{"site-packages", "dist-packages"})
                        for (String wheel : new String[]{"nvidia/cublas/lib", "nvidia/cu13/lib"}) // CUDA 12 and CUDA 13 wheels' layouts
                            out.add(py.resolve(site).resolve(wheel));
            } catch (java.io.IOException ignored) {
                // an unreadable folder holds no library for us
            }
        }
        return out;
    }
}
