package dev.normclock.backend;

/**
 * The primitives a model's training step is written against. Every call works on the models of
 * a population listed in {@code models} (slot indices), each with its own data and
 * hyperparameters. Implementations: {@code cpu} (Vector API). Each primitive has a
 * double-precision scalar reference in the tests that every implementation is checked against.
 */
public interface Backend extends AutoCloseable {

    String name();

    /** Threads (CPU) or streams the backend uses; part of a run's record. */
    int parallelism();

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
    void crossEntropy(Tensor logits, Tensor bias, int[][] labels, float[] temperature, float[] gradScale,
                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models);

    /**
     * {@link #crossEntropy(Tensor, Tensor, int[][], float[], float[], float[][], boolean[][], float[][], int[])}
     * for modular addition: the label of row i is (a + b) mod p of its pair a·p + b.
     */
    default void crossEntropy(Tensor logits, Tensor bias, int[][] pairs, int p, float[] temperature, float[] gradScale,
                              float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        crossEntropy(logits, bias, sumLabels(pairs, p, models), temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    /**
     * Paper B's squared error on z = logits + bias (columns 0..classes-1): per row
     * Σ_c (z_c/τ − onehot(y)_c)² and whether argmax z = y. When gradScale[m] > 0 the logits are
     * overwritten by the gradient 2·(z/τ − onehot(y))·gradScale[m]/τ. Labels and rowScale as in
     * {@link #crossEntropy(Tensor, Tensor, int[][], float[], float[], float[][], boolean[][], float[][], int[])}.
     */
    void squaredError(Tensor logits, Tensor bias, int[][] labels, float[] temperature, float[] gradScale,
                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models);

    /** The squared error with the labels of modular addition, (a + b) mod p of each row's pair. */
    default void squaredError(Tensor logits, Tensor bias, int[][] pairs, int p, float[] temperature, float[] gradScale,
                              float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        squaredError(logits, bias, sumLabels(pairs, p, models), temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
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

    /** Multiplies every tensor of model m by factor[m] (the norm projection). */
    void scale(Tensor[] tensors, float[] factor, int[] models);

    /** out[m] = squared Frobenius norm of model m's tensor, summed in double. */
    void sumSquares(Tensor t, double[] out, int[] models);

    @Override
    void close();
}
