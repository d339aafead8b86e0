package dev.normclock.model;

import java.lang.foreign.Arena;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.rng.Purpose;
import dev.normclock.rng.RandomStream;

/**
 * B MLPs of one shape trained in lock-step: parameters, gradients, Adam moments and workspace of
 * all models in one tensor each, [model][rows][cols]. The training step is written once against
 * the {@link Backend} primitives.
 *
 * <p>The first layer uses an exact rewrite of the papers' algebra: the hidden pre-activation of
 * pair (a, b) is [E_a, E_b]·W1 + b1 = Pa[a] + Pb[b] + b1 with Pa = E·W1[0:d] and Pb = E·W1[d:2d]
 * (p × H, formed once per step), and its gradient flows back through the per-token sums dPa, dPb.
 * The tests check it against the plain per-example algorithm in double precision.
 */
public final class MlpPopulation implements AutoCloseable {
    /** Pairs evaluated per block; bounds evaluation memory independently of p. */
    public static final int EVAL_BLOCK = 256;

    public final MlpShape shape;
    public final int models, trainSize;
    private final Arena arena = Arena.ofShared();
    private long bytes;

    public final Tensor emb, w1, b1, w2, b2;
    final Tensor gEmb, gW1, gB1, gW2, gB2;
    final Tensor[] params, grads, m1, m2;
    private static final boolean[] DECAYED = {true, true, false, true, false};
    private final Tensor w1Top, w1Bot, gW1Top, gW1Bot;
    private final Tensor pa, pb, dPa, dPb, slope, act, logits, w2T, w1TopT, w1BotT;
    private final Tensor evAct, evLogits;
    private final float[][] rowLoss, evRowLoss;
    private final boolean[][] rowCorrect, evRowCorrect;
    private final double[][] sumSquares;
    private final float[] gradScale; // 1/n: the loss is the mean over each model's training pairs

    public MlpPopulation(MlpShape shape, int models, int trainSize) {
        this.shape = shape;
        this.models = models;
        this.trainSize = trainSize;
        int p = shape.p(), d = shape.d(), h = shape.hidden();
        emb = alloc(models, p, d);
        w1 = alloc(models, 2 * d, h);
        b1 = alloc(models, 1, h);
        w2 = alloc(models, h, p);
        b2 = alloc(models, 1, p);
        params = new Tensor[]{emb, w1, b1, w2, b2};
        grads = like(params);
        m1 = like(params);
        m2 = like(params);
        gEmb = grads[0];
        gW1 = grads[1];
        gB1 = grads[2];
        gW2 = grads[3];
        gB2 = grads[4];
        w1Top = w1.rowRange(0, d);
        w1Bot = w1.rowRange(d, 2 * d);
        gW1Top = gW1.rowRange(0, d);
        gW1Bot = gW1.rowRange(d, 2 * d);
        pa = alloc(models, p, h);
        pb = alloc(models, p, h);
        dPa = alloc(models, p, h);
        dPb = alloc(models, p, h);
        slope = alloc(models, trainSize, h);
        act = alloc(models, trainSize, h);
        logits = alloc(models, trainSize, p);
        w2T = alloc(models, p, h);
        w1TopT = alloc(models, h, d);
        w1BotT = alloc(models, h, d);
        int block = Math.min(EVAL_BLOCK, p * p);
        evAct = alloc(models, block, h);
        evLogits = alloc(models, block, p);
        rowLoss = new float[models][trainSize];
        rowCorrect = new boolean[models][trainSize];
        evRowLoss = new float[models][block];
        evRowCorrect = new boolean[models][block];
        sumSquares = new double[models][params.length];
        gradScale = new float[models];
        java.util.Arrays.fill(gradScale, 1f / trainSize);
    }

    private Tensor alloc(int models, int rows, int cols) {
        Tensor t = Tensor.allocate(arena, models, rows, cols);
        bytes += t.modelStride * models * Float.BYTES;
        return t;
    }

