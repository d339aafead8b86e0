package dev.normclock.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `normclock devices`: what this machine offers normclock — CPU, vector width, GPUs, cuBLAS. */
@Command(name = "devices", mixinStandardHelpOptions = true, usageHelpWidth = 120,
        description = {
                "Lists the CPU (cores, model, the Vector API's vector width) and the GPUs the CUDA driver sees (name, memory,",
                "compute capability, driver version), and whether cuBLAS was found, or for each why not.",
                "",
                "The driver (libcuda.so.1) is looked for through the loader's path, or at NORMCLOCK_LIBCUDA; cuBLAS in",
                "CUDA_HOME/lib64, /usr/local/cuda/lib64, the Python wheel folder site-packages/nvidia/cublas/lib, the",
                "loader's path, or at NORMCLOCK_CUBLAS. This version trains on the cpu backend; the cuda backend comes next.",
                ""})
final class DevicesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        o.printf(Locale.ROOT, "cpu:    %d cores, %s, %s; Vector API %d-bit vectors (%d floats); Java %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("os.arch"), lanes * 32, lanes, Runtime.version());
        CudaDriver.Report gpu = CudaDriver.probe(System.getenv());
        if (gpu.available()) {
            o.printf(Locale.ROOT, "driver: CUDA %d.%d (%s)%n", gpu.driverVersion() / 1000, gpu.driverVersion() % 1000 / 10, gpu.driverLocation());
            for (CudaDriver.Gpu g : gpu.gpus())
                o.printf(Locale.ROOT, "gpu %d:  %s, %.1f GiB, compute capability %d.%d%n", g.ordinal(), g.name(), g.memoryBytes() / 1073741824.0,
                        g.ccMajor(), g.ccMinor());
        } else {
            o.println("gpu:    none usable: " + gpu.problem());
        }
        Cublas.Report blas = Cublas.probe(System.getenv());
        o.println(blas.available() ? "cublas: " + blas.version() + " (" + blas.location() + ")" : "cublas: " + blas.problem());
        o.println("backends: cpu (used); cuda not in this version");
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

    /** The backend a command asked for, checked: cpu or auto train on the CPU; cuda is refused with what was found. */
    static void checkBackend(String backend, PrintWriter err) {
        if (backend.equals("cpu")) return;
        if (backend.equals("auto")) {
            CudaDriver.Report gpu = CudaDriver.probe(System.getenv());
            if (gpu.available())
                err.println("normclock: " + gpu.gpus().getFirst().name() + " is present but the cuda backend is not in this version: training on the cpu");
            return;
        }
        if (backend.equals("cuda")) {
            CudaDriver.Report gpu = CudaDriver.probe(System.getenv());
            throw new IllegalArgumentException("--backend cuda: the cuda backend is not in this version ("
                    + (gpu.available() ? "GPU: " + gpu.gpus().getFirst().name() : gpu.problem()) + "); use --backend cpu or auto");
        }
        throw new IllegalArgumentException("--backend must be auto, cpu or cuda; got '" + backend + "'");
    }
}
