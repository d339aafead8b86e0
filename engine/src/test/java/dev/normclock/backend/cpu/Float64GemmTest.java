package dev.normclock.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;

/**
 * The float64 backend's GEMM, on shapes that reach every path: blocks of four rows and single
 * rows, full column blocks and single vectors, A and Aᵀ, with and without accumulation. Each
 * element of C must be the same bits as the plain loop that sums its k products in order with
 * FMAs: the row blocking reorders nothing, so thread counts and chunking cannot change results.
 */
class Float64GemmTest {
    @Test
    void everyPathSumsEachElementInKOrder() {
        Random rnd = new Random(11);
        int models = 2;
        int[] all = {0, 1};
        try (CpuFloat64Backend be = new CpuFloat64Backend(2); Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][]{{13, 64, 37}, {9, 256, 5}, {6, 40, 19}, {3, 64, 70}})
                for (boolean transposeA : new boolean[]{false, true})
                    for (boolean accumulate : new boolean[]{false, true}) {
                        int m = s[0], n = s[1], k = s[2];
                        Tensor a = transposeA ? random(arena, models, k, m, rnd) : random(arena, models, m, k, rnd);
                        Tensor b = random(arena, models, k, n, rnd), c = random(arena, models, m, n, rnd);
                        double[][][] want = new double[models][m][n];
                        for (int model = 0; model < models; model++)
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < n; j++) {
                                    double acc = accumulate ? c.getDouble(model, i, j) : 0;
                                    for (int kk = 0; kk < k; kk++)
                                        acc = Math.fma(transposeA ? a.getDouble(model, kk, i) : a.getDouble(model, i, kk), b.getDouble(model, kk, j), acc);
                                    want[model][i][j] = acc;
                                }
                        be.matmul(a, transposeA, b, c, k, accumulate, all);
                        for (int model = 0; model < models; model++)
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < n; j++)
                                    assertEquals(want[model][i][j], c.getDouble(model, i, j), 0.0,
                                            m + "×" + n + " K=" + k + (transposeA ? " Aᵀ" : "") + (accumulate ? " +=" : "") + " at " + model + ", " + i + ", " + j);
                    }
        }
    }

    private static Tensor random(Arena arena, int models, int rows, int cols, Random rnd) {
        Tensor t = Tensor.allocate(arena, models, rows, cols, Precision.FLOAT64);
        for (int m = 0; m < models; m++)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) t.set(m, r, c, rnd.nextGaussian());
        return t;
    }
}
