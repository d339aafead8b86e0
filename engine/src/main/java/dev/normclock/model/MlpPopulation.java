package dev.normclock.model;


import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
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
public final class MlpPopulation implements ModularPopulation {
    /** Pairs evaluated per block; bounds evaluation memory independently of p. */
    public static final int EVAL_BLOCK = 256;
    /**
     * Models whose step runs at once. Activations are by far the largest tensors (n_train × H per
     * model), so they exist for this many models only and are reused for each group of slots;
     * parameters and Adam moments are kept for every model. 16 models give both cores enough
     * independent work per GEMM while 256 models at p = 97 stay well under 1 GiB.
     */
    public static final int WORKSPACE_MODELS = 16;

    public final MlpShape shape;
    public final int models, trainSize;
    private final int workspaceModels;
    private final PopulationMemory memory;

    public final Tensor emb, w1, b1, w2, b2;
    final Tensor[] params, m1, m2;
    private static final boolean[] DECAYED = {true, true, false, true, false};
    private final Tensor w1Top, w1Bot;
    // workspace, for workspaceModels models; reached through window(first slot of the group)
    final Tensor[] grads; // tests read slot m of a population within one workspace group
    private final Tensor pa, pb, dPa, dPb, slope, act, logits, w2T, w1TopT, w1BotT;
    private final Tensor evAct, evLogits;
    private final LossRows rows, evRows; // the training rows and an evaluation block
    private final double[][] sumSquares;
    private final NormClamp clamp;
    private final double[] gradScale; // 1/n: the loss is the mean over each model's training pairs
    private final double[] noGrad;
    private final int[][] trainPairs, testPairs; // each slot's split, once assigned

    public MlpPopulation(MlpShape shape, int models, int trainSize) {
        this(shape, models, trainSize, Precision.FLOAT32);
    }

    /** B models of one shape in the given precision (float64: the precision audit, on the float64 backend). */
    public MlpPopulation(MlpShape shape, int models, int trainSize, Precision precision) {
        this.memory = new PopulationMemory(precision);
        this.shape = shape;
        this.models = models;
        this.trainSize = trainSize;
        this.workspaceModels = Math.min(models, WORKSPACE_MODELS);
        int p = shape.p(), d = shape.d(), h = shape.hidden(), ws = workspaceModels;
        emb = alloc(models, p, d);
        w1 = alloc(models, 2 * d, h);
        b1 = alloc(models, 1, h);
        w2 = alloc(models, h, p);
        b2 = alloc(models, 1, p);
        params = new Tensor[]{emb, w1, b1, w2, b2};
        m1 = like(params, models);
        m2 = like(params, models);
        w1Top = w1.rowRange(0, d);
        w1Bot = w1.rowRange(d, 2 * d);
        grads = like(params, ws);
        pa = alloc(ws, p, h);
        pb = alloc(ws, p, h);
        dPa = alloc(ws, p, h);
        dPb = alloc(ws, p, h);
        slope = alloc(ws, trainSize, h);
        act = alloc(ws, trainSize, h);
        logits = alloc(ws, trainSize, p);
        w2T = alloc(ws, p, h);
        w1TopT = alloc(ws, h, d);
        w1BotT = alloc(ws, h, d);
        int block = Math.min(EVAL_BLOCK, p * p);
        evAct = alloc(ws, block, h);
        evLogits = alloc(ws, block, p);
        // slots of one group are distinct modulo ws, so slot m can use row m % ws
        rows = new LossRows(models, ws, trainSize);
        evRows = new LossRows(models, ws, block);
        sumSquares = new double[models][params.length];
        clamp = new NormClamp(params, new int[]{0, 1, 3}, new int[][]{{0}, {1}, {2}, {3}, {4}}, "mlp");
        gradScale = new double[models];
        java.util.Arrays.fill(gradScale, 1.0 / trainSize);
        noGrad = new double[models];
        trainPairs = new int[models][];
        testPairs = new int[models][];
    }

