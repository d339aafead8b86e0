package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuFloat64Backend;

/**
 * On the simulator, a transpose is recorded and the GEMM that multiplies by it reads its source
 * transposed (cuBLAS's op T, nc_gemm's transposeB): the products equal the float64 backend's
 * transpose-then-multiply, accumulating or not, with A transposed or not; the transpose is made
 * when its destination is read otherwise; and a workspace copy read after its source changed is
 * refused instead of giving stale values.
 */
class LazyTransposeTest {
    private static final int MODELS = 3;
    private static final int[] ALL = {0, 1, 2};

    private static Tensor random(Arena arena, int rows, int cols, Precision precision, Random rnd, boolean scratch) {
        Tensor t = Tensor.allocate(arena, MODELS, rows, cols, precision, scratch);
        for (int m = 0; m < MODELS; m++) for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t.set(m, r, c, (float) rnd.nextGaussian());
        return t;
    }

    private static Tensor copy(Arena arena, Tensor from, Precision precision) {
        Tensor t = Tensor.allocate(arena, MODELS, from.rows, from.cols, precision);
        for (int m = 0; m < MODELS; m++) for (int r = 0; r < from.rows; r++) for (int c = 0; c < from.cols; c++) t.set(m, r, c, from.getDouble(m, r, c));
        return t;
    }

    @ParameterizedTest
    @EnumSource(value = CudaBackend.Gemm.class, names = {"CUBLAS", "KERNEL"})
    void aGemmByATransposeReadsItsSourceTransposed(CudaBackend.Gemm gemm) {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        Random rnd = new Random(5);
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, gemm));
             CpuFloat64Backend ref = new CpuFloat64Backend(1); Arena arena = Arena.ofConfined()) {
            int n = 37, k = 23, h = 45; // C (n × h) = A (n × k) · Bᵀ, B given as src (h × k)
            for (boolean transposeA : new boolean[]{false, true})
                for (boolean accumulate : new boolean[]{false, true}) {
                    Tensor src = random(arena, h, k, Precision.FLOAT32, rnd, false), bT = Tensor.allocate(arena, MODELS, k, h, Precision.FLOAT32, true);
                    Tensor x = transposeA ? random(arena, k, n, Precision.FLOAT32, rnd, false) : random(arena, n, k, Precision.FLOAT32, rnd, false);
                    Tensor c = random(arena, n, h, Precision.FLOAT32, rnd, false);
                    Tensor src64 = copy(arena, src, Precision.FLOAT64), x64 = copy(arena, x, Precision.FLOAT64), c64 = copy(arena, c, Precision.FLOAT64);
                    Tensor bT64 = Tensor.allocate(arena, MODELS, k, h, Precision.FLOAT64);
                    ref.transpose(src64, bT64, ALL);
                    ref.matmul(x64, transposeA, bT64, c64, k, accumulate, ALL);
                    long before = sim.counters().kernelLaunches();
                    sim.hostChanged();
                    sim.transpose(src, bT, ALL);
                    sim.matmul(x, transposeA, bT, c, k, accumulate, ALL);
                    if (gemm == CudaBackend.Gemm.CUBLAS) assertEquals(before, sim.counters().kernelLaunches(), "no transpose was launched");
                    sim.syncToHost(); // (which makes it: host code may read it)
                    for (int m = 0; m < MODELS; m++)
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < h; j++) {
                                double mag = accumulate ? Math.abs(c64.getDouble(m, i, j)) : 0;
                                for (int kk = 0; kk < k; kk++) mag += Math.abs((transposeA ? x.getDouble(m, kk, i) : x.getDouble(m, i, kk)) * src.getDouble(m, j, kk));
                                assertEquals(c64.getDouble(m, i, j), c.getDouble(m, i, j), 1e-5 * mag + 1e-30, "A" + (transposeA ? "ᵀ" : "") + "·Bᵀ"
                                        + (accumulate ? " accumulated" : "") + " at " + m + ", " + i + ", " + j);
                            }
                            for (int j = h; j < c.ld; j++) assertEquals(0.0, c.getDouble(m, i, j), "C's padding stays zero");
                        }
                }
        }
    }

    @ParameterizedTest
    @EnumSource(value = CudaBackend.Gemm.class, names = {"CUBLAS"})
    void aTransposeIsMadeWhenReadAndRefusedWhenStale(CudaBackend.Gemm gemm) {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        Random rnd = new Random(6);
        try (CudaBackend sim = CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, gemm)); Arena arena = Arena.ofConfined()) {
            Tensor src = random(arena, 5, 7, Precision.FLOAT32, rnd, false), dst = Tensor.allocate(arena, MODELS, 7, 5, Precision.FLOAT32, true);
            Tensor out = Tensor.allocate(arena, MODELS, 7, 5, Precision.FLOAT32);
            sim.hostChanged();
            sim.transpose(src, dst, ALL);
            sim.copy(dst, out, ALL); // another kernel reads it: made first
            sim.syncToHost();
            for (int m = 0; m < MODELS; m++) for (int i = 0; i < 7; i++) for (int j = 0; j < 5; j++) assertEquals(src.get(m, j, i), out.get(m, i, j));
            sim.transpose(src, dst, ALL);
            sim.scale(new Tensor[]{src}, new double[]{2, 2, 2}, ALL); // the source changes: the workspace copy is forgotten
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sim.copy(dst, out, ALL));
            assertTrue(e.getMessage().contains("after its source changed"), e.getMessage());
            sim.transpose(src, dst, ALL); // transposed again: usable
            sim.copy(dst, out, ALL);
            sim.syncToHost();
            for (int m = 0; m < MODELS; m++) for (int i = 0; i < 7; i++) for (int j = 0; j < 5; j++) assertEquals(src.get(m, j, i), out.get(m, i, j));
        }
    }
}
