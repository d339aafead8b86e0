package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;

/**
 * The row-major → column-major GEMM mapping, checked without a GPU: a plain column-major
 * strided-batched SGEMM written here from cuBLAS's definition (C_i = α·op(A_i)·op(B_i) + β·C_i,
 * element (r, c) of a matrix at r + c·ld) is driven with the parameters {@link GemmMapping}
 * computes, per run of consecutive slots as CudaBackend calls cuBLAS, on the tensors' own
 * memory, and must give what the CPU backend's matmul gives.
 */
class GemmMappingTest {

    /** cublasSgemmStridedBatched's definition, in double, on one flat float memory (addresses in elements). */
    static void columnMajorGemm(MemorySegment mem, int transA, int transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        for (int i = 0; i < batch; i++)
            for (int col = 0; col < n; col++)
                for (int row = 0; row < m; row++) {
                    double s = 0;
                    for (int kk = 0; kk < k; kk++) {
                        long ia = a + i * strideA + (transA == GemmMapping.OP_N ? row + (long) kk * lda : kk + (long) row * lda);
                        long ib = b + i * strideB + (transB == GemmMapping.OP_N ? kk + (long) col * ldb : col + (long) kk * ldb);
                        s += (double) mem.getAtIndex(ValueLayout.JAVA_FLOAT, ia) * mem.getAtIndex(ValueLayout.JAVA_FLOAT, ib);
                    }
                    long ic = c + i * strideC + row + (long) col * ldc;
                    double old = beta == 0 ? 0 : beta * mem.getAtIndex(ValueLayout.JAVA_FLOAT, ic);
                    mem.setAtIndex(ValueLayout.JAVA_FLOAT, ic, (float) (alpha * s + old));
                }
    }

    /** Three tensors in one segment, as the mapped call sees device memory: addresses are element offsets into it. */
    @ParameterizedTest(name = "M={0} N={1} K={2} transposeA={3} accumulate={4} kShort={5}")
    @CsvSource({"20,11,24,false,false,0", "20,11,24,true,false,0", "7,33,5,false,true,0", "7,33,5,true,true,0", "20,11,24,false,false,9",
            "20,11,24,true,true,3", "1,17,40,false,false,0"})
    void theMappedCallComputesTheCpuMatmul(int rowsM, int colsN, int k, boolean transposeA, boolean accumulate, int kShort) {
        int models = 6;
        int[] list = {0, 1, 2, 4, 5}; // two runs: (0, 3) and (4, 2)
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            Random rnd = new Random(rowsM * 31L + colsN);
            Tensor a = transposeA ? Tensor.allocate(arena, models, k, rowsM) : Tensor.allocate(arena, models, rowsM, k);
            Tensor b = Tensor.allocate(arena, models, k, colsN), c = Tensor.allocate(arena, models, rowsM, colsN);
            // one memory for the "device": the three tensors copied into a flat segment
            long offA = 0, offB = a.modelStride * models, offC = offB + b.modelStride * models;
            MemorySegment dev = arena.allocate((offC + c.modelStride * models) * 4, 64);
            for (Tensor t : new Tensor[]{a, b, c})
                for (int m = 0; m < models; m++) {
                    float[] v = new float[t.size()];
                    for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
                    t.fromArray(m, v);
                }
            MemorySegment.copy(a.seg, 0, dev, offA * 4, a.seg.byteSize());
            MemorySegment.copy(b.seg, 0, dev, offB * 4, b.seg.byteSize());
            MemorySegment.copy(c.seg, 0, dev, offC * 4, c.seg.byteSize());
            int kUsed = k - kShort;

            GemmMapping g = GemmMapping.of(a, transposeA, b, c, kUsed, accumulate);
            for (GemmMapping.Run run : GemmMapping.runs(list))
                columnMajorGemm(dev, g.transA(), g.transB(), g.m(), g.n(), g.k(), 1f,
                        offB + GemmMapping.first(b, run.first()), g.lda(), g.strideA(),
                        offA + GemmMapping.first(a, run.first()), g.ldb(), g.strideB(), g.beta(),
                        offC + GemmMapping.first(c, run.first()), g.ldc(), g.strideC(), run.count());
            cpu.matmul(a, transposeA, b, c, kUsed, accumulate, list);

            for (int m = 0; m < models; m++)
                for (int r = 0; r < rowsM; r++)
                    for (int col = 0; col < c.ld; col++) {
                        float want = c.seg.getAtIndex(ValueLayout.JAVA_FLOAT, c.at(m, r, col));
                        float got = dev.getAtIndex(ValueLayout.JAVA_FLOAT, offC + c.at(m, r, col));
                        assertEquals(want, got, 1e-4 * (1 + Math.abs(want)), "model " + m + " (" + r + ", " + col + ")");
                    }
        }
    }

    @Test
    void slotsAreCutIntoRunsOfConsecutiveSlots() {
        assertEquals(List.of(new GemmMapping.Run(0, 3), new GemmMapping.Run(5, 2), new GemmMapping.Run(9, 1)),
                GemmMapping.runs(new int[]{0, 1, 2, 5, 6, 9}));
        assertEquals(List.of(), GemmMapping.runs(new int[0]));
    }

    @Test
    void mismatchedWidthsAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Tensor.allocate(arena, 1, 4, 8), b = Tensor.allocate(arena, 1, 8, 20), c = Tensor.allocate(arena, 1, 4, 40);
            assertThrows(IllegalArgumentException.class, () -> GemmMapping.of(a, false, b, c, 8, false));
        }
    }
}
