package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked single-precision GEMM on off-heap memory: C[i, 0:n] (+)= Σ_k A(i, k) · B[k, 0:n]
 * for a range of rows i. A is read through two strides, so the same kernel serves A and Aᵀ; B is
 * row-major with n a multiple of the vector length (tensors are padded). Each element of C is
 * summed over k in order by every code path, so results are the same bits however rows are split.
 */
public final class CpuGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final int KC = 128;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuGemm() {
    }

    /**
     * @param aOff index (floats) of A(0, 0); A(i, k) lies at aOff + i·sAi + k·sAk
     * @param bOff index of B[0, 0]; row k at bOff + k·ldb
     * @param cOff index of C[0, 0]; row i at cOff + i·ldc
     * @param n    columns of B and C to compute, a multiple of {@link #L}
     */
    public static void rows(MemorySegment a, long aOff, long sAi, long sAk,
                            MemorySegment b, long bOff, int ldb,
                            MemorySegment c, long cOff, int ldc,
                            int i0, int i1, int n, int k, boolean accumulate) {
        // K in panels of KC rows of B (32 KiB at 64 columns, so a panel stays in L1 while every row
        // block of C passes over it). Each panel continues the partial sums stored in C, so every
        // element still sees the same chain of FMAs in k order: blocking does not change the bits.
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            boolean acc = accumulate || k0 > 0;
            long a0 = aOff + k0 * sAk, b0 = bOff + (long) k0 * ldb;
            int i = i0;
            for (; i + 6 <= i1 && n % (4 * L) == 0; i += 6)
                for (int j = 0; j < n; j += 4 * L) block6x4(a, a0 + i * sAi, sAi, sAk, b, b0 + j, ldb, c, cOff + (long) i * ldc + j, ldc, kc, acc);
            for (; i + 4 <= i1; i += 4) {
                int j = 0;
                for (; j + 4 * L <= n; j += 4 * L) block4x4(a, a0 + i * sAi, sAi, sAk, b, b0 + j, ldb, c, cOff + (long) i * ldc + j, ldc, kc, acc);
                for (; j < n; j += L) block4x1(a, a0 + i * sAi, sAi, sAk, b, b0 + j, ldb, c, cOff + (long) i * ldc + j, ldc, kc, acc);
            }
            for (; i < i1; i++) {
                int j = 0;
                for (; j + 4 * L <= n; j += 4 * L) block1x4(a, a0 + i * sAi, sAk, b, b0 + j, ldb, c, cOff + (long) i * ldc + j, kc, acc);
                for (; j < n; j += L) block1x1(a, a0 + i * sAi, sAk, b, b0 + j, ldb, c, cOff + (long) i * ldc + j, kc, acc);
            }
        }
    }

    private static void block6x4(MemorySegment a, long a0, long sAi, long sAk, MemorySegment b, long b0, int ldb,
                                 MemorySegment c, long c0, int ldc, int k, boolean acc) {
        long c1 = c0 + ldc;
        long c2 = c1 + ldc;
        long c3 = c2 + ldc;
        long c4 = c3 + ldc;
        long c5 = c4 + ldc;
        FloatVector x00 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x01 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x02 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x03 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x10 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x11 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x12 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x13 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x20 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x21 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x22 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x23 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x30 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x31 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x32 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x33 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x40 = (acc ? FloatVector.fromMemorySegment(S, c, (c4 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x41 = (acc ? FloatVector.fromMemorySegment(S, c, (c4 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x42 = (acc ? FloatVector.fromMemorySegment(S, c, (c4 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x43 = (acc ? FloatVector.fromMemorySegment(S, c, (c4 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x50 = (acc ? FloatVector.fromMemorySegment(S, c, (c5 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x51 = (acc ? FloatVector.fromMemorySegment(S, c, (c5 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x52 = (acc ? FloatVector.fromMemorySegment(S, c, (c5 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x53 = (acc ? FloatVector.fromMemorySegment(S, c, (c5 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        long ar = a0;
        long br = b0;
        for (int kk = 0; kk < k; kk++, ar += sAk, br += ldb) {
            FloatVector b0v = FloatVector.fromMemorySegment(S, b, (br + 0 * L) * 4L, NO), b1v = FloatVector.fromMemorySegment(S, b, (br + 1 * L) * 4L, NO), b2v = FloatVector.fromMemorySegment(S, b, (br + 2 * L) * 4L, NO), b3v = FloatVector.fromMemorySegment(S, b, (br + 3 * L) * 4L, NO);
            FloatVector s0 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 0 * sAi));
            x00 = s0.fma(b0v, x00); x01 = s0.fma(b1v, x01); x02 = s0.fma(b2v, x02); x03 = s0.fma(b3v, x03);
            FloatVector s1 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 1 * sAi));
            x10 = s1.fma(b0v, x10); x11 = s1.fma(b1v, x11); x12 = s1.fma(b2v, x12); x13 = s1.fma(b3v, x13);
            FloatVector s2 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 2 * sAi));
            x20 = s2.fma(b0v, x20); x21 = s2.fma(b1v, x21); x22 = s2.fma(b2v, x22); x23 = s2.fma(b3v, x23);
            FloatVector s3 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 3 * sAi));
            x30 = s3.fma(b0v, x30); x31 = s3.fma(b1v, x31); x32 = s3.fma(b2v, x32); x33 = s3.fma(b3v, x33);
            FloatVector s4 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 4 * sAi));
            x40 = s4.fma(b0v, x40); x41 = s4.fma(b1v, x41); x42 = s4.fma(b2v, x42); x43 = s4.fma(b3v, x43);
            FloatVector s5 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 5 * sAi));
            x50 = s5.fma(b0v, x50); x51 = s5.fma(b1v, x51); x52 = s5.fma(b2v, x52); x53 = s5.fma(b3v, x53);
        }
        x00.intoMemorySegment(c, (c0 + 0 * L) * 4L, NO); x01.intoMemorySegment(c, (c0 + 1 * L) * 4L, NO); x02.intoMemorySegment(c, (c0 + 2 * L) * 4L, NO); x03.intoMemorySegment(c, (c0 + 3 * L) * 4L, NO);
        x10.intoMemorySegment(c, (c1 + 0 * L) * 4L, NO); x11.intoMemorySegment(c, (c1 + 1 * L) * 4L, NO); x12.intoMemorySegment(c, (c1 + 2 * L) * 4L, NO); x13.intoMemorySegment(c, (c1 + 3 * L) * 4L, NO);
        x20.intoMemorySegment(c, (c2 + 0 * L) * 4L, NO); x21.intoMemorySegment(c, (c2 + 1 * L) * 4L, NO); x22.intoMemorySegment(c, (c2 + 2 * L) * 4L, NO); x23.intoMemorySegment(c, (c2 + 3 * L) * 4L, NO);
        x30.intoMemorySegment(c, (c3 + 0 * L) * 4L, NO); x31.intoMemorySegment(c, (c3 + 1 * L) * 4L, NO); x32.intoMemorySegment(c, (c3 + 2 * L) * 4L, NO); x33.intoMemorySegment(c, (c3 + 3 * L) * 4L, NO);
        x40.intoMemorySegment(c, (c4 + 0 * L) * 4L, NO); x41.intoMemorySegment(c, (c4 + 1 * L) * 4L, NO); x42.intoMemorySegment(c, (c4 + 2 * L) * 4L, NO); x43.intoMemorySegment(c, (c4 + 3 * L) * 4L, NO);
        x50.intoMemorySegment(c, (c5 + 0 * L) * 4L, NO); x51.intoMemorySegment(c, (c5 + 1 * L) * 4L, NO); x52.intoMemorySegment(c, (c5 + 2 * L) * 4L, NO); x53.intoMemorySegment(c, (c5 + 3 * L) * 4L, NO);
    }

    private static void block4x4(MemorySegment a, long a0, long sAi, long sAk, MemorySegment b, long b0, int ldb,
                                 MemorySegment c, long c0, int ldc, int k, boolean acc) {
        long c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = (acc ? FloatVector.fromMemorySegment(S, c, (c0) * 4L, NO) : FloatVector.zero(S)), x01 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + L) * 4L, NO) : FloatVector.zero(S)), x02 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x03 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x10 = (acc ? FloatVector.fromMemorySegment(S, c, (c1) * 4L, NO) : FloatVector.zero(S)), x11 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + L) * 4L, NO) : FloatVector.zero(S)), x12 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x13 = (acc ? FloatVector.fromMemorySegment(S, c, (c1 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x20 = (acc ? FloatVector.fromMemorySegment(S, c, (c2) * 4L, NO) : FloatVector.zero(S)), x21 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + L) * 4L, NO) : FloatVector.zero(S)), x22 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x23 = (acc ? FloatVector.fromMemorySegment(S, c, (c2 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        FloatVector x30 = (acc ? FloatVector.fromMemorySegment(S, c, (c3) * 4L, NO) : FloatVector.zero(S)), x31 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + L) * 4L, NO) : FloatVector.zero(S)), x32 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x33 = (acc ? FloatVector.fromMemorySegment(S, c, (c3 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        long ar = a0;
        long br = b0;
        for (int kk = 0; kk < k; kk++, ar += sAk, br += ldb) {
            FloatVector b0v = FloatVector.fromMemorySegment(S, b, (br) * 4L, NO), b1v = FloatVector.fromMemorySegment(S, b, (br + L) * 4L, NO), b2v = FloatVector.fromMemorySegment(S, b, (br + 2 * L) * 4L, NO), b3v = FloatVector.fromMemorySegment(S, b, (br + 3 * L) * 4L, NO);
            FloatVector s0 = FloatVector.broadcast(S, a.getAtIndex(F, ar));
            x00 = s0.fma(b0v, x00); x01 = s0.fma(b1v, x01); x02 = s0.fma(b2v, x02); x03 = s0.fma(b3v, x03);
            FloatVector s1 = FloatVector.broadcast(S, a.getAtIndex(F, ar + sAi));
            x10 = s1.fma(b0v, x10); x11 = s1.fma(b1v, x11); x12 = s1.fma(b2v, x12); x13 = s1.fma(b3v, x13);
            FloatVector s2 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 2 * sAi));
            x20 = s2.fma(b0v, x20); x21 = s2.fma(b1v, x21); x22 = s2.fma(b2v, x22); x23 = s2.fma(b3v, x23);
            FloatVector s3 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 3 * sAi));
            x30 = s3.fma(b0v, x30); x31 = s3.fma(b1v, x31); x32 = s3.fma(b2v, x32); x33 = s3.fma(b3v, x33);
        }
        x00.intoMemorySegment(c, (c0) * 4L, NO); x01.intoMemorySegment(c, (c0 + L) * 4L, NO); x02.intoMemorySegment(c, (c0 + 2 * L) * 4L, NO); x03.intoMemorySegment(c, (c0 + 3 * L) * 4L, NO);
        x10.intoMemorySegment(c, (c1) * 4L, NO); x11.intoMemorySegment(c, (c1 + L) * 4L, NO); x12.intoMemorySegment(c, (c1 + 2 * L) * 4L, NO); x13.intoMemorySegment(c, (c1 + 3 * L) * 4L, NO);
        x20.intoMemorySegment(c, (c2) * 4L, NO); x21.intoMemorySegment(c, (c2 + L) * 4L, NO); x22.intoMemorySegment(c, (c2 + 2 * L) * 4L, NO); x23.intoMemorySegment(c, (c2 + 3 * L) * 4L, NO);
        x30.intoMemorySegment(c, (c3) * 4L, NO); x31.intoMemorySegment(c, (c3 + L) * 4L, NO); x32.intoMemorySegment(c, (c3 + 2 * L) * 4L, NO); x33.intoMemorySegment(c, (c3 + 3 * L) * 4L, NO);
    }

    private static void block4x1(MemorySegment a, long a0, long sAi, long sAk, MemorySegment b, long b0, int ldb,
                                 MemorySegment c, long c0, int ldc, int k, boolean acc) {
        long c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x0 = (acc ? FloatVector.fromMemorySegment(S, c, (c0) * 4L, NO) : FloatVector.zero(S)), x1 = (acc ? FloatVector.fromMemorySegment(S, c, (c1) * 4L, NO) : FloatVector.zero(S)), x2 = (acc ? FloatVector.fromMemorySegment(S, c, (c2) * 4L, NO) : FloatVector.zero(S)), x3 = (acc ? FloatVector.fromMemorySegment(S, c, (c3) * 4L, NO) : FloatVector.zero(S));
        long ar = a0;
        long br = b0;
        for (int kk = 0; kk < k; kk++, ar += sAk, br += ldb) {
            FloatVector bv = FloatVector.fromMemorySegment(S, b, (br) * 4L, NO);
            x0 = FloatVector.broadcast(S, a.getAtIndex(F, ar)).fma(bv, x0);
            x1 = FloatVector.broadcast(S, a.getAtIndex(F, ar + sAi)).fma(bv, x1);
            x2 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 2 * sAi)).fma(bv, x2);
            x3 = FloatVector.broadcast(S, a.getAtIndex(F, ar + 3 * sAi)).fma(bv, x3);
        }
        x0.intoMemorySegment(c, (c0) * 4L, NO); x1.intoMemorySegment(c, (c1) * 4L, NO); x2.intoMemorySegment(c, (c2) * 4L, NO); x3.intoMemorySegment(c, (c3) * 4L, NO);
    }

    private static void block1x4(MemorySegment a, long a0, long sAk, MemorySegment b, long b0, int ldb,
                                 MemorySegment c, long c0, int k, boolean acc) {
        FloatVector x0 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 0 * L) * 4L, NO) : FloatVector.zero(S)), x1 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 1 * L) * 4L, NO) : FloatVector.zero(S)), x2 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 2 * L) * 4L, NO) : FloatVector.zero(S)), x3 = (acc ? FloatVector.fromMemorySegment(S, c, (c0 + 3 * L) * 4L, NO) : FloatVector.zero(S));
        long ar = a0;
        long br = b0;
        for (int kk = 0; kk < k; kk++, ar += sAk, br += ldb) {
            FloatVector s0 = FloatVector.broadcast(S, a.getAtIndex(F, ar));
            x0 = s0.fma(FloatVector.fromMemorySegment(S, b, (br + 0 * L) * 4L, NO), x0); x1 = s0.fma(FloatVector.fromMemorySegment(S, b, (br + 1 * L) * 4L, NO), x1); x2 = s0.fma(FloatVector.fromMemorySegment(S, b, (br + 2 * L) * 4L, NO), x2); x3 = s0.fma(FloatVector.fromMemorySegment(S, b, (br + 3 * L) * 4L, NO), x3);
        }
        x0.intoMemorySegment(c, (c0 + 0 * L) * 4L, NO); x1.intoMemorySegment(c, (c0 + 1 * L) * 4L, NO); x2.intoMemorySegment(c, (c0 + 2 * L) * 4L, NO); x3.intoMemorySegment(c, (c0 + 3 * L) * 4L, NO);
    }

    private static void block1x1(MemorySegment a, long a0, long sAk, MemorySegment b, long b0, int ldb,
                                 MemorySegment c, long c0, int k, boolean acc) {
        FloatVector x = (acc ? FloatVector.fromMemorySegment(S, c, (c0) * 4L, NO) : FloatVector.zero(S));
        long ar = a0;
        long br = b0;
        for (int kk = 0; kk < k; kk++, ar += sAk, br += ldb)
            x = FloatVector.broadcast(S, a.getAtIndex(F, ar)).fma(FloatVector.fromMemorySegment(S, b, (br) * 4L, NO), x);
        x.intoMemorySegment(c, (c0) * 4L, NO);
    }

}