    private Tensor[] like(Tensor[] ts) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = alloc(models, ts[i].rows, ts[i].cols);
        return out;
    }

    /** Bytes of off-heap memory this population holds. */
    public long bytes() {
        return bytes;
    }

    /**
     * Draws model {@code slot}'s initial weights from its seed: E, W1, W2 ~ N(0, 1/fan_in) with
     * fan_in = d, 2d, H; biases ~ N(0, biasStd²). Adam moments start at zero.
     */
    public void initialise(int slot, long baseKey, int seed, double biasStd) {
        int d = shape.d(), h = shape.hidden();
        fillNormal(emb, slot, RandomStream.of(baseKey, seed, Purpose.INIT, 0), 1 / Math.sqrt(d));
        fillNormal(w1, slot, RandomStream.of(baseKey, seed, Purpose.INIT, 1), 1 / Math.sqrt(2.0 * d));
        fillNormal(b1, slot, RandomStream.of(baseKey, seed, Purpose.INIT, 2), biasStd);
        fillNormal(w2, slot, RandomStream.of(baseKey, seed, Purpose.INIT, 3), 1 / Math.sqrt(h));
        fillNormal(b2, slot, RandomStream.of(baseKey, seed, Purpose.INIT, 4), biasStd);
        for (Tensor t : m1) t.zero(slot);
        for (Tensor t : m2) t.zero(slot);
    }

    private static void fillNormal(Tensor t, int slot, RandomStream rng, double std) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        t.fromArray(slot, v);
    }

    /**
     * One full-batch AdamW step of every listed model on its training pairs, then the norm
     * projection for models whose clamp is active. {@code step} is 1-based (the Adam step count).
     * Returns each model's training loss before the update in {@code lossOut}.
     */
    public void trainStep(Backend be, int[] active, int[][] trainPairs, Hyper hyper, int step, double[] lossOut) {
        int p = shape.p(), d = shape.d();
        be.matmul(emb, false, w1Top, pa, d, false, active);
        be.matmul(emb, false, w1Bot, pb, d, false, active);
        be.hiddenForward(pa, pb, b1, trainPairs, p, act, slope, active);
        be.matmul(act, false, w2, logits, shape.hidden(), false, active);
        be.crossEntropy(logits, b2, trainPairs, p, hyper.temperature, gradScale, rowLoss, rowCorrect, active);
        for (int m : active) {
            double s = 0;
            for (float l : rowLoss[m]) s += l;
            lossOut[m] = s / trainSize;
        }
        be.columnSums(logits, gB2, active);
        be.matmul(act, true, logits, gW2, trainSize, false, active);
        be.transpose(w2, w2T, active);
        be.matmul(logits, false, w2T, act, p, false, active); // act now holds dL/dact
        be.hiddenBackward(act, slope, trainPairs, p, dPa, dPb, gB1, active);
        be.matmul(emb, true, dPa, gW1Top, p, false, active);
        be.matmul(emb, true, dPb, gW1Bot, p, false, active);
        be.transpose(w1Top, w1TopT, active);
        be.transpose(w1Bot, w1BotT, active);
        be.matmul(dPa, false, w1TopT, gEmb, shape.hidden(), false, active);
        be.matmul(dPb, false, w1BotT, gEmb, shape.hidden(), true, active);
        be.adamW(params, grads, m1, m2, DECAYED, hyper, step, sumSquares, active);
        project(be, active, hyper, step);
    }

    /** The clamp: scale every weight matrix by target/‖W‖ after each step with step ≥ t_int. */
    private void project(Backend be, int[] active, Hyper hyper, int step) {
        float[] factor = null;
        int clamped = 0;
        int[] which = new int[active.length];
        for (int m : active) {
            double target = hyper.clampTarget[m];
            if (Double.isNaN(target) || step < hyper.clampFrom[m]) continue;
            double norm = Math.sqrt(sumSquares[m][0] + sumSquares[m][1] + sumSquares[m][3]);
            if (factor == null) factor = new float[models];
            factor[m] = (float) (target / norm);
            which[clamped++] = m;
        }
        if (clamped > 0) be.scale(new Tensor[]{emb, w1, w2}, factor, java.util.Arrays.copyOf(which, clamped));
    }

    /**
     * Loss and accuracy on the training and test pairs (all p² pairs in blocks), and the norms,
     * of every listed model with its current weights.
     */
    public void evaluate(Backend be, int[] active, boolean[][] isTrain, Hyper hyper, Metrics[] out) {
        int p = shape.p(), d = shape.d(), pairs = p * p;
        be.matmul(emb, false, w1Top, pa, d, false, active);
        be.matmul(emb, false, w1Bot, pb, d, false, active);
        double[] trLoss = new double[models], teLoss = new double[models];
        long[] trOk = new long[models], teOk = new long[models], trN = new long[models];
        float[] noGrad = new float[models];
        int block = evAct.rows;
        int[][] blockPairs = new int[models][];
        for (int start = 0; start < pairs; start += block) {
            int len = Math.min(block, pairs - start);
            int[] chunk = new int[len];
            for (int i = 0; i < len; i++) chunk[i] = start + i;
            for (int m : active) blockPairs[m] = chunk;
            be.hiddenForward(pa, pb, b1, blockPairs, p, evAct, null, active);
            be.matmul(evAct, false, w2, evLogits, shape.hidden(), false, active);
            be.crossEntropy(evLogits, b2, blockPairs, p, hyper.temperature, noGrad, evRowLoss, evRowCorrect, active);
            for (int m : active) {
                boolean[] train = isTrain[m];
                for (int i = 0; i < len; i++) {
                    if (train[start + i]) {
                        trLoss[m] += evRowLoss[m][i];
                        if (evRowCorrect[m][i]) trOk[m]++;
                        trN[m]++;
                    } else {
                        teLoss[m] += evRowLoss[m][i];
                        if (evRowCorrect[m][i]) teOk[m]++;
                    }
                }
            }
        }
        double[] ssE = new double[models], ssW1 = new double[models], ssW2 = new double[models];
        be.sumSquares(emb, ssE, active);
        be.sumSquares(w1, ssW1, active);
        be.sumSquares(w2, ssW2, active);
        for (int m : active) {
            long teN = pairs - trN[m];
            out[m] = new Metrics(trLoss[m] / trN[m], (double) trOk[m] / trN[m], teLoss[m] / teN, (double) teOk[m] / teN,
                    Math.sqrt(ssE[m] + ssW1[m] + ssW2[m]), Math.sqrt(ssE[m]), Math.sqrt(ssW1[m]), Math.sqrt(ssW2[m]));
        }
    }

    /** What one evaluation measured for one model. */
    public record Metrics(double trainLoss, double trainAcc, double testLoss, double testAcc,
                          double norm, double normE, double normW1, double normW2) {
        public boolean finite() {
            return Double.isFinite(trainLoss) && Double.isFinite(testLoss) && Double.isFinite(norm);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
