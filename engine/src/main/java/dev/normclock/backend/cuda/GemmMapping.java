package dev.normclock.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import dev.normclock.backend.Tensor;

/**
 * How {@link dev.normclock.backend.Backend#matmul} maps onto one column-major strided-batched
 * cuBLAS GEMM per run of consecutive model slots. Pure arithmetic, tested on the CPU.
 *
 * <p>A row-major matrix R (r × c, row length ld) read column-major with leading dimension ld is
 * Rᵀ (c × r). So row-major C = op(A)·B (M × N) is column-major Cᵀ = Bᵀ·op(A)ᵀ, and both factors
 * are at hand: Bᵀ is the tensor B read column-major (op N), and op(A)ᵀ is the tensor A read
 * column-major (op N) when A is not transposed, or that view transposed (op T) when it is. cuBLAS's
 * first operand is therefore our B, its second our A, and its dimensions are m = N, n = M, k = K.

 * <p>N is C's padded width (c.ld), as on the CPU: B's and C's padding columns are zero and stay
 * zero, and every row is computed whole. Each model's block lies at a fixed stride from the
 * previous one, so a run of consecutive slots is one strided-batched call.
 *
 * @param transA   cuBLAS op of its first operand (always N: the tensor B)
 * @param transB   cuBLAS op of its second operand (the tensor A): T when our A is transposed
 * @param m        cuBLAS m = N (C's padded width)
 * @param n        cuBLAS n = M (C's rows)
 * @param k        K
 * @param lda      leading dimension of the tensor B (b.ld)
 * @param ldb      leading dimension of the tensor A (a.ld)
 * @param ldc      c.ld
 * @param beta     0, or 1 when accumulating
 */
public record GemmMapping(int transA, int transB, int m, int n, int k, int lda, int ldb, int ldc, long strideA, long strideB,
                          long strideC, float beta) {
    public static final int OP_N = 0, OP_T = 1;

    public static GemmMapping of(Tensor a, boolean transposeA, Tensor b, Tensor c, int k, boolean accumulate) {
        if (b.ld != c.ld) throw new IllegalArgumentException("B and C must share their padded width");
        int rowsOfOpA = transposeA ? a.cols : a.rows;
        if (rowsOfOpA < c.rows) throw new IllegalArgumentException("op(A) has " + rowsOfOpA + " rows, C " + c.rows);
        if (k > (transposeA ? a.rows : a.ld) || k > b.rows) throw new IllegalArgumentException("K = " + k + " exceeds A or B");
        return new GemmMapping(OP_N, transposeA ? OP_T : OP_N, c.ld, c.rows, k, b.ld, a.ld, c.ld, b.modelStride, a.modelStride,
                c.modelStride, accumulate ? 1f : 0f);
    }

    /**
     * C = op(A)·Bᵀ with B given as its transpose {@code src} (N × K, row-major): src read
     * column-major is srcᵀ, so cuBLAS's first operand is src with op T. Its rows are C's real columns
     * only — src has no padding rows to stand for C's padding columns — so m = N = c.cols, and C's
     * padding columns are left as they are (zero).
     */
    public static GemmMapping transposedB(Tensor a, boolean transposeA, Tensor src, Tensor c, int k, boolean accumulate) {
        int rowsOfOpA = transposeA ? a.cols : a.rows;
        if (rowsOfOpA < c.rows) throw new IllegalArgumentException("op(A) has " + rowsOfOpA + " rows, C " + c.rows);
        if (src.rows < c.cols) throw new IllegalArgumentException("Bᵀ has " + src.rows + " rows, C " + c.cols + " columns");
        if (k > (transposeA ? a.rows : a.ld) || k > src.ld) throw new IllegalArgumentException("K = " + k + " exceeds A or Bᵀ");
        return new GemmMapping(OP_T, transposeA ? OP_T : OP_N, c.cols, c.rows, k, src.ld, a.ld, c.ld, src.modelStride, a.modelStride,
                c.modelStride, accumulate ? 1f : 0f);
    }

    /** The element offset of model {@code slot}'s block of a tensor: where a batch starting at that slot begins. */
    public static long first(Tensor t, int slot) {
        return t.offset + slot * t.modelStride;
    }

    /** A run of consecutive slots: one strided-batched call. */
    public record Run(int first, int count) {
    }

    /** Ascending slots cut into runs of consecutive slots ([0, 1, 2, 5, 6] → (0, 3), (5, 2)). */
    public static List<Run> runs(int[] models) {
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < models.length; ) {
            int j = i + 1;
            while (j < models.length && models[j] == models[j - 1] + 1) j++;
            out.add(new Run(models[i], j - i));
            i = j;
        }
        return out;
    }
}
