package dev.normclock.backend;

/**
 * The primitives a model's training step is written against. Every call works on the models of
 * a population listed in {@code models} (slot indices), each with its own data and
 * hyperparameters. Implementations: {@code cpu} (Vector API, float32), {@code cpu-float64}
 * (plain double arithmetic, for the precision audit) and {@code cuda} (float32 on a GPU, computing
 * in device copies of the tensors: see {@link #syncToHost} and {@link #hostChanged}). Every
 * implementation is checked against the float64 backend by one conformance suite, which states each
 * primitive's inputs and tolerance once ({@link dev.normclock.backend.conformance.Conformance}).
 */
public interface Backend extends AutoCloseable, WorkspaceSizing {
    /**
     * Models a CPU steps at once (see {@link #workspaceModels}): activations are by far the largest
     * tensors (n_train × H per model), so they exist for this many models only and are reused for
     * each group of slots. 16 models give two cores enough independent work per GEMM while 256
     * models at p = 97 stay well under 1 GiB.
     */
    int CPU_WORKSPACE_MODELS = 16;

    String name();

    /** The number format of the tensors it works on and of its arithmetic. */
    default Precision precision() {
        return Precision.FLOAT32;
    }

    /**
     * How the float32 cross-entropy orders its sum over the classes (see {@link SoftmaxSum});
     * CLASS_ORDER for backends where the order cannot matter (float64).
     */
    default SoftmaxSum softmaxSum() {
        return SoftmaxSum.CLASS_ORDER;
    }

    /**
     * Whether matrix products round their inputs to TF32 (10 mantissa bits) on tensor cores: only
     * the cuda backend, and only when asked for (--tf32). It changes the numerics, so a run's record
     * keeps it ("tf32": true in its config) and a report says so.
     */

    default boolean tf32() {
        return false;
    }

    /** Threads (CPU) or streams the backend uses; part of a run's record. */
    int parallelism();

    /**
     * Host code is about to read tensors' memory directly (a checkpoint, the end of a run, a test
     * reading weights). A backend that computes in copies of the tensors elsewhere (cuda) brings
     * the host memory up to date; the CPU backends compute in it and have nothing to do.
     */
    default void syncToHost() {
    }

    /**
     * Host code has written tensors' memory directly (initialisation, a restored checkpoint, a
     * task's data): a backend with copies elsewhere takes them again before its next use. Call
     * {@link #syncToHost} first if the backend's results since the last sync are to be kept.
     */
    default void hostChanged() {
    }

    /**
     * C = op(A) · B (or C += … when {@code accumulate}), batched over models. op(A) is A or Aᵀ; C is
     * M×N with M = c.rows and N = c.cols; K is the inner dimension (it may be less than A's extent
     * when the remaining columns are known to be zero).
     */
    void matmul(Tensor a, boolean transposeA, Tensor b, Tensor c, int k, boolean accumulate, int[] models);

    /** dst = srcᵀ per model (dst is src.cols × src.rows). */
    void transpose(Tensor src, Tensor dst, int[] models);

    /**
     * The MLP's first layer after the exact rewrite: for each example i of model m with pair
     * (a, b), x = pa[a] + pb[b] + bias, act[i] = GELU(x) (exact, erf-based) and, unless
     * {@code slope} is null (evaluation), slope[i] = GELU'(x), kept for the backward pass, which then
     * needs neither x nor another evaluation of Φ.
     */
    void hiddenForward(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, int[] models);

    /**
     * Backward of {@link #hiddenForward}: dx = dAct ⊙ slope; dPa[a] += dx, dPb[b] += dx,
     * dBias += dx summed over examples. dPa, dPb and dBias are overwritten.
     */
    void hiddenBackward(Tensor dAct, Tensor slope, int[][] pairs, int p, Tensor dPa, Tensor dPb, Tensor dBias, int[] models);

    /**
     * The hidden layer's whole backward from the output gradient: dAct = dLogits · w2T (K = k), then
     * {@link #hiddenBackward}. dAct is scratch that may be left unwritten: a backend can fuse the
     * two and keep dAct in cache. The result must be that of the two calls, bit for bit.
     */
    default void outputToHiddenBackward(Tensor dLogits, Tensor w2T, int k, Tensor dAct, Tensor slope, int[][] pairs, int p,
                                        Tensor dPa, Tensor dPb, Tensor dBias, int[] models) {
        matmul(dLogits, false, w2T, dAct, k, false, models);
        hiddenBackward(dAct, slope, pairs, p, dPa, dPb, dBias, models);
    }