    /** Gives slot m its training and test pairs (the {@link Population} methods train and evaluate on them). */
    @Override
    public void assign(int slot, dev.normclock.task.ModularAddition.Split split) {
        if (split.trainPairs().length != trainSize)
            throw new IllegalArgumentException("slot " + slot + ": " + split.trainPairs().length + " training pairs, the population holds " + trainSize);
        trainPairs[slot] = split.trainPairs();
        testPairs[slot] = split.testPairs();
    }

    @Override
    public int models() {
        return models;
    }

    @Override
    public void trainStep(Backend be, int[] active, Hyper hyper, int step, double[] lossOut, double[] accOut) {
        trainStep(be, active, trainPairs, hyper, step, lossOut, accOut);
    }

    @Override
    public void measureTrain(Backend be, int[] active, Hyper hyper, double[] lossOut, double[] accOut) {
        measureTrain(be, active, trainPairs, hyper, lossOut, accOut);
    }

    @Override
    public void evaluateTest(Backend be, int[] active, Hyper hyper, Metrics[] out) {
        evaluateTest(be, active, testPairs, hyper, out);
    }

    private Tensor alloc(int count, int rows, int cols) {
        return memory.alloc(count, rows, cols);
    }

    private Tensor[] like(Tensor[] ts, int count) {
        return memory.like(ts, count);
    }

    @Override
    public Precision precision() {
        return memory.precision;
    }

    /** Bytes of off-heap memory this population holds. */
    @Override
    public long bytes() {
        return memory.bytes();
    }

    /**
     * Draws model {@code slot}'s initial weights from its seed: E, W1, W2 ~ N(0, 1/fan_in) with
     * fan_in = d, 2d, H; biases ~ N(0, biasStd²). Adam moments start at zero.
     */
    @Override
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

    /** The tensors that make up model state between steps: parameters, then first and second Adam moments. */
    @Override
    public Tensor[] state() {
        return WorkspaceGroups.state(params, m1, m2);
    }

    /**
     * Splits ascending slots into groups that fit the workspace: each group's slots lie in
     * [first, first + workspaceModels).
     */
    private int groupEnd(int[] active, int from) {
        return WorkspaceGroups.end(active, from, workspaceModels);
    }

    private static int[] slice(int[] active, int from, int to) {
        return WorkspaceGroups.slice(active, from, to);
    }

