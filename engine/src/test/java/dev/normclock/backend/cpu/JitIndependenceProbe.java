package dev.normclock.backend.cpu;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;

/**
 * Runs every CpuBackend primitive once on fixed data and digests the raw bits of its outputs.
 * {@link CpuBackendJitIndependenceTest} runs it in a child JVM with {@code -Xint} (the Vector API's
 * Java fallback) and in the test JVM after warm-up (C2 intrinsics): a backend whose results depend
 * on the JIT's state is not reproducible bit for bit, whatever the thread count.
 */
public final class JitIndependenceProbe {
    private JitIndependenceProbe() {
    }

    public static void main(String[] args) {
        run().forEach((k, v) -> System.out.println(k + " " + Long.toHexString(v)));
    }

    static long digest(long h, Tensor t) {
        for (int m = 0; m < t.models; m++) for (float f : PopulationArrays.rawBlock(t, m)) h = h * 0x100000001B3L ^ Float.floatToRawIntBits(f);
        return h;
    }

    static long digest(long h, double[] v) {
        for (double x : v) h = h * 0x100000001B3L ^ Double.doubleToRawLongBits(x);
        return h;
    }

    static long digest(long h, float[] v) {
        for (float x : v) h = h * 0x100000001B3L ^ Float.floatToRawIntBits(x);
        return h;
    }

    /** Primitive name → digest of its outputs. */
    static Map<String, Long> run() {
        Map<String, Long> out = new LinkedHashMap<>();
        int models = 2, p = 11, h = 37, n = 75, d = 9;
        int[] all = {0, 1};
        Random rnd = new Random(2026);
        try (Arena arena = Arena.ofConfined(); CpuBackend be = new CpuBackend(1)) {
            Tensor a = Tensor.allocate(arena, models, n, h), b = Tensor.allocate(arena, models, h, p), c = Tensor.allocate(arena, models, n, p);
            Tensor pa = Tensor.allocate(arena, models, p, h), pb = Tensor.allocate(arena, models, p, h), bias = Tensor.allocate(arena, models, 1, h);
            Tensor pre = Tensor.allocate(arena, models, n, h), act = Tensor.allocate(arena, models, n, h), dAct = Tensor.allocate(arena, models, n, h);
            Tensor dPa = Tensor.allocate(arena, models, p, h), dPb = Tensor.allocate(arena, models, p, h), dBias = Tensor.allocate(arena, models, 1, h);
            Tensor b2 = Tensor.allocate(arena, models, 1, p), sums = Tensor.allocate(arena, models, 1, h), tr = Tensor.allocate(arena, models, h, n);
            Tensor w = Tensor.allocate(arena, models, p, d), g = Tensor.allocate(arena, models, p, d), m1 = Tensor.allocate(arena, models, p, d),
                    m2 = Tensor.allocate(arena, models, p, d);
            int[][] pairs = new int[models][n];
            for (int m = 0; m < models; m++) {
                for (Tensor t : new Tensor[]{a, b, pa, pb, bias, dAct, b2, w, g}) PopulationArrays.fillGaussian(t, m, rnd, 2);
                for (int i = 0; i < n; i++) pairs[m][i] = rnd.nextInt(p * p);
            }
            be.matmul(a, false, b, c, h, false, all);
            out.put("matmul", digest(0, c));
            be.transpose(a, tr, all);
            out.put("transpose", digest(0, tr));
            be.hiddenForward(pa, pb, bias, pairs, p, act, pre, all);
            out.put("hiddenForward", digest(digest(0, act), pre));
            be.hiddenBackward(dAct, pre, pairs, p, dPa, dPb, dBias, all);
            out.put("hiddenBackward", digest(digest(digest(0, dPa), dPb), dBias));
            float[][] rowLoss = new float[models][n], rowScale = new float[models][n];
            be.crossEntropy(c, b2, pairs, p, new float[]{1.3f, 1f}, new double[]{1f / n, 1f / n}, rowLoss, new boolean[models][n], rowScale, all);
            out.put("crossEntropy", digest(digest(digest(digest(0, c), rowLoss[0]), rowLoss[1]), rowScale[0]));
            be.squaredError(c, b2, pairs, p, new float[]{1.3f, 1f}, new double[]{1f / n, 1f / n}, rowLoss, new boolean[models][n], rowScale, all);
            out.put("squaredError", digest(digest(digest(digest(0, c), rowLoss[0]), rowLoss[1]), rowScale[1]));
            be.columnSums(act, sums, all);
            out.put("columnSums", digest(0, sums));
            Hyper hyper = new Hyper(models);
            hyper.lr[0] = hyper.lr[1] = 1e-3f;
            hyper.weightDecay[0] = hyper.weightDecay[1] = 1f;
            double[][] ss = new double[models][1];
            be.adamW(new Tensor[]{w}, new Tensor[]{g}, new Tensor[]{m1}, new Tensor[]{m2}, new boolean[]{true}, hyper, 1, ss, all);
            out.put("adamW weights", digest(digest(digest(0, w), m1), m2));
            out.put("adamW sumSquares", digest(digest(0, ss[0]), ss[1]));
            be.scale(new Tensor[]{w}, new double[]{0.7f, 1.3f}, all);
            out.put("scale", digest(0, w));
            double[] sq = new double[models];
            be.sumSquares(act, sq, all);
            out.put("sumSquares", digest(0, sq));
        }
        return out;
    }
}
