package dev.normclock.model;

import java.util.Arrays;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.LossTotals;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.rng.Purpose;
import dev.normclock.rng.RandomStream;
import dev.normclock.task.SparseParity;

/**
 * B sparse-parity MLPs (PROTOCOL §1–§3, Paper A §8) trained in lock-step, each slot with its own
 * seed, data and hyperparameters: x ∈ {±1}ⁿ → pre = x·W1 + b1 (n × H) → exact GELU →
 * z = act·W2 + b2 (H × 2) → two logits, full-batch mean cross-entropy of z/τ (or Paper B's squared
 * error Σ_c (z_c/τ − onehot_c)² where {@link Hyper#squaredError} asks for it), hand-written AdamW
 * with decoupled decay of W1 and W2 only (before or after the Adam update, {@link Hyper#decayAfter}),
 * then the norm clamp. It exists so that the parity experiment of Paper A (free run groks at
 * ‖W‖ ≈ 20.6; holding ‖W‖ at 1.3·Wc from t_int = 1000 delays it) runs on the same trainer,
 * checkpoints and backends as the modular-addition MLP.
 *
 * <p>Unlike {@link MlpPopulation} there is no rewrite: the inputs are dense ±1 vectors, so the first
 * layer is one batched GEMM X·W1 per step and its gradient Xᵀ·dPre. The step, written against the
 * {@link Backend} primitives: {@code matmul} (X·W1, act·W2, actᵀ·dz, dz·W2ᵀ, Xᵀ·dPre),
 * {@code biasGelu} (act and the slope GELU'(pre + b1) kept for the backward pass),
 * {@code crossEntropy}/{@code squaredError} with explicit labels, {@code columnSums} (the bias
 * gradients), {@code geluBackward} (dPre = dAct ⊙ slope), {@code adamW} and {@code scale}.
 *
 * <p>The weight norm is ‖W‖ = √(‖W1‖² + ‖W2‖²); biases are excluded from it, from decay and from
 * the clamp. The clamp scales W1 and W2 by target/‖W‖ after every Adam step ≥ t_int (t_int = 1000
 * for parity in the papers), or after step t_int only ({@link Hyper#clampOnce}); with
 * {@link Hyper#clampGroup} ≥ 0 it holds one matrix's own norm instead, the group being the
 * tensor index: 0 = W1, 2 = W2. Initialisation draws exactly as the tests' double reference
 * (W1 ~ N(0, 1/n), W2 ~ N(0, 1/H), biases ~ N(0, biasStd²), one {@link Purpose#INIT} sub-stream
 * per tensor in the order W1, b1, W2, b2), so the float model and the reference start from the same
 * weights.
 *
 * <p>Evaluation: the test loss and accuracy on each slot's fresh test points, the norms
 * (Metrics.norm = ‖W‖, normW1, normW2; normE is NaN, there is no embedding), Paper B's logit scale
 * (mean ‖z/τ‖ over the training and test points) and the collapsed share (training points whose
 * loss is exactly 0 under cross-entropy; NaN under squared error).
 */
public final class ParityPopulation implements Population {
    /** Test points evaluated per block; bounds evaluation memory independently of the test size. */
    public static final int EVAL_BLOCK = 512;
    /** Tensor indices of the weight matrices, for {@link Hyper#clampGroup}. */
    public static final int W1 = 0, W2 = 2;

    public final int n, hidden, models, trainSize, testSize;
    private final PopulationMemory memory;

    public final Tensor w1, b1, w2, b2;
    final Tensor[] params, m1, m2;
    private static final boolean[] DECAYED = {true, false, true, false};
    // each slot's data, for every slot
    private final Tensor trainX, testX;
    private final int[][] trainLabels, testLabels;
    private final Workspaces<Workspace> workspaces;
    private boolean[] squaredError; // which slots used the squared error at the last measurement
    private final double[][] sumSquares;
    private final NormClamp clamp;
    private final double[] gradScale, noGrad;

    /**
     * @param n         input bits
     * @param hidden    hidden width H
     * @param models    slots
     * @param trainSize training points per slot (every slot the same)
     * @param testSize  test points per slot (every slot the same)
     */
    public ParityPopulation(int n, int hidden, int models, int trainSize, int testSize) {
        this(n, hidden, models, trainSize, testSize, Precision.FLOAT32);
    }

