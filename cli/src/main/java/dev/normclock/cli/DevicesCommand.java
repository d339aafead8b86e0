package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import java.util.Map;

import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;
import dev.normclock.backend.cuda.CudaSimulator;
import dev.normclock.backend.cuda.KernelImage;
import dev.normclock.backend.cuda.OpenCheck;
import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `normclock devices`: what this machine offers normclock — CPU, vector width, GPUs, cuBLAS, the kernels, the simulator; --check tests the GPU. */
@Command(name = "devices", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Lists the CPU (cores, model, the Vector API's vector width) and the GPUs the CUDA driver sees (name, memory,",
                "compute capability, driver version), whether cuBLAS was found and whether this build holds the cuda backend's",
                "kernels, or for each why not; where the cuda backend can run, proves that it opens (loads the kernels, runs one",
                "kernel and one GEMM, compares them with the expected values); then which backends can run, and whether the CUDA",
                "simulator (--backend cuda-sim) is available.",
                "",
                "The driver (libcuda.so.1) is looked for through the loader's path, or at NORMCLOCK_LIBCUDA; cuBLAS in",
                "CUDA_HOME/lib64, /usr/local/cuda/lib64, the Python wheel folder site-packages/nvidia/cublas/lib, the",
                "loader's path, or at NORMCLOCK_CUBLAS. The kernels are built into the jar where nvcc was present at build time.",
                "",
                "--backend cuda-sim shows the same for normclock's CUDA simulator instead: the cuda backend's kernels built for",
                "this CPU and run with every GPU thread a fiber, the driver API and cuBLAS served by the simulator's library",
                "(NORMCLOCK_SIM_LIBRARY and NORMCLOCK_SIM_KERNELS point at other builds; NORMCLOCK_SIM_THREADS, NORMCLOCK_SIM_SEED",
                "and NORMCLOCK_SIM_MEMORY set it up). A simulation proves the GPU code's logic, not its speed.",
                "",
                "--check runs the GPU self-check: the conformance suite (every cuda primitive on generated inputs against the",
                "cpu-float64 backend, each case's worst error in units of its tolerance; once on cuBLAS's GEMMs where cuBLAS is",
                "found and once on normclock's nc_gemm kernel), a few training steps of each model and of the paper's MLP shape on",
                "the cuda and the cpu backend, and the MLP step: its throughput on a GPU, the simulator's counters per step",
                "(launches, cuBLAS calls, copies, host synchronisations) on cuda-sim. It writes a log (--log) and exits 1 when a",
                "comparison fails, 2 when there is no usable GPU (or simulator). After a case that throws (a kernel fault leaves",
                "a sticky error) the backend is opened afresh, so every primitive gets its own verdict.",
                "--check --primitives-only runs the first stage alone (small shapes, a few seconds on a GPU): the run to put",
                "under compute-sanitizer, which slows every kernel down by orders of magnitude.",
                ""})
