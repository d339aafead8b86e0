package dev.normclock.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import dev.normclock.backend.Tensor;

/**
 * Transposes asked for but not made: a model's step transposes a weight matrix only to multiply by
 * it, and a GEMM can read the matrix transposed itself (cuBLAS's op T, nc_gemm's transposeB). So
 * {@link CudaBackend#transpose} records the transpose here, a GEMM whose B is a recorded
 * transpose's destination reads the source instead, and the transpose is made — one nc_transpose
 * launch — only when something else touches the destination. When the source is written first
 * (the step's AdamW), a destination that is workspace ({@link Tensor#scratch}) is simply forgotten:
 * what it would hold is stale and no step reads it before transposing again — a read of it anyway
 * is refused, naming the tensor, rather than given stale values; any other destination is made
 * before the source changes.
 */
final class LazyTransposes {
    /** A recorded transpose: dst = srcᵀ for the listed models. */
    record Pending(Tensor src, Tensor dst, int[] models) {
    }

    /** Makes a recorded transpose (launches nc_transpose). */
    interface Maker {
        void make(Pending p);
    }

    private final List<Pending> pending = new ArrayList<>();
    // workspace allocations whose transpose was forgotten; by identity: an address can come back with a new population
    private final List<java.lang.foreign.MemorySegment> stale = new ArrayList<>();
    private final Maker maker;

    LazyTransposes(Maker maker) {
        this.maker = maker;
    }

    private static boolean sameView(Tensor x, Tensor y) {
        return x.seg == y.seg && x.offset == y.offset && x.rows == y.rows && x.cols == y.cols && x.ld == y.ld
                && x.modelStride == y.modelStride;
    }

    private static boolean covers(int[] listed, int[] models) {
        int i = 0;
        for (int m : models) { // both ascending
            while (i < listed.length && listed[i] < m) i++;
            if (i == listed.length || listed[i] != m) return false;
        }
        return true;
    }

    /** Records dst = srcᵀ; what was recorded for dst's allocation before is made first unless this replaces it exactly. */
    void add(Tensor src, Tensor dst, int[] models) {
        for (int i = pending.size() - 1; i >= 0; i--) {
            Pending p = pending.get(i);
            if (p.dst.seg != dst.seg) continue;
            pending.remove(i);
            if (!sameView(p.dst, dst)) maker.make(p);
        }
        touch(src, false);
        stale.removeIf(seg -> seg == dst.seg);
        pending.add(new Pending(src, dst, models.clone()));
    }

    /** The recorded transpose whose destination is {@code b}, for all the listed models; else null. */
    Pending asB(Tensor b, int[] models) {
        for (Pending p : pending) if (sameView(p.dst, b) && covers(p.models, models)) return p;
        return null;
    }

    /**
     * A kernel is about to read (or write) {@code t}: a recorded transpose into t's allocation is made
     * first; one out of t's allocation, when t is written, is made or, into workspace, forgotten.
     */
    void touch(Tensor t, boolean writes) {
        java.lang.foreign.MemorySegment seg = t.seg;
        if (stale.stream().anyMatch(s -> s == seg))
            throw new IllegalStateException("a transposed copy (" + t.rows + "×" + t.cols + ") is read after its source changed: transpose again first");
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            boolean intoT = p.dst.seg == seg, fromT = writes && p.src.seg == seg;
            if (!intoT && !fromT) continue;
            pending.remove(i--);
            if (fromT && !intoT && p.dst.scratch) stale.add(p.dst.seg);
            else maker.make(p);
        }
    }

    /** Makes every recorded transpose (host code is about to read or write tensors). */
    void makeAll() {
        while (!pending.isEmpty()) maker.make(pending.removeFirst());
    }

    /** Host code wrote tensors (a new run, a restored checkpoint): forgotten copies are nobody's concern any more. */
    void hostChanged() {
        makeAll();
        stale.clear();
    }
}