    public ParityPopulation(int n, int hidden, int models, int trainSize, int testSize, Precision precision) {
        this.memory = new PopulationMemory(precision);
        if (n < 1 || hidden < 1 || models < 1 || trainSize < 1 || testSize < 1)
            throw new IllegalArgumentException("n, H, models, training and test points must be at least 1, got "
                    + n + ", " + hidden + ", " + models + ", " + trainSize + ", " + testSize);
        this.n = n;
        this.hidden = hidden;
        this.models = models;
        this.trainSize = trainSize;
        this.testSize = testSize;
        int h = hidden, c = SparseParity.CLASSES;
        w1 = alloc(models, n, h);
        b1 = alloc(models, 1, h);
        w2 = alloc(models, h, c);
        b2 = alloc(models, 1, c);
        params = new Tensor[]{w1, b1, w2, b2};
        m1 = like(params, models);
        m2 = like(params, models);
        trainX = alloc(models, trainSize, n);
        testX = alloc(models, testSize, n);
        trainLabels = new int[models][];
        testLabels = new int[models][];
        workspaces = new Workspaces<>(models, params.length, Workspace::new);
        sumSquares = new double[models][params.length];
        clamp = new NormClamp(params, new int[]{W1, W2}, new int[][]{{W1}, null, {W2}}, "parity");
        gradScale = new double[models];
        Arrays.fill(gradScale, 1.0 / trainSize);
        noGrad = new double[models];
    }

    /**
     * The off-heap bytes a population of this shape takes once stepped by {@code be} — its state,
     * every slot's data and one workspace of {@link Backend#workspaceModels} models — counted in 64
     * bits before anything is allocated, as the constructor and {@link Workspace} allocate.
     */
    public static long plannedBytes(int n, int hidden, int models, int trainSize, int testSize, Precision precision, dev.normclock.backend.WorkspaceSizing be) {
        long h = hidden, c = SparseParity.CLASSES;
        long[][] params = {{n, h}, {1, h}, {h, c}, {1, c}};
        int ws = be.workspaceModels(models);
        int block = be.evaluationRows(EVAL_BLOCK, testSize, 4L * ws * (Tensor.padded(hidden) + Tensor.padded((int) c)));
        return new PopulationMemory.Plan(precision).like(params, models, 3).add(models, trainSize, n).add(models, testSize, n)
                .like(params, ws, 1).add(ws, trainSize, h).add(ws, trainSize, h).add(ws, trainSize, c).add(ws, c, h) // act, slope, logits, w2T
                .add(ws, block, h).add(ws, block, c)                                                                // evAct, evLogits
                .bytes();
    }

    /**
     * Floating-point operations one training step of one model executes with {@code trainSize}
     * points (multiply–add counted as two): X·W1 and act·W2 forward, actᵀ·dz and dz·W2ᵀ, and Xᵀ·dPre
     * (no gradient of the inputs).
     */
    public static double flopsPerStep(int n, int hidden, int trainSize) {
        double first = 2.0 * trainSize * n * hidden;                       // X·W1
        double out = 2.0 * trainSize * hidden * SparseParity.CLASSES;      // act·W2
        return 2 * first + 3 * out;
    }

    private Tensor alloc(int count, int rows, int cols) {
        return memory.alloc(count, rows, cols);
    }

    private Tensor scratch(int count, int rows, int cols) {
        return memory.scratch(count, rows, cols);
    }

    private Tensor[] like(Tensor[] ts, int count) {
        return memory.like(ts, count);
    }

    @Override
    public int models() {
        return models;
    }

    @Override
    public Precision precision() {
        return memory.precision;
    }

    @Override
    public long bytes() {
        return memory.bytes();
    }

    /** Gives slot m its training and test points and labels (the {@link Population} methods train and evaluate on them). */
    public void assign(int slot, SparseParity.Data data) {
        if (data.n() != n || data.trainSize() != trainSize || data.testSize() != testSize)
            throw new IllegalArgumentException("slot " + slot + ": data of n = " + data.n() + " with " + data.trainSize() + " training and "
                    + data.testSize() + " test points, the population holds n = " + n + ", " + trainSize + " and " + testSize);
        trainX.fromArray(slot, data.trainInputs());
        testX.fromArray(slot, data.testInputs());
        trainLabels[slot] = data.trainLabels();
        testLabels[slot] = data.testLabels();
    }