final class DevicesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.ParentCommand
    Main parent;

    @Option(names = "--backend", paramLabel = "NAME", description = "cuda (the GPU through NVIDIA's driver) or cuda-sim (normclock's CUDA "
            + "simulator: the GPU kernels run on this CPU; it proves the GPU code's logic, not its speed). The cpu needs no check. Default: cuda.")
    String backend = "cuda";
    @Option(names = "--gemm", paramLabel = "WHERE", description = "Where the GEMMs of the open check and of --check run: auto (cuBLAS where "
            + "found, else normclock's nc_gemm kernel), cublas or kernel. Default: the open check auto; --check's primitives once per path "
            + "there is, its other stages auto.")
    String gemm;
    @Option(names = "--check", description = "Run the GPU self-check (see above).")
    boolean check;
    @Option(names = "--log", paramLabel = "FILE", description = "Where --check writes its log. Default: ${DEFAULT-VALUE}.")
    Path log = Path.of("gpu-check.log");
    @Option(names = "--steps", paramLabel = "N", description = "Training steps per model in --check. Default: ${DEFAULT-VALUE}.")
    int steps = 5;
    @Option(names = "--bench-seconds", paramLabel = "S", description = "Timed seconds per benchmark point in --check (0: no benchmark; "
            + "on cuda-sim any positive value counts " + GpuCheck.SIMULATED_STEPS + " steps). Default: ${DEFAULT-VALUE}.")
    double benchSeconds = 3;
    @Option(names = "--bench-models", paramLabel = "LIST", split = ",", description = "Population sizes of the --check benchmark. "
            + "Default: 16,64,256 on a GPU, 16 on cuda-sim.")
    int[] benchModels;
    @Option(names = "--primitives-only", description = "With --check: only compare the primitives (no training steps, no benchmark).")
    boolean primitivesOnly;

    @Override
    public Integer call() throws Exception {
        if (!backend.equals("cuda") && !backend.equals("cuda-sim"))
            throw new IllegalArgumentException("--backend of devices must be cuda or cuda-sim, got '" + backend
                    + "' (the cpu needs no check; plain 'normclock devices' lists every backend)");
        boolean sim = backend.equals("cuda-sim");
        CudaBackend.Gemm gemmPath = gemm == null ? null : BackendChoice.gemm(gemm, false, sim ? BackendChoice.Kind.CUDA_SIM : BackendChoice.Kind.CUDA);
        Map<String, String> env = Main.env(parent);
        if (check) {
            if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
            if (benchSeconds < 0) throw new IllegalArgumentException("--bench-seconds must be zero or positive, got " + benchSeconds);
            if (benchModels != null) for (int b : benchModels) if (b < 1) throw new IllegalArgumentException("--bench-models must be at least 1, got " + b);
            return new GpuCheck(spec.commandLine().getOut(), spec.commandLine().getErr(), log, steps, benchSeconds, benchModels, primitivesOnly,
                    sim, gemmPath).run(env);
        }
        if (primitivesOnly) throw new IllegalArgumentException("--primitives-only is an option of --check");
        CudaBackend.Options options = new CudaBackend.Options(false, gemmPath == null ? CudaBackend.Gemm.AUTO : gemmPath);
        return sim ? simulator(env, options) : gpu(env, options);
    }

    private void cpuLine(PrintWriter o) {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        o.printf(Locale.ROOT, "cpu:    %d cores, %s, %s; Vector API %d-bit vectors (%d floats); Java %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("os.arch"), lanes * 32, lanes, Runtime.version());
    }

    private static void gpuLines(PrintWriter o, CudaDriver.Report gpu, String suffix) {
        for (CudaDriver.Gpu g : gpu.gpus())
            o.printf(Locale.ROOT, "gpu %d:  %s, %.1f GiB, compute capability %d.%d%s%n", g.ordinal(), g.name(), g.memoryBytes() / 1073741824.0,
                    g.ccMajor(), g.ccMinor(), suffix);
    }

    /** Plain `devices` (and --backend cuda): the real GPU, as before, the open check where it can run, and whether the simulator is there. */
    private int gpu(Map<String, String> env, CudaBackend.Options options) {
        PrintWriter o = spec.commandLine().getOut();
        cpuLine(o);
        CudaAvailability cuda = CudaAvailability.probe(env);
        CudaDriver.Report gpu = cuda.driver();
        if (gpu.available()) {
            o.printf(Locale.ROOT, "driver: CUDA %d.%d (%s)%n", gpu.driverVersion() / 1000, gpu.driverVersion() % 1000 / 10, gpu.driverLocation());
            gpuLines(o, gpu, "");
        } else {
            o.println("gpu:    none usable: " + gpu.problem());
        }
        Cublas.Report blas = cuda.cublas();
        o.println(blas.available() ? "cublas: " + blas.version() + " (" + blas.location() + ")" : "cublas: " + blas.problem());
        o.println(cuda.kernels() ? String.format(Locale.ROOT, "kernels: found (normclock.fatbin, %d bytes, %s)", KernelImage.size(),
                KernelImage.targets(KernelImage.load()))
                : "kernels: " + KernelImage.NOT_BUILT);
        o.flush();
        if (cuda.usable()) o.println(OpenCheck.run("cuda", () -> CudaBackend.open(env, options)).line());
        o.println(cuda.usable() ? "backends: cpu; cuda (used by --backend auto)" : "backends: cpu (used); cuda cannot run: " + cuda.problem());
        CudaAvailability sim = CudaAvailability.probeSimulator(env);
        o.println(sim.usable() ? "cuda-sim: available (--backend cuda-sim)" : "cuda-sim: " + sim.problem());
        o.flush();
        return 0;
    }

    /** `devices --backend cuda-sim`: the simulator's parts, said to be a simulation, and the open check on it. */
    private int simulator(Map<String, String> env, CudaBackend.Options options) {
        CudaAvailability sim = CudaAvailability.probeSimulator(env);
        if (!sim.usable())
            throw new IllegalArgumentException("--backend cuda-sim: " + sim.problem() + " (plain 'normclock devices' lists the real GPU)");
        PrintWriter o = spec.commandLine().getOut();
        String[] settings = new String[1];
        OpenCheck.Outcome opened = OpenCheck.run("cuda-sim", () -> {
            CudaBackend be = CudaBackend.openSimulator(env, options);
            settings[0] = be.simulatorSettings();
            return be;
        });
        cpuLine(o);
        o.println("simulation: cuda-sim is normclock's CUDA simulator, not a GPU: the cuda backend's kernels run on this CPU, each GPU thread "
                + "a fiber, every memory access checked; it proves the GPU code's logic, not its speed");
        CudaDriver.Report driver = sim.driver();
        o.printf(Locale.ROOT, "driver: the simulator's library, CUDA driver API %d.%d (%s)%n", driver.driverVersion() / 1000,
                driver.driverVersion() % 1000 / 10, env.getOrDefault(CudaSimulator.LIBRARY_ENV, "packaged in this build").isBlank()
                        ? "packaged in this build" : env.getOrDefault(CudaSimulator.LIBRARY_ENV, "packaged in this build"));
        if (settings[0] != null) o.println("settings: " + settings[0]);
        gpuLines(o, driver, " (simulated)");
        Cublas.Report blas = sim.cublas();
        o.println(blas.available() ? "cublas: the simulator's, version " + blas.version() + " (GEMMs accumulated in double)"
                : "cublas: " + blas.problem());
        String kernels = CudaSimulator.describeKernels(env);
        o.println("kernels: the kernels of native/src built for this CPU (" + (kernels == null ? "not found" : kernels) + ")");
        o.println(opened.line());
        o.println(opened.agrees() ? "backends: cpu; cuda-sim (only with --backend cuda-sim: auto and cuda never use it)"
                : "backends: cpu; cuda-sim does not work here (see above)");
        o.flush();
        return opened.agrees() ? 0 : 1;
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
