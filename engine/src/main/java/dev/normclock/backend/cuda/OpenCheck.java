package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.util.Locale;
import java.util.function.Supplier;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Tensor;

/**
 * The first-minute check that the cuda backend opens and computes: open it (the driver, the
 * context, the kernels' module), scale a tiny tensor (one launch of nc_scale) and multiply a 3×4
 * by a 4×5 matrix (one GEMM, on cuBLAS or nc_gemm), bring the results back and compare them with
 * the values expected — small integers, exact in float32, so they must agree exactly. It goes
 * through the {@link Backend} interface only. A driver, toolkit or kernel image that does not fit
 * the GPU shows here, in one line, before any training starts.
 */
public final class OpenCheck {
    /** The check's outcome: whether it opened and agreed, and one line saying so (or what went wrong). */
    public record Outcome(boolean agrees, String line, double millis) {
    }

    private static final int MODELS = 2, M = 3, K = 4, N = 5;
    private static final double[] FACTORS = {3, -2};

    private OpenCheck() {
    }

    /**
     * Opens a backend, checks it and closes it; {@code name} (cuda, cuda-sim) heads the line, e.g.
     * "cuda opens: nc_scale and a 3x4x5 GEMM on cuBLAS agree with the expected values (12 ms)".
     * Never throws: a failure to open or to compute is the outcome's line.
     */
    public static Outcome run(String name, Supplier<CudaBackend> open) {
        long start = System.nanoTime();
        CudaBackend be;
        try {
            be = open.get();
        } catch (RuntimeException | LinkageError e) {
            return new Outcome(false, name + " does not open: " + message(e), millis(start));
        }
        String gemm = be.gemmPath(), problem;
        try (be) {
            problem = check(be);
        } catch (RuntimeException | LinkageError e) {
            problem = "the check threw " + message(e);
        }
        double ms = millis(start);
        if (problem != null) return new Outcome(false, name + " opens, but " + problem, ms);
        return new Outcome(true, String.format(Locale.ROOT, "%s opens: nc_scale and a %dx%dx%d GEMM on %s agree with the expected values (%.0f ms)",
                name, M, K, N, gemm, ms), ms);
    }

    /**
     * Scales a 2×3 tensor of two models by 3 and −2 and computes C = A·B (3×4 by 4×5) for two
     * models, through the backend; null when every value is the one expected, else what differs.
     */
    public static String check(Backend be) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, MODELS, 2, 3);
            Tensor a = Tensor.allocate(arena, MODELS, M, K), b = Tensor.allocate(arena, MODELS, K, N), c = Tensor.allocate(arena, MODELS, M, N);
            for (int m = 0; m < MODELS; m++) {
                for (int r = 0; r < 2; r++)
                    for (int j = 0; j < 3; j++) x.set(m, r, j, xValue(m, r, j));
                for (int i = 0; i < M; i++)
                    for (int k = 0; k < K; k++) a.set(m, i, k, aValue(m, i, k));
                for (int k = 0; k < K; k++)
                    for (int j = 0; j < N; j++) b.set(m, k, j, bValue(m, k, j));
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) c.set(m, i, j, 999);
            }
            int[] models = {0, 1};
            be.hostChanged();
            be.scale(new Tensor[]{x}, FACTORS, models);
            be.matmul(a, false, b, c, K, false, models);
            be.syncToHost();
            for (int m = 0; m < MODELS; m++) {
                for (int r = 0; r < 2; r++)
                    for (int j = 0; j < 3; j++) {
                        double want = xValue(m, r, j) * FACTORS[m];
                        if (x.get(m, r, j) != want) return differs("nc_scale", m, r, j, x.get(m, r, j), want);
                    }
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double want = 0;
                        for (int k = 0; k < K; k++) want += aValue(m, i, k) * bValue(m, k, j);
                        if (c.get(m, i, j) != want) return differs("the GEMM", m, i, j, c.get(m, i, j), want);
                    }
            }
            return null;
        }
    }

    private static double xValue(int m, int r, int j) {
        return 1 + r * 3 + j + 10 * m;
    }

    private static double aValue(int m, int i, int k) {
        return i - k + 2 + m;
    }

    private static double bValue(int m, int k, int j) {
        return (k + 2 * j) % 5 - 1 - m;
    }

    private static String differs(String what, int m, int r, int c, float got, double want) {
        return String.format(Locale.ROOT, "%s gives %s at model %d [%d][%d] where %s is expected", what, got, m, r, c, (float) want);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse(m);
    }

    private static double millis(long start) {
        return (System.nanoTime() - start) / 1e6;
    }
}
