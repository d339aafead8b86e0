package dev.normclock.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Runs the PyTorch implementation of the same population (bench/torch/*_population.py, one per
 * model, written the way the papers' code is) on the same cores, for the side-by-side figures of
 * `normclock bench --torch`. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from its
 * environment: where they are set they pin OpenBLAS to older kernels and would slow the baseline.
 */
final class TorchBaseline {

    /** PyTorch's best model-steps/s over the thread counts tried, and the BLAS's best sgemm GFLOP/s. */
    record Result(double modelStepsPerSecond, int bestThreads, double sgemmGflops, String torchVersion) {
    }

    private final String python;
    private final Path script;

    TorchBaseline(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /**
     * The script of this model (mlp_population.py, attention_population.py, parity_population.py)
     * beside the installation (the launcher passes -Dnormclock.home), or in the working folder.
     */
    static Path defaultScript(dev.normclock.model.ModelKind model) {
        String home = System.getProperty("normclock.home", ".");
        String name = switch (model) {
            case MLP -> "mlp";
            case ATTENTION -> "attention";
            case PARITY_MLP -> "parity";
        };
        return Path.of(home, "bench", "torch", name + "_population.py");
    }

    /**
     * Runs PyTorch once per thread count, each in its own process with OpenBLAS and OpenMP pinned
     * to that count (so the BLAS's threads and torch's do not oversubscribe the cores), and keeps
     * the best.
     */
    Result run(List<String> shapeArgs, int models, String threads, double seconds) {
        Result best = null;
        for (String t : threads.split(",")) {
            Result r = runOnce(shapeArgs, models, t.trim(), seconds);
            if (best == null || r.modelStepsPerSecond() > best.modelStepsPerSecond())
                best = new Result(r.modelStepsPerSecond(), r.bestThreads(), best == null ? r.sgemmGflops() : Math.max(best.sgemmGflops(), r.sgemmGflops()), r.torchVersion());
            else best = new Result(best.modelStepsPerSecond(), best.bestThreads(), Math.max(best.sgemmGflops(), r.sgemmGflops()), best.torchVersion());
        }
        return best;
    }

    /** @param shapeArgs the model's shape as the script's options ("--p", "59", "--width", "128", …) */
    private Result runOnce(List<String> shapeArgs, int models, String threads, double seconds) {
        if (!Files.isRegularFile(script))
            throw new IllegalArgumentException("PyTorch baseline script not found at " + script + ": pass --torch-script PATH");
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(shapeArgs);
        cmd.addAll(List.of("--models", Integer.toString(models), "--threads", threads, "--seconds", Double.toString(seconds)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        Map<String, String> env = pb.environment();
        env.remove("OPENBLAS_CORETYPE");
        env.remove("OPENBLAS_L2_SIZE");
        env.put("OPENBLAS_NUM_THREADS", threads);
        env.put("OMP_NUM_THREADS", threads);
        String out, err;
        int code;
        try {
            Process proc = pb.start();
            proc.getOutputStream().close();
            byte[] o = proc.getInputStream().readAllBytes();
            byte[] e = proc.getErrorStream().readAllBytes();
            if (!proc.waitFor(30, TimeUnit.MINUTES)) proc.destroyForcibly();
            code = proc.exitValue();
            out = new String(o, StandardCharsets.UTF_8);
            err = new String(e, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot run " + python + " for the PyTorch baseline (" + ex.getMessage()
                    + "): install Python 3 with python3-torch and libopenblas0-pthread, or pass --python");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the PyTorch baseline ran");
        }
        if (code != 0) {
            String last = err.strip().isEmpty() ? "exit code " + code : err.strip().lines().reduce((a, b) -> b).orElse("");
            if (err.contains("No module named 'torch'"))
                throw new IllegalArgumentException("the PyTorch baseline needs torch: " + python
                        + " cannot import it (on Debian: apt-get install python3-torch libopenblas0-pthread)");
            throw new IllegalArgumentException("the PyTorch baseline failed: " + last);
        }
        try {
            JsonNode j = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse("{}"));
            return new Result(j.get("model_steps_per_second").asDouble(), j.get("best_threads").asInt(), j.get("sgemm_gflops").asDouble(),
                    j.get("torch_version").asText());
        } catch (IOException | NullPointerException ex) {
            throw new IllegalStateException("the PyTorch baseline printed no result: " + out.strip());
        }
    }
}
