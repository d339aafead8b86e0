package dev.normclock.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.WorkPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API kernels on off-heap tensors, work split over models and rows (or
 * columns) on a pool of threads. Every output element belongs to one task and reductions run in
 * a fixed order, so results are the same bits for any thread count.
 */
public final class CpuBackend implements Backend {
    private static final VectorSpecies<Float> S = CpuGemm.S;
    private static final int L = CpuGemm.L;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Rows per task of the row-parallel kernels: fixed, so that partial sums never depend on threads. */
    private static final int ROW_CHUNK = 64;
    /** Examples per task of {@link #hiddenToCrossEntropy}: a multiple of the GEMM's 6-row and the loss's L-row blocks. */
    private static final int FORWARD_ROWS = 48;
    /** Examples per block of {@link #outputToHiddenBackward}. */
    private static final int OUT_ROWS = 48;

    private final WorkPool pool;
    /** Zeros for {@link #biasGelu}'s second operand, grown on demand (never written). */
    private volatile MemorySegment zeros = java.lang.foreign.Arena.ofAuto().allocate(64 * 4L, 64);
    /** Per worker, heap scratch arrays by use: the cross-entropy's blocks, the transpose's copy. */
    private final float[][][] scratch;
    private static final int CROSS_ENTROPY_SCRATCH = 0, TRANSPOSE_SCRATCH = 1;
    /** Per worker, the native block of dAct of {@link #outputToHiddenBackward}. */
    private final MemorySegment[] outScratch;

    private final dev.normclock.backend.SoftmaxSum softmaxSum;

    /** In the papers' arithmetic: the cross-entropy sums over the classes in PyTorch's CUDA order (WARP). */
    public CpuBackend(int threads) {
        this(threads, dev.normclock.backend.SoftmaxSum.WARP);
    }

    /** With the cross-entropy's sum over the classes in the given order (see {@link dev.normclock.backend.SoftmaxSum}). */
    public CpuBackend(int threads, dev.normclock.backend.SoftmaxSum softmaxSum) {
        this.pool = new WorkPool(threads);
        this.scratch = new float[threads][2][];
        this.outScratch = new MemorySegment[threads];
        this.softmaxSum = softmaxSum;
    }