    /**
     * The dense first layer of a model whose inputs are vectors (the parity MLP): with pre = x·W1
     * formed by {@link #matmul}, act = GELU(pre + bias) (exact, erf-based, as
     * {@link #hiddenForward}) and, unless {@code slope} is null (evaluation), slope = GELU'(pre + bias)
     * for the backward pass ({@link #geluBackward}). {@code act} may be {@code pre} (in place).
     */
    void biasGelu(Tensor pre, Tensor bias, Tensor act, Tensor slope, int[] models);

    /** Backward of {@link #biasGelu}: dPre = dAct ⊙ slope, element-wise; {@code dPre} may be {@code dAct}. */
    void geluBackward(Tensor dAct, Tensor slope, Tensor dPre, int[] models);

    /**
     * Fused softmax cross-entropy with temperature on z = logits + bias (columns 0..classes-1):
     * per row the loss ln Σ exp(z/τ) − z_y/τ and whether argmax z = y (the first maximum), with the
     * label y = labels[m][i] of row i given explicitly. When gradScale[m] > 0 the logits are
     * overwritten by the gradient (softmax(z/τ) − onehot(y)) · gradScale[m] / τ. rowScale[m][i]
     * receives ‖z/τ‖₂ of the row (Paper B's logit scale). A row whose loss is exactly 0 has softmax
     * probability exactly 1 on its label in float32 (softmax collapse): ln Σ exp = 0 needs every
     * other term to round away.
     */
    void crossEntropy(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models);