    /**
     * Draws model {@code slot}'s initial weights from its seed exactly as the double reference does:
     * W1 ~ N(0, 1/n), b1 ~ N(0, biasStd²), W2 ~ N(0, 1/H), b2 ~ N(0, biasStd²), from
     * (baseKey, seed, {@link Purpose#INIT}) sub-streams 0, 1, 2, 3. Adam moments start at zero.
     */
    public void initialise(int slot, long baseKey, int seed, double biasStd) {
        double[] std = {1 / Math.sqrt(n), biasStd, 1 / Math.sqrt(hidden), biasStd};
        for (int j = 0; j < params.length; j++) {
            RandomStream rng = RandomStream.of(baseKey, seed, Purpose.INIT, j);
            float[] v = new float[params[j].size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std[j]);
            params[j].fromArray(slot, v);
        }
        for (Tensor t : m1) t.zero(slot);
        for (Tensor t : m2) t.zero(slot);
    }

    /** Parameters (W1, b1, W2, b2), then first and second Adam moments in the same order. */
    @Override
    public Tensor[] state() {
        return WorkspaceGroups.state(params, m1, m2);
    }

    /** The workspace of one group of models (a backend's {@link Backend#workspaceModels} of them); reached through window(first slot of the group). */
    private final class Workspace {
        final Tensor[] grads;
        final Tensor act, slope, logits, w2T, evAct, evLogits;

        Workspace(int ws, Backend be) {
            int h = hidden, c = SparseParity.CLASSES;
            grads = like(params, ws);
            act = scratch(ws, trainSize, h);
            slope = scratch(ws, trainSize, h);
            logits = scratch(ws, trainSize, c);
            w2T = scratch(ws, c, h);
            int block = be.evaluationRows(EVAL_BLOCK, testSize, 4L * ws * (Tensor.padded(h) + Tensor.padded(c)));
            evAct = scratch(ws, block, h);
            evLogits = scratch(ws, block, c);
        }
    }

    /** The gradients of the last step, for tests (slot m of the first workspace group). */
    Tensor[] grads() {
        return workspaces.current().grads;
    }

    private int groupEnd(int[] active, int from) {
        return workspaces.groupEnd(active, from);
    }

    @Override
    public void readTraining(int[] active, double[] lossOut, double[] accOut) {
        workspaces.readTraining(active, lossOut, accOut);
    }

    @Override
    public int nonFiniteStep(int m) {
        return workspaces.nonFiniteStep(m);
    }

    private void loss(Backend be, Tensor logits, int[][] labels, Hyper hyper, double[] gradScale, LossTotals totals, int step, int[] group) {
        LossKinds.loss(be, logits, b2, labels, hyper, gradScale, totals, step, group);
    }

    private static int[] slice(int[] active, int from, int to) {
        return WorkspaceGroups.slice(active, from, to);
    }

    private void checkAssigned(int[] active) {
        for (int m : active)
            if (trainLabels[m] == null) throw new IllegalStateException("slot " + m + " has no data: call assign first");
    }

