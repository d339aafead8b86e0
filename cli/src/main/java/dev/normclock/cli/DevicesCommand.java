package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.KernelImage;
import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock devices`: what this machine offers normclock — CPU, vector width, GPUs, cuBLAS, the kernels; --check tests the GPU. */
@Command(name = "devices", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Lists the CPU (cores, model, the Vector API's vector width) and the GPUs the CUDA driver sees (name, memory,",
                "compute capability, driver version), whether cuBLAS was found and whether this build holds the cuda backend's",
                "kernels, or for each why not; then which backends can run.",
                "",
                "The driver (libcuda.so.1) is looked for through the loader's path, or at NORMCLOCK_LIBCUDA; cuBLAS in",
                "CUDA_HOME/lib64, /usr/local/cuda/lib64, the Python wheel folder site-packages/nvidia/cublas/lib, the",
                "loader's path, or at NORMCLOCK_CUBLAS. The kernels are built into the jar where nvcc was present at build time.",
                "",
                "--check runs the GPU self-check: the conformance suite (every cuda primitive on generated inputs against the",
                "cpu-float64 backend, each case's worst error in units of its tolerance), a few training steps of each model",
                "and of the paper's MLP shape on the cuda and the cpu backend, and a short throughput benchmark of the MLP step;",
                "it writes a log (--log) and exits 1 when a comparison fails, 2 when there is no usable GPU.",
                "--check --primitives-only runs the first stage alone (small shapes, a few seconds on a GPU): the run to put",
                "under compute-sanitizer, which slows every kernel down by orders of magnitude.",
                ""})
final class DevicesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--check", description = "Run the GPU self-check (see above).")
    boolean check;
    @Option(names = "--log", paramLabel = "FILE", description = "Where --check writes its log. Default: ${DEFAULT-VALUE}.")
    Path log = Path.of("gpu-check.log");
    @Option(names = "--steps", paramLabel = "N", description = "Training steps per model in --check. Default: ${DEFAULT-VALUE}.")
    int steps = 5;
    @Option(names = "--bench-seconds", paramLabel = "S", description = "Timed seconds per benchmark point in --check (0: no benchmark). Default: ${DEFAULT-VALUE}.")
    double benchSeconds = 3;
    @Option(names = "--bench-models", paramLabel = "LIST", split = ",", description = "Population sizes of the --check benchmark. Default: ${DEFAULT-VALUE}.")
    int[] benchModels = {16, 64, 256};
    @Option(names = "--primitives-only", description = "With --check: only compare the primitives (no training steps, no benchmark).")
    boolean primitivesOnly;

    @Override
    public Integer call() throws Exception {
        if (check) {
            if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
            if (benchSeconds < 0) throw new IllegalArgumentException("--bench-seconds must be zero or positive, got " + benchSeconds);
            return new GpuCheck(spec.commandLine().getOut(), spec.commandLine().getErr(), log, steps, benchSeconds, benchModels, primitivesOnly)
                    .run(System.getenv());
        }
        if (primitivesOnly) throw new IllegalArgumentException("--primitives-only is an option of --check");
        PrintWriter o = spec.commandLine().getOut();
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        o.printf(Locale.ROOT, "cpu:    %d cores, %s, %s; Vector API %d-bit vectors (%d floats); Java %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("os.arch"), lanes * 32, lanes, Runtime.version());
        CudaAvailability cuda = CudaAvailability.probe(System.getenv());
        CudaDriver.Report gpu = cuda.driver();
        if (gpu.available()) {
            o.printf(Locale.ROOT, "driver: CUDA %d.%d (%s)%n", gpu.driverVersion() / 1000, gpu.driverVersion() % 1000 / 10, gpu.driverLocation());
            for (CudaDriver.Gpu g : gpu.gpus())
                o.printf(Locale.ROOT, "gpu %d:  %s, %.1f GiB, compute capability %d.%d%n", g.ordinal(), g.name(), g.memoryBytes() / 1073741824.0,
                        g.ccMajor(), g.ccMinor());
        } else {
            o.println("gpu:    none usable: " + gpu.problem());
        }
        Cublas.Report blas = cuda.cublas();
        o.println(blas.available() ? "cublas: " + blas.version() + " (" + blas.location() + ")" : "cublas: " + blas.problem());
        o.println(cuda.kernels() ? String.format(Locale.ROOT, "kernels: found (normclock.fatbin, %d bytes, %s)", KernelImage.size(),
                KernelImage.targets(KernelImage.load()))
                : "kernels: " + KernelImage.NOT_BUILT);
        o.println(cuda.usable() ? "backends: cpu; cuda (used by --backend auto)" : "backends: cpu (used); cuda cannot run: " + cuda.problem());
        o.flush();
        return 0;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
        } catch (java.io.IOException | RuntimeException ignored) {
            // not Linux: the architecture below says enough
        }
        return "unknown model";
    }
}