    @Override
    public dev.normclock.backend.SoftmaxSum softmaxSum() {
        return softmaxSum;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int parallelism() {
        return pool.threads();
    }

    /** Splits M rows of each model into enough chunks to keep every thread busy, in multiples of 12 (= the 6- and 4-row blocks). */
    private int rowsPerTask(int rows, int models) {
        int wanted = Math.max(1, (4 * pool.threads() + models - 1) / models);
        int per = (rows + wanted - 1) / wanted;
        per = (per + 11) / 12 * 12;
        return Math.max(12, Math.min(per, rows));
    }

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, Tensor c, int k, boolean accumulate, int[] models) {
        int m = c.rows, n = c.ld;
        if (b.ld != c.ld) throw new IllegalArgumentException("B and C must share their padded width");
        int per = rowsPerTask(m, models.length);
        int chunks = (m + per - 1) / per;
        long sAi = transposeA ? 1 : a.ld, sAk = transposeA ? a.ld : 1;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int i0 = (task % chunks) * per, i1 = Math.min(m, i0 + per);
            CpuGemm.rows(a.seg, a.offset + model * a.modelStride, sAi, sAk,
                    b.seg, b.offset + model * b.modelStride, b.ld,
                    c.seg, c.offset + model * c.modelStride, c.ld, i0, i1, n, k, accumulate);
        });
    }

    @Override
    public void transpose(Tensor src, Tensor dst, int[] models) {
        int rows = src.rows, lds = src.ld;
        int[] idx = RowKernels.lanesApart(lds);
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            float[] copy = scratch(w, TRANSPOSE_SCRATCH, rows * lds);
            MemorySegment.copy(src.seg, F, src.rowAt(model, 0) * 4L, copy, 0, rows * lds);
            RowKernels.transpose(copy, lds, rows, src.cols, idx, dst.seg, dst.rowAt(model, 0), dst.ld);
        });
    }

    @Override
    public void hiddenForward(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, int[] models) {
        int n = pairs[models[0]].length, ld = act.ld, cols = act.cols;
        float[] keep = new float[ld];
        java.util.Arrays.fill(keep, 0, cols, 1f);
        int chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks], i0 = (task % chunks) * ROW_CHUNK;
            geluRows(pa, pb, bias, pairs[model], p, act, slope, keep, model, i0, Math.min(n, i0 + ROW_CHUNK));
        });
    }

    /** Rows i0 … i1 − 1 of one model's first layer: act = GELU(pa[a] + pb[b] + bias) and its slope (unless null). */
    private static void geluRows(Tensor pa, Tensor pb, Tensor bias, int[] pairs, int p, Tensor act, Tensor slope, float[] keep,
                                 int model, int i0, int i1) {
        long biasRow = bias.rowAt(model, 0) * 4L;
        for (int i = i0; i < i1; i++)
            RowKernels.geluWithSlope(pa.seg, pa.rowAt(model, pairs[i] / p) * 4L, pb.seg, pb.rowAt(model, pairs[i] % p) * 4L, bias.seg, biasRow,
                    act.seg, act.rowAt(model, i) * 4L, slope == null ? null : slope.seg, slope == null ? 0 : slope.rowAt(model, i) * 4L, keep, act.ld);
    }

    @Override
    public void hiddenBackward(Tensor dAct, Tensor slope, int[][] pairs, int p, Tensor dPa, Tensor dPb, Tensor dBias, int[] models) {
        int vectors = slope.ld / L;
        pool.forEach(models.length * vectors, (task, w) -> {
            int model = models[task / vectors];
            int j = (task % vectors) * L;
            RowKernels.scatterColumn(dAct.seg, dAct.rowAt(model, 0) * 4L, slope.seg, slope.rowAt(model, 0) * 4L, slope.ld * 4L,
                    pairs[model], p, dPa.seg, dPa.rowAt(model, 0) * 4L, dPb.seg, dPb.rowAt(model, 0) * 4L, dPa.ld * 4L,
                    dBias.seg, dBias.rowAt(model, 0) * 4L, j * 4L);
        });
    }

    /**
     * Fused when there are models enough to keep every thread busy (at least two per thread): each
     * task takes one model and walks its examples in blocks of OUT_ROWS: the block's dAct (a GEMM with
     * the same FMA chain per element as {@link #matmul}) lands in the worker's small native scratch
     * and is scattered at once, so dAct never travels to memory and back. Every sum runs over the
     * examples in order: the same bits as the two separate calls, which fewer models get (split
     * by columns instead, the fused form read slope in short strided pieces and was slower).
     */
    @Override
    public void outputToHiddenBackward(Tensor dLogits, Tensor w2T, int k, Tensor dAct, Tensor slope, int[][] pairs, int p,
                                       Tensor dPa, Tensor dPb, Tensor dBias, int[] models) {
        int ld = slope.ld;
        if (w2T.ld != ld || dPa.ld != ld || dPb.ld != ld || dBias.ld != ld)
            throw new IllegalArgumentException("w2T, slope, dPa, dPb and dBias must share their padded width");
        if (models.length < 2 * pool.threads()) {
            Backend.super.outputToHiddenBackward(dLogits, w2T, k, dAct, slope, pairs, p, dPa, dPb, dBias, models);
            return;
        }
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            int[] pr = pairs[model];
            MemorySegment block = outScratch(w, ld);
            long dPa0 = dPa.rowAt(model, 0) * 4L, dPb0 = dPb.rowAt(model, 0) * 4L, dBias0 = dBias.rowAt(model, 0) * 4L;
            RowKernels.zeroColumns(dPa.seg, dPa0, dPa.ld * 4L, p, ld);
            RowKernels.zeroColumns(dPb.seg, dPb0, dPb.ld * 4L, p, ld);
            RowKernels.zeroColumns(dBias.seg, dBias0, 0, 1, ld);
            for (int i0 = 0; i0 < pr.length; i0 += OUT_ROWS) {
                int i1 = Math.min(pr.length, i0 + OUT_ROWS);
                CpuGemm.rows(dLogits.seg, dLogits.rowAt(model, 0), dLogits.ld, 1, w2T.seg, w2T.rowAt(model, 0), ld,
                        block, -(long) i0 * ld, ld, i0, i1, ld, k, false);
                RowKernels.scatterRows(block, ld * 4L, slope.seg, slope.rowAt(model, i0) * 4L, ld * 4L, pr, i0, i1, p,
                        dPa.seg, dPa0, dPb.seg, dPb0, dPa.ld * 4L, dBias.seg, dBias0, ld);
            }
        });
    }

    /** The worker's native block for {@link #outputToHiddenBackward}: OUT_ROWS rows of width floats. */
    private MemorySegment outScratch(int worker, int width) {
        MemorySegment s = outScratch[worker];
        if (s == null || s.byteSize() < (long) OUT_ROWS * width * 4L)
            outScratch[worker] = s = java.lang.foreign.Arena.ofAuto().allocate((long) OUT_ROWS * width * 4L, 64);
        return s;
    }

    /**
     * The exact GELU row kernel of {@link #hiddenForward}, called with a zero row as its second
     * operand: x = (pre + 0) + bias = pre + bias exactly (−0 + 0 = +0, and GELU(±0) = 0), so the
     * dense layer shares the one carefully compiled kernel (see {@link RowKernels#geluWithSlope}).
     */
    @Override
    public void biasGelu(Tensor pre, Tensor bias, Tensor act, Tensor slope, int[] models) {
        int n = pre.rows, ld = act.ld, cols = act.cols;
        if (pre.ld != ld || bias.ld != ld || (slope != null && slope.ld != ld) || act.rows != n)
            throw new IllegalArgumentException("pre, bias, act and slope must share their padded width and rows");
        float[] keep = new float[ld];
        java.util.Arrays.fill(keep, 0, cols, 1f);
        MemorySegment zero = zeroRow(ld);
        int chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int i0 = (task % chunks) * ROW_CHUNK, i1 = Math.min(n, i0 + ROW_CHUNK);
            long biasRow = bias.rowAt(model, 0) * 4L;
            for (int i = i0; i < i1; i++)
                RowKernels.geluWithSlope(pre.seg, pre.rowAt(model, i) * 4L, zero, 0, bias.seg, biasRow, act.seg, act.rowAt(model, i) * 4L,
                        slope == null ? null : slope.seg, slope == null ? 0 : slope.rowAt(model, i) * 4L, keep, ld);
        });
    }

    /** A native row of at least {@code ld} zeros, shared by every call (it is only read). */
    private MemorySegment zeroRow(int ld) {
        MemorySegment z = zeros;
        if (z.byteSize() < ld * 4L) zeros = z = java.lang.foreign.Arena.ofAuto().allocate(ld * 4L, 64);
        return z;
    }

    @Override
    public void geluBackward(Tensor dAct, Tensor slope, Tensor dPre, int[] models) {
        int n = dAct.rows, ld = dAct.ld;
        if (slope.ld != ld || dPre.ld != ld || slope.rows != n || dPre.rows != n)
            throw new IllegalArgumentException("dAct, slope and dPre must have the same shape");
        int chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int i0 = (task % chunks) * ROW_CHUNK, i1 = Math.min(n, i0 + ROW_CHUNK);
            for (int i = i0; i < i1; i++)
                RowKernels.multiply(dAct.seg, dAct.rowAt(model, i) * 4L, slope.seg, slope.rowAt(model, i) * 4L,
                        dPre.seg, dPre.rowAt(model, i) * 4L, ld);
        });
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        int n = labels[models[0]].length, classes = logits.cols, ld = logits.ld;
        int[] idxRows = RowKernels.lanesApart(ld), idxCols = RowKernels.lanesApart(L);
        int chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int i0 = (task % chunks) * ROW_CHUNK, i1 = Math.min(n, i0 + ROW_CHUNK);
            float[] block = scratch(w, CROSS_ENTROPY_SCRATCH, RowKernels.crossEntropyScratchSize(ld));
            for (int i = i0; i < i1; i += L)
                crossEntropyBlock(logits, bias, model, i, Math.min(L, i1 - i), labels[model], temperature[model], (float) gradScale[model], classes,
                        block, idxRows, idxCols, rowLoss[model], rowCorrect[model], rowScale[model]);
        });
    }

    /**
     * Fused: a task is one model's block of FORWARD_ROWS examples, taken from GELU through the
     * logits GEMM to the loss while it is in cache. Each stage computes every element as its own
     * kernel does, so the bits are those of the three calls.
     */
    @Override
    public void hiddenToCrossEntropy(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, Tensor w2, int k,
                                     Tensor logits, Tensor outBias, float[] temperature, double[] gradScale,
                                     float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        int n = pairs[models[0]].length, ld = act.ld, cols = act.cols, classes = logits.cols, lld = logits.ld;
        if (w2.ld != lld || outBias.ld != lld) throw new IllegalArgumentException("w2, logits and their bias must share their padded width");
        float[] keep = new float[ld];
        java.util.Arrays.fill(keep, 0, cols, 1f);
        int[][] labels = Backend.sumLabels(pairs, p, models);
        int[] idxRows = RowKernels.lanesApart(lld), idxCols = RowKernels.lanesApart(L);
        int blocks = (n + FORWARD_ROWS - 1) / FORWARD_ROWS;
        pool.forEach(models.length * blocks, (task, w) -> {
            int model = models[task / blocks];
            int i0 = (task % blocks) * FORWARD_ROWS, i1 = Math.min(n, i0 + FORWARD_ROWS);
            geluRows(pa, pb, bias, pairs[model], p, act, slope, keep, model, i0, i1);
            CpuGemm.rows(act.seg, act.offset + model * act.modelStride, act.ld, 1, w2.seg, w2.offset + model * w2.modelStride, lld,
                    logits.seg, logits.offset + model * logits.modelStride, lld, i0, i1, lld, k, false);
            float[] block = scratch(w, CROSS_ENTROPY_SCRATCH, RowKernels.crossEntropyScratchSize(lld));
            for (int i = i0; i < i1; i += L)
                crossEntropyBlock(logits, outBias, model, i, Math.min(L, i1 - i), labels[model], temperature[model], (float) gradScale[model], classes,
                        block, idxRows, idxCols, rowLoss[model], rowCorrect[model], rowScale[model]);
        });
    }

    /**
     * Rows i0 … i0 + count − 1 of one model, one row per lane (see {@link RowKernels#scaledRows}):
     * loss, correctness and logit norm per row, and unless scale is 0 the gradient
     * (softmax − onehot)·scale/τ in place of the logits.
     */
    private void crossEntropyBlock(Tensor logits, Tensor bias, int model, int i0, int count, int[] ys, float tau, float scale,
                                   int classes, float[] scratch, int[] idxRows, int[] idxCols,
                                   float[] rowLoss, boolean[] rowCorrect, float[] rowScale) {
        int ld = logits.ld, lanes = RowKernels.lanesAt(ld), cols = RowKernels.colsAt(ld);
        long row0 = logits.rowAt(model, i0) * 4L;
        RowKernels.scaledRows(logits.seg, row0, ld * 4L, count, bias.seg, bias.rowAt(model, 0) * 4L, tau, scratch, ld);
        RowKernels.columnsMaxSquares(scratch, classes, ld, idxRows);
        RowKernels.columnsExp(scratch, classes, ld);
        switch (softmaxSum) {
            case TOP_LAST -> RowKernels.columnsTotalTopLast(scratch, classes, ld);
            case WARP -> RowKernels.columnsTotalWarp(scratch, classes, ld);
            case CLASS_ORDER -> RowKernels.columnsTotal(scratch, classes, ld);
        }
        float g = scale / tau;
        for (int r = 0; r < count; r++) {
            int i = i0 + r, y = ys[i];
            float mx = scratch[lanes + RowKernels.MAX * L + r], total = scratch[lanes + RowKernels.TOTAL * L + r];
            rowCorrect[i] = scratch[lanes + RowKernels.ARGMAX * L + r] == y;
            rowScale[i] = (float) Math.sqrt(scratch[lanes + RowKernels.SQUARES * L + r]);
            rowLoss[i] = (float) (Math.log(total) - ((double) scratch[r * ld + y] - mx));
            if (scale <= 0) continue;
            float inv = 1f / total;
            long row = row0 + r * ld * 4L;
            RowKernels.storeRow(scratch, r, inv * g, ld, idxCols, logits.seg, row);
            logits.seg.set(F, row + y * 4L, (scratch[cols + y * L + r] * inv - 1f) * g);
        }
    }

    /** The worker's scratch array for one use, of at least size floats. */
    private float[] scratch(int worker, int use, int size) {
        float[] s = scratch[worker][use];
        if (s == null || s.length < size) scratch[worker][use] = s = new float[size];
        return s;
    }

    @Override
    public void squaredError(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        int n = labels[models[0]].length, classes = logits.cols;
        int chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
        pool.forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int[] ys = labels[model];
            int i0 = (task % chunks) * ROW_CHUNK, i1 = Math.min(ys.length, i0 + ROW_CHUNK);
            float tau = temperature[model], scale = (float) gradScale[model], g = 2 * scale / tau;
            long biasRow = bias.rowAt(model, 0);
            for (int i = i0; i < i1; i++) {
                int y = ys[i], argmax = 0;
                long row = logits.rowAt(model, i);
                float best = Float.NEGATIVE_INFINITY, loss = 0, ss = 0;
                for (int c = 0; c < classes; c++) {
                    float z = logits.seg.getAtIndex(F, row + c) + bias.seg.getAtIndex(F, biasRow + c);
                    if (z > best) {
                        best = z;
                        argmax = c;
                    }
                    float zt = z / tau, r = zt - (c == y ? 1f : 0f);
                    loss = Math.fma(r, r, loss);
                    ss = Math.fma(zt, zt, ss);
                    if (scale > 0) logits.seg.setAtIndex(F, row + c, r * g);
                }
                rowLoss[model][i] = loss;
                rowCorrect[model][i] = argmax == y;
                rowScale[model][i] = (float) Math.sqrt(ss);
            }
        });
    }

    @Override
    public void columnSums(Tensor x, Tensor out, int[] models) {
        int vectors = x.ld / L;
        pool.forEach(models.length * vectors, (task, w) -> {
            int model = models[task / vectors];
            int j = (task % vectors) * L;
            FloatVector sum = FloatVector.zero(S);
            for (int r = 0; r < x.rows; r++) sum = sum.add(FloatVector.fromMemorySegment(S, x.seg, (x.rowAt(model, r) + j) * 4L, NO));
            sum.intoMemorySegment(out.seg, (out.rowAt(model, 0) + j) * 4L, NO);
        });
    }

    @Override
    public void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
                      double[][] sumSquares, int[] models) {
        int tensors = params.length;
        float bc1 = (float) (1 - Math.pow(Hyper.BETA1, step)), bc2 = (float) (1 - Math.pow(Hyper.BETA2, step));
        float b1 = (float) Hyper.BETA1, b2 = (float) Hyper.BETA2, eps = (float) Hyper.EPS;
        float omb1 = (float) (1 - Hyper.BETA1), omb2 = (float) (1 - Hyper.BETA2); // not 1f - 0.999f, which is 1.3e-5 off
        pool.forEach(models.length * tensors, (task, w) -> {
            int model = models[task / tensors], ti = task % tensors;
            Tensor pt = params[ti], gt = grads[ti], mt = m1[ti], vt = m2[ti];
            float lr = hyper.lr[model];
            boolean decay = decayed[ti] && hyper.weightDecay[model] != 0f;
            boolean after = hyper.decayAfter[model];
            float keep = 1f - lr * hyper.weightDecay[model];
            float lrWd = lr * hyper.weightDecay[model];
            double ss = 0;
            float[] lanes = new float[L];
            for (int r = 0; r < pt.rows; r++)
                ss += RowKernels.adamW(pt.seg, pt.rowAt(model, r) * 4L, gt.seg, gt.rowAt(model, r) * 4L, mt.seg, mt.rowAt(model, r) * 4L,
                        vt.seg, vt.rowAt(model, r) * 4L, pt.ld, lr, decay && !after, keep, decay && after, lrWd, b1, omb1, b2, omb2, bc1, bc2, eps, lanes);
            sumSquares[model][ti] = ss;
        });
    }

    @Override
    public void scale(Tensor[] tensors, double[] factor, int[] models) {
        int count = tensors.length;
        pool.forEach(models.length * count, (task, w) -> {
            int model = models[task / count];
            Tensor t = tensors[task % count];
            float f = (float) factor[model];
            for (int r = 0; r < t.rows; r++) {
                long row = t.rowAt(model, r);
                for (int j = 0; j < t.ld; j += L) (FloatVector.fromMemorySegment(S, t.seg, (row + j) * 4L, NO).mul(f)).intoMemorySegment(t.seg, (row + j) * 4L, NO);
            }
        });
    }

    @Override
    public void sumSquares(Tensor t, double[] out, int[] models) {
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            double ss = 0;
            float[] lanes = new float[L];
            for (int r = 0; r < t.rows; r++) ss += RowKernels.sumSquares(t.seg, t.rowAt(model, r) * 4L, t.ld, lanes);
            out[model] = ss;
        });
    }

    // ------------------------------------------------------------------------------------------
    // The attention model's primitives
    // ------------------------------------------------------------------------------------------

    private void rowChunks(int rows, int[] models, WorkPool.RowTask body) {
        pool.forEachRowChunk(rows, ROW_CHUNK, models, body);
    }

    @Override
    public void copy(Tensor src, Tensor dst, int[] models) {
        if (src.ld != dst.ld || src.rows != dst.rows) throw new IllegalArgumentException("copy needs equal shapes");
        rowChunks(src.rows, models, (model, i0, i1) -> MemorySegment.copy(src.seg, src.rowAt(model, i0) * 4L, dst.seg,
                dst.rowAt(model, i0) * 4L, (long) (i1 - i0) * src.ld * 4L));
    }

    @Override
    public void addRow(Tensor x, Tensor row, int[] models) {
        rowChunks(x.rows, models, (model, i0, i1) -> {
            long r = row.rowAt(model, 0) * 4L;
            for (int i = i0; i < i1; i++) RowKernels.addInto(x.seg, x.rowAt(model, i) * 4L, row.seg, r, x.ld);
        });
    }

    @Override
    public void multiply(Tensor x, Tensor y, int[] models) {
        rowChunks(x.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++) RowKernels.multiplyInto(x.seg, x.rowAt(model, i) * 4L, y.seg, y.rowAt(model, i) * 4L, x.ld);
        });
    }

    @Override
    public void gelu(Tensor x, Tensor act, Tensor slope, int[] models) {
        int ld = act.ld;
        float[] keep = new float[ld];
        java.util.Arrays.fill(keep, 0, act.cols, 1f);
        MemorySegment zero = MemorySegment.ofArray(new byte[ld * 4]); // Vector API heap segments must be byte[]
        rowChunks(x.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++)
                RowKernels.geluWithSlope(x.seg, x.rowAt(model, i) * 4L, zero, 0, zero, 0, act.seg, act.rowAt(model, i) * 4L,
                        slope == null ? null : slope.seg, slope == null ? 0 : slope.rowAt(model, i) * 4L, keep, ld);
        });
    }

    @Override
    public void layerNorm(Tensor x, Tensor y, Tensor rstd, double eps, int[] models) {
        rowChunks(x.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++)
                rstd.seg.setAtIndex(F, rstd.rowAt(model, i), AttentionKernels.layerNorm(x.seg, x.rowAt(model, i), y.seg, y.rowAt(model, i), x.cols, (float) eps));
        });
    }

    @Override
    public void layerNormBackward(Tensor y, Tensor rstd, Tensor g, Tensor add, int[] models) {
        rowChunks(y.rows, models, (model, i0, i1) -> {
            for (int i = i0; i < i1; i++)
                AttentionKernels.layerNormBackward(y.seg, y.rowAt(model, i), rstd.seg.getAtIndex(F, rstd.rowAt(model, i)), g.seg, g.rowAt(model, i),
                        add == null ? null : add.seg, add == null ? 0 : add.rowAt(model, i), y.cols);
        });
    }

    @Override
    public void tokenRows(Tensor e, Tensor pos, int p, Tensor x, int[] models) {
        int d = e.cols;
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            for (int r = 0; r <= 2 * p; r++) {
                int tok = r < p ? r : r < 2 * p ? r - p : p, t = r < p ? 0 : r < 2 * p ? 1 : 2;
                long ie = e.rowAt(model, tok), ip = pos.rowAt(model, t), ix = x.rowAt(model, r);
                for (int c = 0; c < d; c++) x.seg.setAtIndex(F, ix + c, e.seg.getAtIndex(F, ie + c) + pos.seg.getAtIndex(F, ip + c));
            }
        });
    }

    @Override
    public void tokenRowsBackward(Tensor dx, Tensor extra, int p, Tensor dE, Tensor dPos, int[] models) {
        int d = dE.cols;
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            for (int c = 0; c < d; c++) {
                double s0 = 0, s1 = 0;
                for (int t = 0; t < p; t++) {
                    float a = dx.get(model, t, c), b = dx.get(model, p + t, c);
                    s0 += a;
                    s1 += b;
                    dE.set(model, t, c, a + b);
                }
                float eq = dx.get(model, 2 * p, c) + extra.get(model, 0, c);
                dE.set(model, p, c, eq);
                dPos.set(model, 0, c, (float) s0);
                dPos.set(model, 1, c, (float) s1);
                dPos.set(model, 2, c, eq);
            }
        });
    }

    @Override
    public void attentionScores(Tensor q, Tensor keys, int heads, Tensor scores, int[] models) {
        int dh = keys.cols / heads;
        double scale = 1 / Math.sqrt(dh);
        rowChunks(keys.rows, models, (model, i0, i1) -> AttentionKernels.scores(q.seg, q.rowAt(model, 0), keys.seg, keys.rowAt(model, i0),
                keys.ld, i1 - i0, heads, dh, scale, scores.seg, scores.rowAt(model, i0), scores.ld));
    }

    @Override
    public void attentionScoresBackward(Tensor q, Tensor keys, Tensor dScores, int heads, Tensor dq, Tensor dKeys, int[] models) {
        int dh = keys.cols / heads;
        double scale = 1 / Math.sqrt(dh);
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            AttentionKernels.scoresBackward(q.seg, q.rowAt(model, 0), keys.seg, keys.rowAt(model, 0), keys.ld, dScores.seg,
                    dScores.rowAt(model, 0), dScores.ld, keys.rows, heads, dh, scale, dq.seg, dq.rowAt(model, 0), dKeys.seg,
                    dKeys.rowAt(model, 0), dKeys.ld);
        });
    }

    @Override
    public void attentionForward(Tensor scores, Tensor values, int[][] pairs, int p, int heads, Tensor att, Tensor out, int[] models) {
        int n = pairs[models[0]].length, dh = values.cols / heads;
        rowChunks(n, models, (model, i0, i1) -> {
            int[] pr = pairs[model];
            long is = scores.rowAt(model, 0), iv = values.rowAt(model, 0);
            for (int i = i0; i < i1; i++)
                AttentionKernels.attend(scores.seg, is, scores.ld, values.seg, iv, values.ld, pr[i] / p, p + pr[i] % p, 2 * p, heads, dh,
                        att.seg, att.rowAt(model, i), out.seg, out.rowAt(model, i));
        });
    }

    @Override
    public void attentionBackward(Tensor dOut, Tensor att, Tensor values, int[][] pairs, int p, int heads, Tensor dScores,
                                  Tensor dValues, int[] models) {
        int dh = values.cols / heads;
        pool.forEach(models.length, (task, w) -> {
            int model = models[task];
            AttentionKernels.attendBackward(dOut.seg, dOut.rowAt(model, 0), dOut.ld, att.seg, att.rowAt(model, 0), att.ld,
                    values.seg, values.rowAt(model, 0), values.ld, pairs[model], p, heads, dh,
                    dScores.seg, dScores.rowAt(model, 0), dScores.ld, dValues.seg, dValues.rowAt(model, 0), dValues.ld);
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