    /**
     * One full-batch AdamW step of every listed model on its training points, then the clamp where
     * it applies. {@code step} is 1-based. The training loss and accuracy on the weights before the
     * update are kept for {@link #readTraining}.
     */
    @Override
    public void trainStep(Backend be, int[] active, Hyper hyper, int step) {
        checkAssigned(active);
        Workspace k = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            trainGroup(be, k, slice(active, from, to), active[from], hyper, step);
        }
    }

    private void trainGroup(Backend be, Workspace k, int[] group, int first, Hyper hyper, int step) {
        int h = hidden, c = SparseParity.CLASSES;
        Tensor act = k.act.window(first), slope = k.slope.window(first), logits = k.logits.window(first);
        Tensor[] grads = new Tensor[k.grads.length];
        for (int i = 0; i < grads.length; i++) grads[i] = k.grads[i].window(first);
        be.matmul(trainX, false, w1, act, n, false, group);                // act holds pre = X·W1
        be.biasGelu(act, b1, act, slope, group);                            // act = GELU(pre + b1), slope = GELU'
        be.matmul(act, false, w2, logits, h, false, group);
        loss(be, logits, trainLabels, hyper, gradScale, workspaces.train(), step, group); // logits now hold dL/dz
        be.columnSums(logits, grads[3], group);                             // db2
        be.matmul(act, true, logits, grads[2], trainSize, false, group);    // dW2 = actᵀ·dz
        Tensor w2T = k.w2T.window(first);
        be.transpose(w2, w2T, group);
        be.matmul(logits, false, w2T, act, c, false, group);                // act now holds dL/dact = dz·W2ᵀ
        be.geluBackward(act, slope, act, group);                            // and then dL/dpre
        be.columnSums(act, grads[1], group);                                // db1
        be.matmul(trainX, true, act, grads[0], trainSize, false, group);    // dW1 = Xᵀ·dpre
        clamp.update(be, grads, m1, m2, DECAYED, hyper, step, sumSquares, group); // the clamp: ‖W‖ over W1 and W2, or one of them alone
    }

    /** Training loss and accuracy of the listed models' current weights, without a step. */
    @Override
    public void measureTrain(Backend be, int[] active, Hyper hyper) {
        checkAssigned(active);
        Workspace k = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor act = k.act.window(first), logits = k.logits.window(first);
            be.matmul(trainX, false, w1, act, n, false, group);
            be.biasGelu(act, b1, act, null, group);
            be.matmul(act, false, w2, logits, hidden, false, group);
            loss(be, logits, trainLabels, hyper, noGrad, workspaces.train(), 0, group);
        }
    }

    /**
     * The test half of an evaluation: loss and accuracy on each model's test points (in blocks of
     * {@link #EVAL_BLOCK}), the norms, and the logit scale over the test points; the training half
     * is added by {@link #completed}.
     */
    @Override
    public void evaluateTest(Backend be, int[] active, Hyper hyper) {
        checkAssigned(active);
        Workspace k = workspaces.of(be);
        LossTotals totals = workspaces.test();
        totals.clear(active);
        int block = k.evAct.rows;
        int[][] blockLabels = new int[models][];
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor evAct = k.evAct.window(first), evLogits = k.evLogits.window(first);
            for (int start = 0; start < testSize; start += block) {
                int len = Math.min(block, testSize - start);
                for (int m : group) blockLabels[m] = Arrays.copyOfRange(testLabels[m], start, start + len);
                Tensor x = testX.rowRange(start, start + len), blockAct = evAct.rowRange(0, len), blockLogits = evLogits.rowRange(0, len);
                be.matmul(x, false, w1, blockAct, n, false, group);
                be.biasGelu(blockAct, b1, blockAct, null, group);
                be.matmul(blockAct, false, w2, blockLogits, hidden, false, group);
                loss(be, blockLogits, blockLabels, hyper, noGrad, totals, 0, group);
            }
        }
        be.sumSquares(params, workspaces.readout(), active);
    }

    /** The norms: ‖W‖ over W1 and W2, and each of them (no embedding: normE NaN). */
    @Override
    public Metrics testMetrics(int m) {
        LossTotals totals = workspaces.test();
        double ssW1 = workspaces.readout().squares[m][W1], ssW2 = workspaces.readout().squares[m][W2];
        return new Metrics(Double.NaN, Double.NaN, totals.meanLoss(m), totals.accuracy(m), Math.sqrt(ssW1 + ssW2), Double.NaN, Math.sqrt(ssW1),
                Math.sqrt(ssW2), totals.meanScale(m), Double.NaN);
    }

    /**
     * Model m's full evaluation: the test half with the training loss and accuracy measured on the
     * same weights, the logit scale over training and test points, and the collapsed training share.
     */
    @Override
    public Metrics completed(Metrics test, int m, double trainLoss, double trainAcc) {
        LossTotals rows = workspaces.train();
        double scale = (test.logitScale() * testSize + rows.meanScale(m) * trainSize) / (trainSize + testSize);
        return new Metrics(trainLoss, trainAcc, test.testLoss(), test.testAcc(), test.norm(), test.normE(), test.normW1(),
                test.normW2(), scale, LossKinds.collapse(rows, m, squaredError));
    }

    /** A whole evaluation without a training step: {@link #evaluateTest} and {@link #measureTrain}. */
    public void evaluate(Backend be, int[] active, Hyper hyper, Metrics[] out) {
        double[] loss = new double[models], acc = new double[models];
        evaluateTest(be, active, hyper);
        measureTrain(be, active, hyper);
        readTraining(active, loss, acc);
        for (int m : active) out[m] = completed(testMetrics(m), m, loss[m], acc[m]);
    }

    @Override
    public void close() {
        workspaces.close();
        memory.close();
    }
}