    /**
     * {@link #crossEntropy(Tensor, Tensor, int[][], float[], float[], float[][], boolean[][], float[][], int[])}
     * for modular addition: the label of row i is (a + b) mod p of its pair a·p + b.
     */
    default void crossEntropy(Tensor logits, Tensor bias, int[][] pairs, int p, float[] temperature, double[] gradScale,
                              float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        crossEntropy(logits, bias, sumLabels(pairs, p, models), temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    /**
     * The MLP's forward from the first layer's tables to the cross-entropy: {@link #hiddenForward},
     * logits = act · w2 (K = k), then {@link #crossEntropy(Tensor, Tensor, int[][], int, float[], float[], float[][], boolean[][], float[][], int[])}
     * with labels (a + b) mod p. A backend may fuse the three so that each block of examples stays
     * in cache from GELU to loss; the result must be that of the three calls, bit for bit.
     */
    default void hiddenToCrossEntropy(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, Tensor w2, int k,
                                      Tensor logits, Tensor outBias, float[] temperature, double[] gradScale,
                                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        hiddenForward(pa, pb, bias, pairs, p, act, slope, models);
        matmul(act, false, w2, logits, k, false, models);
        crossEntropy(logits, outBias, pairs, p, temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    /**
     * Paper B's squared error on z = logits + bias (columns 0..classes-1): per row
     * Σ_c (z_c/τ − onehot(y)_c)² and whether argmax z = y. When gradScale[m] > 0 the logits are
     * overwritten by the gradient 2·(z/τ − onehot(y))·gradScale[m]/τ. Labels and rowScale as in
     * {@link #crossEntropy(Tensor, Tensor, int[][], float[], float[], float[][], boolean[][], float[][], int[])}.
     */
    void squaredError(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models);

    /** The squared error with the labels of modular addition, (a + b) mod p of each row's pair. */
    default void squaredError(Tensor logits, Tensor bias, int[][] pairs, int p, float[] temperature, double[] gradScale,
                              float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        squaredError(logits, bias, sumLabels(pairs, p, models), temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    /**
     * Where a population's measurements go — loss calls that take {@link LossTotals} add their rows
     * up in its {@link Readout#train} or {@link Readout#test}, {@link #sumSquares(Tensor[], Readout, int[])}
     * leaves its norms there —: host arrays for the CPU backends, device memory for the others (see
     * {@link #deferredResults}), read in one copy.
     */
    default Readout readout(int models, int tensors) {
        return Readout.host(models, tensors);
    }

    /**
     * Whether results the host reads cost a round trip to a device: then a trainer reads the
     * training losses only at evaluations, learning there of a loss that went non-finite in between
     * (at the step it did), and a step asks the host for nothing.
     */
    default boolean deferredResults() {
        return false;
    }

    /** The bytes its device has free for tensors, or -1 for a backend whose tensors live in host memory only. */
    default long deviceMemoryFree() {
        return -1;
    }

    /**
     * Models a population should step at once, sharing one workspace: the CPU keeps groups small
     * enough to stay in cache and to bound memory; a GPU takes the whole population, every model
     * in one launch per kernel.
     */
    @Override
    default int workspaceModels(int models) {
        return WorkspaceSizing.CPU.workspaceModels(models);
    }

    /**
     * Runs one training step's calls ({@code step}, which makes no host read in steady state): a
     * backend that can (cuda) records the launches the calls make and, once it has seen the same
     * launches with the same arguments twice in a row, captures them as a CUDA Graph that from then
     * on replays the step in one launch. The CPU backends run it.
     */
    default void replayable(Runnable step) {
        step.run();
    }

    /** Rows of an evaluation pass (see {@link WorkspaceSizing#evaluationRows}): the CPU keeps blocks of {@code block} rows that stay in cache. */
    @Override
    default int evaluationRows(int block, int rows, long bytesPerRow) {
        return WorkspaceSizing.CPU.evaluationRows(block, rows, bytesPerRow);
    }

    /**
     * The loss of each listed model's rows — Paper B's squared error where {@code squaredError[m]},
     * else cross-entropy — as {@link #crossEntropy(Tensor, Tensor, int[][], float[], double[], float[][], boolean[][], float[][], int[])}
     * and {@link #squaredError(Tensor, Tensor, int[][], float[], double[], float[][], boolean[][], float[][], int[])}
     * compute it (gradients included), but its rows are added to {@code totals} instead of being
     * returned; when {@code step} > 0 a non-finite loss records that step there. A population that
     * mixes losses needs one call.
     */
    default void loss(Tensor logits, Tensor bias, int[][] labels, boolean[] squaredError, float[] temperature, double[] gradScale,
                      LossTotals totals, int step, int[] models) {
        HostLossTotals h = (HostLossTotals) totals;
        int n = labels[models[0]].length;
        h.ensureRows(models, n);
        int[] ce = java.util.Arrays.stream(models).filter(m -> !squaredError[m]).toArray();
        int[] se = java.util.Arrays.stream(models).filter(m -> squaredError[m]).toArray();
        if (ce.length > 0) crossEntropy(logits, bias, labels, temperature, gradScale, h.rowLoss, h.rowCorrect, h.rowScale, ce);
        if (se.length > 0) squaredError(logits, bias, labels, temperature, gradScale, h.rowLoss, h.rowCorrect, h.rowScale, se);
        h.add(models, n, step);
    }

    /**
     * {@link #hiddenToCrossEntropy(Tensor, Tensor, Tensor, int[][], int, Tensor, Tensor, Tensor, int, Tensor, Tensor, float[], double[], float[][], boolean[][], float[][], int[])}
     * with its rows added to {@code totals}, as {@link #loss} does.
     */
    default void hiddenToCrossEntropy(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, Tensor w2, int k,
                                      Tensor logits, Tensor outBias, float[] temperature, double[] gradScale, LossTotals totals, int step,
                                      int[] models) {
        HostLossTotals h = (HostLossTotals) totals;
        int n = pairs[models[0]].length;
        h.ensureRows(models, n);
        hiddenToCrossEntropy(pa, pb, bias, pairs, p, act, slope, w2, k, logits, outBias, temperature, gradScale, h.rowLoss, h.rowCorrect,
                h.rowScale, models);
        h.add(models, n, step);
    }

    /** The labels (a + b) mod p of the listed models' pairs a·p + b (other slots null). */
    static int[][] sumLabels(int[][] pairs, int p, int[] models) {
        int[][] labels = new int[pairs.length][];
        for (int m : models) {
            int[] pr = pairs[m], y = new int[pr.length];
            for (int i = 0; i < pr.length; i++) y[i] = (pr[i] / p + pr[i] % p) % p;
            labels[m] = y;
        }
        return labels;
    }

    /** out[0, :] = Σ_rows x[row, :]. */
    void columnSums(Tensor x, Tensor out, int[] models);

    /**
     * One AdamW step of every tensor of each model (hand-written, with bias correction). Decoupled
     * weight decay applies to tensors with {@code decayed[j]}, before the Adam update
     * (W ← W·(1 − lr·λ), Paper A) or after it (W ← W − lr·λ·W, Paper B). Returns in
     * sumSquares[m][j] the squared Frobenius norm of tensor j after the update.
     */
    void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
               double[][] sumSquares, int[] models);

    /**
     * {@link #adamW(Tensor[], Tensor[], Tensor[], Tensor[], boolean[], Hyper, int, double[][], int[])}
     * followed by the norm clamp the plan describes, its norms taken from the update's Σ W² where
     * the backend computes: a device sends nothing to the host and back. The result is that of
     * adamW, then {@link ClampPlan#applyOnHost}.
     */
    default void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
                       ClampPlan plan, int[] models) {
        double[][] sumSquares = new double[hyper.models()][params.length];
        adamW(params, grads, m1, m2, decayed, hyper, step, sumSquares, models);
        plan.applyOnHost(this, params, sumSquares, models);
    }

    /** Multiplies every tensor of model m by factor[m] (the norm projection). */
    void scale(Tensor[] tensors, double[] factor, int[] models);

    /** out[m] = squared Frobenius norm of model m's tensor, summed in double. */
    void sumSquares(Tensor t, double[] out, int[] models);

    /**
     * {@link #sumSquares(Tensor, double[], int[])} of every tensor, into {@code into.squares[m][j]}
     * for tensor j, left where the backend computes until {@link Readout#read}.
     */
    default void sumSquares(Tensor[] tensors, Readout into, int[] models) {
        double[] out = new double[into.models()];
        for (int j = 0; j < tensors.length; j++) {
            sumSquares(tensors[j], out, models);
            for (int m : models) into.squares[m][j] = out[m];
        }
    }

    // ------------------------------------------------------------------------------------------
    // The attention model's primitives (see dev.normclock.model.AttentionPopulation)
    // ------------------------------------------------------------------------------------------

    /** dst = src per model (same shape). */
    void copy(Tensor src, Tensor dst, int[] models);

    /** x[i, :] += row[0, :] for every row i of x. */
    void addRow(Tensor x, Tensor row, int[] models);

    /** x ⊙= y element-wise (same shape): the GELU backward dPre = dAct ⊙ slope. */
    void multiply(Tensor x, Tensor y, int[] models);

    /**
     * act = GELU(x) (exact, erf-based, as {@link #hiddenForward}) and, unless slope is null,
     * slope = GELU'(x). act may be x itself (in place).
     */
    void gelu(Tensor x, Tensor act, Tensor slope, int[] models);

    /**
     * Non-affine LayerNorm of each row: y = (x − mean)/√(var + eps) over the row's cols (var the
     * biased variance), rstd[i, 0] = 1/√(var + eps). y may be x.
     */
    void layerNorm(Tensor x, Tensor y, Tensor rstd, double eps, int[] models);

    /**
     * Backward of {@link #layerNorm}, in place: g ← rstd·(g − mean(g) − y·mean(g⊙y)) per row, plus
     * {@code add} (same shape) when it is not null.
     */
    void layerNormBackward(Tensor y, Tensor rstd, Tensor g, Tensor add, int[] models);

    /**
     * The attention model's input rows of the three positions (x = E[token] + pos[t]), one per
     * (token, position) that occurs: rows 0..p−1 are E[a] + pos[0], rows p..2p−1 E[b] + pos[1],
     * row 2p E[p] + pos[2] (the "=" token). x is (2p+1) × d, E is (p+1) × d, pos 3 × d.
     */
    void tokenRows(Tensor e, Tensor pos, int p, Tensor x, int[] models);

    /**
     * Backward of {@link #tokenRows}: dE[t] = dx[t] + dx[p + t] (t < p), dE[p] = dx[2p] + extra,
     * dPos[0] = Σ_t dx[t], dPos[1] = Σ_t dx[p + t], dPos[2] = dx[2p] + extra (extra 1 × d: the
     * residual's gradient of x₂). dE and dPos are overwritten.
     */
    void tokenRowsBackward(Tensor dx, Tensor extra, int p, Tensor dE, Tensor dPos, int[] models);

    /**
     * The score table of the one query against every key row: scores[r, h] = q_h·keys[r]_h/√dh with
     * head h the columns h·dh … h·dh + dh − 1, dh = keys.cols / heads. q is 1 × d.
     */
    void attentionScores(Tensor q, Tensor keys, int heads, Tensor scores, int[] models);

    /** Backward of {@link #attentionScores}: dq and dKeys (overwritten) from dScores. */
    void attentionScoresBackward(Tensor q, Tensor keys, Tensor dScores, int heads, Tensor dq, Tensor dKeys, int[] models);

    /**
     * The 3-token attention of the last position per example: pair (a, b) reads table rows
     * (a, p + b, 2p) of scores ((2p+1) × heads) and values ((2p+1) × d); per head α = softmax of the
     * three scores, out_h = Σ_t α_t·values[row_t]_h. att (n × 3·heads) keeps α, head h at 3h.
     */
    void attentionForward(Tensor scores, Tensor values, int[][] pairs, int p, int heads, Tensor att, Tensor out, int[] models);

    /**
     * Backward of {@link #attentionForward}: from dOut (n × d) the table gradients dScores
     * ((2p+1) × heads) and dValues ((2p+1) × d), overwritten, summed over examples in order.
     */
    void attentionBackward(Tensor dOut, Tensor att, Tensor values, int[][] pairs, int p, int heads, Tensor dScores,
                           Tensor dValues, int[] models);

    @Override
    void close();
}
