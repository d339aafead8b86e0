package dev.normclock.model;


import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.LossTotals;
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
    /** Pairs evaluated per block on a CPU; bounds evaluation memory independently of p (a GPU takes them all, see {@link Backend#evaluationRows}). */
    public static final int EVAL_BLOCK = 256;

    public final MlpShape shape;
    public final int models, trainSize;
    private final PopulationMemory memory;

    public final Tensor emb, w1, b1, w2, b2;
    final Tensor[] params, m1, m2;
    private static final boolean[] DECAYED = {true, true, false, true, false};
    private final Tensor w1Top, w1Bot;
    private final Workspaces<Workspace> workspaces;
    private boolean[] squaredError; // which slots used the squared error at the last measurement
    private final double[][] sumSquares;
    private final NormClamp clamp;
    private final double[] gradScale; // 1/n: the loss is the mean over each model's training pairs
    private final double[] noGrad;
    private final int[][] trainPairs, testPairs, trainLabels; // each slot's split, once assigned, and its training labels

    public MlpPopulation(MlpShape shape, int models, int trainSize) {
        this(shape, models, trainSize, Precision.FLOAT32);
    }

    /** B models of one shape in the given precision (float64: the precision audit, on the float64 backend). */
    public MlpPopulation(MlpShape shape, int models, int trainSize, Precision precision) {
        this.memory = new PopulationMemory(precision);
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
        m1 = like(params, models);
        m2 = like(params, models);
        w1Top = w1.rowRange(0, d);
        w1Bot = w1.rowRange(d, 2 * d);
        workspaces = new Workspaces<>(models, params.length, Workspace::new);
        sumSquares = new double[models][params.length];
        clamp = new NormClamp(params, new int[]{0, 1, 3}, new int[][]{{0}, {1}, {2}, {3}, {4}}, ModelKind.MLP.label);
        gradScale = new double[models];
        java.util.Arrays.fill(gradScale, 1.0 / trainSize);
        noGrad = new double[models];
        trainPairs = new int[models][];
        trainLabels = new int[models][];
        testPairs = new int[models][];
    }

    /**
     * The off-heap bytes a population of this shape takes once stepped by {@code be} — its state
     * (parameters and both Adam moments) and one workspace of {@link Backend#workspaceModels} models
     * — counted in 64 bits before anything is allocated, as the constructor and {@link Workspace} allocate.
     */
    public static long plannedBytes(MlpShape shape, int models, int trainSize, Precision precision, dev.normclock.backend.WorkspaceSizing be) {
        long p = shape.p(), d = shape.d(), h = shape.hidden(), n = trainSize;
        long[][] params = {{p, d}, {2 * d, h}, {1, h}, {h, p}, {1, p}};
        int ws = be.workspaceModels(models);
        long tests = Math.max(1, p * p - n);
        int block = be.evaluationRows(EVAL_BLOCK, (int) Math.min(tests, Integer.MAX_VALUE), 4L * ws * (Tensor.padded((int) h) + Tensor.padded((int) p)));
        return new PopulationMemory.Plan(precision).like(params, models, 3).like(params, ws, 1)
                .add(ws, p, h).add(ws, p, h).add(ws, p, h).add(ws, p, h)   // pa, pb, dPa, dPb
                .add(ws, n, h).add(ws, n, h).add(ws, n, p)                 // slope, act, logits
                .add(ws, p, h).add(ws, h, d).add(ws, h, d)                 // w2T, w1TopT, w1BotT
                .add(ws, block, h).add(ws, block, p)                       // evAct, evLogits
                .bytes();
    }

    /** Gives slot m its training and test pairs (the {@link Population} methods train and evaluate on them). */
    @Override
    public void assign(int slot, dev.normclock.task.ModularAddition.Split split) {
        if (split.trainPairs().length != trainSize)
            throw new IllegalArgumentException("slot " + slot + ": " + split.trainPairs().length + " training pairs, the population holds " + trainSize);
        trainPairs[slot] = split.trainPairs();
        trainLabels[slot] = Backend.sumLabels(trainPairs, shape.p(), new int[]{slot})[slot];
        testPairs[slot] = split.testPairs();
    }

    @Override
    public int models() {
        return models;
    }

    @Override
    public void trainStep(Backend be, int[] active, Hyper hyper, int step) {
        trainStep(be, active, trainPairs, hyper, step);
    }

    @Override
    public void measureTrain(Backend be, int[] active, Hyper hyper) {
        measureTrain(be, active, trainPairs, hyper);
    }

    @Override
    public void readTraining(int[] active, double[] lossOut, double[] accOut) {
        workspaces.readTraining(active, lossOut, accOut);
    }

    @Override
    public int nonFiniteStep(int m) {
        return workspaces.nonFiniteStep(m);
    }

    /** The workspace of one group of models (a backend's {@link Backend#workspaceModels} of them); reached through window(first slot of the group). */
    private final class Workspace {
        final Tensor[] grads;
        final Tensor pa, pb, dPa, dPb, slope, act, logits, w2T, w1TopT, w1BotT, evAct, evLogits;

        Workspace(int ws, Backend be) {
            int p = shape.p(), d = shape.d(), h = shape.hidden();
            grads = like(params, ws);
            pa = scratch(ws, p, h);
            pb = scratch(ws, p, h);
            dPa = scratch(ws, p, h);
            dPb = scratch(ws, p, h);
            slope = scratch(ws, trainSize, h);
            act = scratch(ws, trainSize, h);
            logits = scratch(ws, trainSize, p);
            w2T = scratch(ws, p, h);
            w1TopT = scratch(ws, h, d);
            w1BotT = scratch(ws, h, d);
            int tests = p * p - trainSize;
            int block = be.evaluationRows(EVAL_BLOCK, Math.max(tests, 1), 4L * ws * (Tensor.padded(h) + Tensor.padded(p)));
            evAct = scratch(ws, block, h);
            evLogits = scratch(ws, block, p);
        }
    }

    /** The gradients of the last step, for tests (slot m of the first workspace group). */
    Tensor[] grads() {
        return workspaces.current().grads;
    }

    @Override
    public void evaluateTest(Backend be, int[] active, Hyper hyper) {
        evaluateTest(be, active, testPairs, hyper);
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

    private static int[] slice(int[] active, int from, int to) {
        return WorkspaceGroups.slice(active, from, to);
    }

    /**
     * One full-batch AdamW step of every listed model (ascending slots) on its training pairs, then
     * the norm projection for models whose clamp is active. {@code step} is 1-based (the Adam step
     * count). The step's forward pass is the training-set measurement of the weights it starts
     * from: its loss and accuracy are kept for {@link #readTraining}, so evaluation never repeats it.
     */
    public void trainStep(Backend be, int[] active, int[][] trainPairs, Hyper hyper, int step) {
        Workspace ws = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = workspaces.groupEnd(active, from);
            trainGroup(be, ws, slice(active, from, to), active[from], trainPairs, hyper, step);
        }
    }

    /** As {@link #trainStep(Backend, int[], int[][], Hyper, int)}, returning the step's training loss and accuracy (a read from the device). */
    public void trainStep(Backend be, int[] active, int[][] trainPairs, Hyper hyper, int step, double[] lossOut, double[] accOut) {
        trainStep(be, active, trainPairs, hyper, step);
        readTraining(active, lossOut, accOut);
    }

    private void trainGroup(Backend be, Workspace ws, int[] group, int first, int[][] trainPairs, Hyper hyper, int step) {
        int p = shape.p(), d = shape.d(), h = shape.hidden();
        Tensor pa = ws.pa.window(first), pb = ws.pb.window(first), dPa = ws.dPa.window(first), dPb = ws.dPb.window(first);
        Tensor act = ws.act.window(first), slope = ws.slope.window(first), logits = ws.logits.window(first);
        Tensor[] grads = new Tensor[ws.grads.length];
        for (int i = 0; i < grads.length; i++) grads[i] = ws.grads[i].window(first);
        Tensor gW1 = grads[1];
        be.matmul(emb, false, w1Top, pa, d, false, group);
        be.matmul(emb, false, w1Bot, pb, d, false, group);
        hiddenToLoss(be, pa, pb, trainPairs, act, slope, logits, workspaces.train(), hyper, gradScale, step, group);
        be.columnSums(logits, grads[4], group);
        be.matmul(act, true, logits, grads[3], trainSize, false, group);
        Tensor w2T = ws.w2T.window(first);
        be.transpose(w2, w2T, group);
        be.outputToHiddenBackward(logits, w2T, p, act, slope, trainPairs, p, dPa, dPb, grads[2], group); // act: scratch for dL/dact
        be.matmul(emb, true, dPa, gW1.rowRange(0, d), p, false, group);
        be.matmul(emb, true, dPb, gW1.rowRange(d, 2 * d), p, false, group);
        Tensor w1TopT = ws.w1TopT.window(first), w1BotT = ws.w1BotT.window(first);
        be.transpose(w1Top, w1TopT, group);
        be.transpose(w1Bot, w1BotT, group);
        be.matmul(dPa, false, w1TopT, grads[0], h, false, group);
        be.matmul(dPb, false, w1BotT, grads[0], h, true, group);
        clamp.update(be, grads, m1, m2, DECAYED, hyper, step, sumSquares, group);
    }

    /**
     * From the first layer's tables to the loss rows, added to {@code totals}: one fused backend call
     * where every listed model uses cross-entropy, else GELU, the logits GEMM and the per-model losses.
     */
    private void hiddenToLoss(Backend be, Tensor pa, Tensor pb, int[][] pairs, Tensor act, Tensor slope, Tensor logits, LossTotals totals,
                              Hyper hyper, double[] gradScale, int step, int[] group) {
        int p = shape.p();
        int[][] split = LossKinds.split(group, hyper);
        if (split[1].length == 0) {
            be.hiddenToCrossEntropy(pa, pb, b1, pairs, p, act, slope, w2, shape.hidden(), logits, b2, hyper.temperature, gradScale,
                    totals, step, group);
            return;
        }
        be.hiddenForward(pa, pb, b1, pairs, p, act, slope, group);
        be.matmul(act, false, w2, logits, shape.hidden(), false, group);
        LossKinds.loss(be, logits, b2, LossKinds.sumLabels(pairs, p, group, trainPairs, trainLabels), hyper, gradScale, totals, step, group);
    }

    /**
     * Completes model m's evaluation from {@link #evaluateTest} with the training half measured on
     * the same weights by the last {@link #trainStep} or {@link #measureTrain} (read by
     * {@link #readTraining}): its loss and accuracy, the logit scale over all pairs, and the
     * collapsed share of the training pairs.
     */
    @Override
    public Metrics completed(Metrics test, int m, double trainLoss, double trainAcc) {
        LossTotals rows = workspaces.train();
        int pairs = shape.p() * shape.p(), tests = pairs - trainSize;
        double scale = (test.logitScale() * tests + rows.meanScale(m) * trainSize) / pairs;
        return new Metrics(trainLoss, trainAcc, test.testLoss(), test.testAcc(), test.norm(), test.normE(), test.normW1(),
                test.normW2(), scale, LossKinds.collapse(rows, m, squaredError));
    }

    /**
     * Training loss and accuracy of the listed models' current weights without a step: the
     * forward pass of {@link #trainStep} alone, for an evaluation after the last step.
     */
    public void measureTrain(Backend be, int[] active, int[][] trainPairs, Hyper hyper) {
        int d = shape.d();
        Workspace ws = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = workspaces.groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor pa = ws.pa.window(first), pb = ws.pb.window(first), act = ws.act.window(first), logits = ws.logits.window(first);
            be.matmul(emb, false, w1Top, pa, d, false, group);
            be.matmul(emb, false, w1Bot, pb, d, false, group);
            hiddenToLoss(be, pa, pb, trainPairs, act, null, logits, workspaces.train(), hyper, noGrad, 0, group);
        }
    }

    /**
     * The test half of an evaluation of the listed models' current weights, queued: loss and
     * accuracy on each model's test pairs (in blocks) and the norms, read by {@link #readTraining}
     * with the training half and formed by {@link #testMetrics}. The caller measures the training
     * pairs on the same weights (by {@link #trainStep}'s forward pass or {@link #measureTrain}) and
     * completes the metrics with {@link #completed}.
     */
    public void evaluateTest(Backend be, int[] active, int[][] testPairs, Hyper hyper) {
        int d = shape.d();
        Workspace ws = workspaces.of(be);
        LossTotals totals = workspaces.test();
        totals.clear(active);
        int block = ws.evAct.rows;
        int[][] blockPairs = new int[models][];
        for (int from = 0, to; from < active.length; from = to) {
            to = workspaces.groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            Tensor pa = ws.pa.window(first), pb = ws.pb.window(first);
            Tensor evAct = ws.evAct.window(first), evLogits = ws.evLogits.window(first);
            be.matmul(emb, false, w1Top, pa, d, false, group);
            be.matmul(emb, false, w1Bot, pb, d, false, group);
            int tests = testPairs[group[0]].length;
            for (int start = 0; start < tests; start += block) {
                int len = Math.min(block, tests - start);
                for (int m : group) blockPairs[m] = start == 0 && len == tests ? testPairs[m] : java.util.Arrays.copyOfRange(testPairs[m], start, start + len);
                hiddenToLoss(be, pa, pb, blockPairs, evAct.rowRange(0, len), null, evLogits.rowRange(0, len), totals, hyper, noGrad, 0, group);
            }
        }
        be.sumSquares(params, workspaces.readout(), active);
    }

    /** {@link #evaluateTest(Backend, int[], int[][], Hyper)}, read at once into {@code out}. */
    public void evaluateTest(Backend be, int[] active, int[][] testPairs, Hyper hyper, Metrics[] out) {
        evaluateTest(be, active, testPairs, hyper);
        readTraining(active, new double[models], new double[models]);
        for (int m : active) out[m] = testMetrics(m);
    }

    /** The norms: ‖W‖ over E, W1 and W2, and each of them. */
    @Override
    public Metrics testMetrics(int m) {
        LossTotals totals = workspaces.test();
        double[] ss = workspaces.readout().squares[m];
        double ssE = ss[0], ssW1 = ss[1], ssW2 = ss[3];
        return new Metrics(Double.NaN, Double.NaN, totals.meanLoss(m), totals.accuracy(m), Math.sqrt(ssE + ssW1 + ssW2), Math.sqrt(ssE),
                Math.sqrt(ssW1), Math.sqrt(ssW2), totals.meanScale(m), Double.NaN);
    }

    /** A whole evaluation without a training step: {@link #evaluateTest} and {@link #measureTrain}. */
    public void evaluate(Backend be, int[] active, int[][] trainPairs, int[][] testPairs, Hyper hyper, Metrics[] out) {
        double[] loss = new double[models], acc = new double[models];
        evaluateTest(be, active, testPairs, hyper);
        measureTrain(be, active, trainPairs, hyper);
        readTraining(active, loss, acc);
        for (int m : active) out[m] = completed(testMetrics(m), m, loss[m], acc[m]);
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
        workspaces.close();
        memory.close();
    }
}