    /**
     * One full-batch AdamW step of every listed model (ascending slots) on its training pairs, then
     * the norm projection for models whose clamp is active. {@code step} is 1-based (the Adam step
     * count). Returns each model's training loss and accuracy before the update in
     * {@code lossOut} and {@code accOut}: the forward pass of a step is the training-set
     * evaluation of the weights it starts from, so evaluation never repeats it.
     */
    public void trainStep(Backend be, int[] active, int[][] trainPairs, Hyper hyper, int step, double[] lossOut, double[] accOut) {
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            trainGroup(be, slice(active, from, to), active[from], trainPairs, hyper, step, lossOut, accOut);
        }
    }

    private void trainGroup(Backend be, int[] group, int first, int[][] trainPairs, Hyper hyper, int step,
                            double[] lossOut, double[] accOut) {
        int p = shape.p(), d = shape.d(), h = shape.hidden();
        Tensor pa = this.pa.window(first), pb = this.pb.window(first), dPa = this.dPa.window(first), dPb = this.dPb.window(first);
        Tensor act = this.act.window(first), slope = this.slope.window(first), logits = this.logits.window(first);
        Tensor[] grads = new Tensor[this.grads.length];
        for (int i = 0; i < grads.length; i++) grads[i] = this.grads[i].window(first);
        Tensor gW1 = grads[1];
        be.matmul(emb, false, w1Top, pa, d, false, group);
        be.matmul(emb, false, w1Bot, pb, d, false, group);
        hiddenToLoss(be, pa, pb, trainPairs, act, slope, logits, rows, hyper, gradScale, group);
        rows.tally(group, hyper, trainSize, lossOut, accOut);
        be.columnSums(logits, grads[4], group);
        be.matmul(act, true, logits, grads[3], trainSize, false, group);
        Tensor w2T = this.w2T.window(first);
        be.transpose(w2, w2T, group);
        be.outputToHiddenBackward(logits, w2T, p, act, slope, trainPairs, p, dPa, dPb, grads[2], group); // act: scratch for dL/dact
        be.matmul(emb, true, dPa, gW1.rowRange(0, d), p, false, group);
        be.matmul(emb, true, dPb, gW1.rowRange(d, 2 * d), p, false, group);
        Tensor w1TopT = this.w1TopT.window(first), w1BotT = this.w1BotT.window(first);
        be.transpose(w1Top, w1TopT, group);
        be.transpose(w1Bot, w1BotT, group);
        be.matmul(dPa, false, w1TopT, grads[0], h, false, group);
        be.matmul(dPb, false, w1BotT, grads[0], h, true, group);
        be.adamW(params, grads, m1, m2, DECAYED, hyper, step, sumSquares, group);
        project(be, group, hyper, step);
    }

    /**
     * From the first layer's tables to the loss rows: one fused backend call where every listed
     * model uses cross-entropy, else GELU, the logits GEMM and the per-model losses.
     */
    private void hiddenToLoss(Backend be, Tensor pa, Tensor pb, int[][] pairs, Tensor act, Tensor slope, Tensor logits, LossRows rows,
                              Hyper hyper, double[] gradScale, int[] group) {
        int p = shape.p();
        if (LossRows.byLoss(group, hyper)[1].length == 0) {
            be.hiddenToCrossEntropy(pa, pb, b1, pairs, p, act, slope, w2, shape.hidden(), logits, b2, hyper.temperature, gradScale,
                    rows.loss, rows.correct, rows.scale, group);
            return;
        }
        be.hiddenForward(pa, pb, b1, pairs, p, act, slope, group);
        be.matmul(act, false, w2, logits, shape.hidden(), false, group);
        rows.compute(be, logits, b2, pairs, p, hyper, gradScale, group);
    }

    /**
     * Completes model m's evaluation from {@link #evaluateTest} with the training half measured on
     * the same weights by the last {@link #trainStep} or {@link #measureTrain}: its loss and
     * accuracy, the logit scale over all pairs, and the collapsed share of the training pairs.
     */
    @Override
    public Metrics completed(Metrics test, int m, double trainLoss, double trainAcc) {
        int pairs = shape.p() * shape.p(), tests = pairs - trainSize;
        double scale = (test.logitScale() * tests + rows.meanScale[m] * trainSize) / pairs;
        return new Metrics(trainLoss, trainAcc, test.testLoss(), test.testAcc(), test.norm(), test.normE(), test.normW1(),
                test.normW2(), scale, rows.collapse[m]);
    }

    /**
     * The clamp: scale every weight matrix by target/‖W‖ after each step with step ≥ t_int (held),
     * or after step t_int only (one-shot rescale); ‖W‖ is over E, W1 and W2, and a clamp group is one
     * parameter tensor.
     */
    private void project(Backend be, int[] active, Hyper hyper, int step) {
        clamp.project(be, active, hyper, step, sumSquares);
    }

    /**
     * Training loss and accuracy of the listed models' current weights without a step: the
     * forward pass of {@link #trainStep} alone, for an evaluation after the last step.
     */
    public void measureTrain(Backend be, int[] active, int[][] trainPairs, Hyper hyper, double[] lossOut, double[] accOut) {
        int p = shape.p(), d = shape.d();
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor pa = this.pa.window(first), pb = this.pb.window(first), act = this.act.window(first), logits = this.logits.window(first);
            be.matmul(emb, false, w1Top, pa, d, false, group);
            be.matmul(emb, false, w1Bot, pb, d, false, group);
            hiddenToLoss(be, pa, pb, trainPairs, act, null, logits, rows, hyper, noGrad, group);
            rows.tally(group, hyper, trainSize, lossOut, accOut);
        }
    }

    /**
     * The test half of an evaluation of the listed models' current weights: loss and accuracy on
     * each model's test pairs (in blocks) and the norms. The training loss and accuracy are left
     * NaN and the logit scale covers the test pairs only: the caller measures the training pairs on the
     * same weights (by {@link #trainStep}'s forward pass or {@link #measureTrain}) and completes the
     * metrics with {@link #completed}.
     */
    public void evaluateTest(Backend be, int[] active, int[][] testPairs, Hyper hyper, Metrics[] out) {
        int p = shape.p(), d = shape.d();
        double[] teLoss = new double[models], teScale = new double[models];
        long[] teOk = new long[models];
        int block = evAct.rows;
        int[][] blockPairs = new int[models][];
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor pa = this.pa.window(first), pb = this.pb.window(first);
            Tensor evAct = this.evAct.window(first), evLogits = this.evLogits.window(first);
            be.matmul(emb, false, w1Top, pa, d, false, group);
            be.matmul(emb, false, w1Bot, pb, d, false, group);
            int tests = testPairs[group[0]].length;
            for (int start = 0; start < tests; start += block) {
                int len = Math.min(block, tests - start);
                for (int m : group) blockPairs[m] = java.util.Arrays.copyOfRange(testPairs[m], start, start + len);
                Tensor blockAct = evAct.rowRange(0, len), blockLogits = evLogits.rowRange(0, len);
                hiddenToLoss(be, pa, pb, blockPairs, blockAct, null, blockLogits, evRows, hyper, noGrad, group);
                for (int m : group) {
                    float[] loss = evRows.loss[m], norm = evRows.scale[m];
                    boolean[] correct = evRows.correct[m];
                    for (int i = 0; i < len; i++) {
                        teLoss[m] += loss[i];
                        teScale[m] += norm[i];
                        if (correct[i]) teOk[m]++;
                    }
                }
            }
        }
        double[] ssE = new double[models], ssW1 = new double[models], ssW2 = new double[models];
        be.sumSquares(emb, ssE, active);
        be.sumSquares(w1, ssW1, active);
        be.sumSquares(w2, ssW2, active);
        for (int m : active) {
            int teN = testPairs[m].length;
            out[m] = new Metrics(Double.NaN, Double.NaN, teLoss[m] / teN, (double) teOk[m] / teN,
                    Math.sqrt(ssE[m] + ssW1[m] + ssW2[m]), Math.sqrt(ssE[m]), Math.sqrt(ssW1[m]), Math.sqrt(ssW2[m]),
                    teScale[m] / teN, Double.NaN);
        }
    }

    /** A whole evaluation without a training step: {@link #evaluateTest} and {@link #measureTrain}. */
    public void evaluate(Backend be, int[] active, int[][] trainPairs, int[][] testPairs, Hyper hyper, Metrics[] out) {
        double[] loss = new double[models], acc = new double[models];
        evaluateTest(be, active, testPairs, hyper, out);
        measureTrain(be, active, trainPairs, hyper, loss, acc);
        for (int m : active) out[m] = completed(out[m], m, loss[m], acc[m]);
    }

    /** What one evaluation measured for one model. */
    public record Metrics(double trainLoss, double trainAcc, double testLoss, double testAcc,
                          double norm, double normE, double normW1, double normW2, double logitScale, double collapse) {

        public boolean finite() {
            return Double.isFinite(trainLoss) && Double.isFinite(testLoss) && Double.isFinite(norm);
        }
    }

    @Override
    public void close() {
        memory.close();
    }
}
