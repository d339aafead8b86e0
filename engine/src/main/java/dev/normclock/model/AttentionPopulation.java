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
import dev.normclock.task.ModularAddition;

/**
 * B copies of the papers' one-layer attention model (PROTOCOL §2, "un-normalised transformer")
 * trained in lock-step on modular addition: tokens [a, b, =] with "=" the token p (vocabulary
 * p + 1), learned positions, one layer of {@code heads} heads in which only the last position
 * queries, residual, GELU MLP, residual, unembedding to p + 1 classes, no biases; optionally the
 * LayerNorm control (non-affine, eps 1e-5, before attention, before the MLP and before U).
 *
 * <p>Tensors, in {@link #params} order (the order of the tests' {@code ReferenceAttention.Params}):
 * 0 E (p+1)×d, 1 pos 3×d, 2 Wq, 3 Wk, 4 Wv, 5 Wo d×d, 6 Win d×mlp, 7 Wout mlp×d, 8 U d×(p+1). Every
 * tensor is a weight: decayed, counted in ‖W‖ and scaled by the clamp.
 *
 * <p>Clamp groups ({@link Hyper#clampGroup}, which for this model indexes a group, not a tensor):
 * −1 the whole ‖W‖ over every tensor; 0 embed (E, pos); 1 attn (Wq, Wk, Wv, Wo); 2 mlp (Win, Wout);
 * 3 unembed (U). With a group, only that group's tensors are scaled, to make the group's norm the
 * target.
 *
 * <p>Exact rewrites (DESIGN.md): x₂ = E[p] + pos[2] is the same for every example, so the query is
 * one vector per model and step; the keys and values of positions 0 and 1 depend only on the
 * (token, position), so the step forms the tables X (2p+1 rows: E[a] + pos[0], E[b] + pos[1], and
 * the "=" row, or their LayerNorm), K = X·Wk, V = X·Wv, q = X[2p]·Wq, and the score table
 * S[r, h] = q_h·K[r]_h/√dh once; each example then gathers three scores per head and three value
 * rows. What remains per example is the softmax over three, the weighted sum, ·Wo, the MLP and
 * the unembedding (GEMMs over the training rows). The backward runs through the same tables:
 * dS and dV are summed per table row, then dK = dS·q, dq = Σ dS·K, and the weight gradients are
 * products with the (2p+1)-row table X instead of the n·3 example rows.
 */
public final class AttentionPopulation implements ModularPopulation {
    public static final double LN_EPS = 1e-5;
    /** The clamp groups' tensors, indexed by {@link Hyper#clampGroup}: embed, attn, mlp, unembed. */
    public static final int[][] GROUPS = {{0, 1}, {2, 3, 4, 5}, {6, 7}, {8}};
    public static final String[] GROUP_NAMES = {"embed", "attn", "mlp", "unembed"};
    private static final boolean[] DECAYED = {true, true, true, true, true, true, true, true, true};

    public final int p, d, heads, mlp, models, trainSize;
    public final boolean layerNorm;
    private final int tableRows, classes;
    private final PopulationMemory memory;

    public final Tensor emb, pos, wq, wk, wv, wo, win, wout, u;
    final Tensor[] params, m1, m2;
    private final Tensor zeroBias;
    private final Workspaces<Workspace> workspaces;
    private boolean[] squaredError; // which slots used the squared error at the last measurement
    private final double[][] sumSquares;
    private final NormClamp clamp;
    private final double[] gradScale, noGrad;
    private final int[][] trainPairs, testPairs, trainLabels;

    public AttentionPopulation(int p, int d, int heads, int mlp, boolean layerNorm, int models, int trainSize) {
        this(p, d, heads, mlp, layerNorm, models, trainSize, Precision.FLOAT32);
    }

    public AttentionPopulation(int p, int d, int heads, int mlp, boolean layerNorm, int models, int trainSize, Precision precision) {
        this.memory = new PopulationMemory(precision);
        if (p < 2) throw new IllegalArgumentException("p must be at least 2, got " + p);
        if (heads < 1 || d < 1 || d % heads != 0) throw new IllegalArgumentException("d=" + d + " is not divisible into " + heads + " heads");
        if (mlp < 1) throw new IllegalArgumentException("the MLP width must be at least 1, got " + mlp);
        this.p = p;
        this.d = d;
        this.heads = heads;
        this.mlp = mlp;
        this.layerNorm = layerNorm;
        this.models = models;
        this.trainSize = trainSize;
        this.tableRows = 2 * p + 1;
        this.classes = p + 1;
        int v = classes;
        emb = alloc(models, v, d);
        pos = alloc(models, 3, d);
        wq = alloc(models, d, d);
        wk = alloc(models, d, d);
        wv = alloc(models, d, d);
        wo = alloc(models, d, d);
        win = alloc(models, d, mlp);
        wout = alloc(models, mlp, d);
        u = alloc(models, d, v);
        params = new Tensor[]{emb, pos, wq, wk, wv, wo, win, wout, u};
        m1 = like(params, models);
        m2 = like(params, models);
        zeroBias = alloc(models, 1, v);
        workspaces = new Workspaces<>(models, params.length, Workspace::new);
        sumSquares = new double[models][params.length];
        clamp = new NormClamp(params, java.util.stream.IntStream.range(0, params.length).toArray(), GROUPS, ModelKind.ATTENTION.label);
        gradScale = new double[models];
        Arrays.fill(gradScale, 1.0 / trainSize);
        noGrad = new double[models];
        trainPairs = new int[models][];
        trainLabels = new int[models][];
        testPairs = new int[models][];
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

    /**
     * Floating-point operations one training step of one model executes with {@code n} training
     * pairs (multiply–add counted as two), the backward pass counted as twice the forward: per
     * example the attention of the last position over three keys (scores and the weighted values),
     * Wo, the MLP and the unembedding; per token of the (2p + 1)-row key and value tables, Wk and Wv.
     * The query is one row per model (the last position is always '='), so it is left out.
     */
    public static double flopsPerStep(int p, int d, int mlp, int n) {
        double perExample = 2.0 * d * d + 4.0 * d * mlp + 2.0 * d * (p + 1) + 12.0 * d;
        double tables = (2.0 * p + 1) * 4.0 * d * d;
        return 3 * (n * perExample + tables);
    }

    /**
     * The off-heap bytes a population of this shape takes once stepped by {@code be} — its state
     * (parameters and both Adam moments, the zero bias) and one workspace of
     * {@link Backend#workspaceModels} models — counted in 64 bits before anything is allocated, as
     * the constructor and {@link Workspace} allocate.
     */
    public static long plannedBytes(int p, int d, int heads, int mlp, boolean layerNorm, int models, int trainSize, Precision precision, dev.normclock.backend.WorkspaceSizing be) {
        long v = p + 1L, t = 2L * p + 1, n = trainSize, ln = layerNorm ? 1 : 0;
        boolean noLn = !layerNorm;
        long[][] params = {{v, d}, {3, d}, {d, d}, {d, d}, {d, d}, {d, d}, {d, mlp}, {mlp, d}, {d, v}};
        int ws = be.workspaceModels(models);
        long tests = Math.max(1, (long) p * p - n);
        long perRow = 4L * ws * (Tensor.padded(3 * heads) + (3 + 2 * ln) * Tensor.padded(d) + 2 * Tensor.padded(1)
                + Tensor.padded(mlp) + Tensor.padded((int) v));
        long rows = Math.max(n, be.evaluationRows(trainSize, (int) Math.min(tests, Integer.MAX_VALUE), perRow));
        PopulationMemory.Plan plan = new PopulationMemory.Plan(precision).like(params, models, 3).add(models, 1, v).like(params, ws, 1);
        plan.add(ws, t, d).addUnless(noLn, ws, t, d).add(ws, t, 1).add(ws, t, d).add(ws, t, d).add(ws, 1, d).add(ws, t, heads); // xin, nin, rstdIn, kt, vt, q, scores
        plan.add(ws, d, d).add(ws, d, d).add(ws, d, d).add(ws, d, d).add(ws, mlp, d).add(ws, d, mlp).add(ws, v, d);    // the transposes
        plan.add(ws, rows, 3L * heads).add(ws, rows, d).add(ws, rows, d).addUnless(noLn, ws, rows, d).add(ws, rows, 1)       // att, o, r1, r1n, rstd1
                .add(ws, rows, mlp).add(ws, n, mlp).add(ws, rows, d).addUnless(noLn, ws, rows, d).add(ws, rows, 1).add(ws, rows, v); // act, slope, r2, r2n, rstd2, logits
        plan.add(ws, n, d).addUnless(noLn, ws, n, d).add(ws, n, d)                                                                // dR2, dR1, dO
                .add(ws, t, heads).add(ws, t, d).add(ws, t, d).add(ws, 1, d).add(ws, t, d).add(ws, 1, d);                 // dScores, dKt, dVt, dq, dNin, dSum
        return plan.bytes();
    }

    /** Gives slot m its training and test pairs. */
    @Override
    public void assign(int slot, ModularAddition.Split split) {
        if (split.trainPairs().length != trainSize)
            throw new IllegalArgumentException("slot " + slot + ": " + split.trainPairs().length + " training pairs, the population holds " + trainSize);
        trainPairs[slot] = split.trainPairs();
        trainLabels[slot] = Backend.sumLabels(trainPairs, p, new int[]{slot})[slot];
        testPairs[slot] = split.testPairs();
    }

    /**
     * Draws model {@code slot}'s initial weights from its seed (PROTOCOL §2): pos ~ N(0, (0.1/√d)²),
     * Wout ~ N(0, 1/mlp), every other tensor ~ N(0, 1/d) (N(0, 1/fan_in)). Tensor j of
     * {@link #params} order is drawn from {@code RandomStream.of(baseKey, seed, Purpose.INIT, j)},
     * row-major. Adam moments start at zero.
     */
    /** As {@link #initialise(int, long, int)}: the model has no biases. */
    @Override
    public void initialise(int slot, long baseKey, int seed, double biasStd) {
        initialise(slot, baseKey, seed);
    }

    public void initialise(int slot, long baseKey, int seed) {
        for (int j = 0; j < params.length; j++) {
            double std = j == 1 ? 0.1 / Math.sqrt(d) : j == 7 ? 1 / Math.sqrt(mlp) : 1 / Math.sqrt(d);
            RandomStream rng = RandomStream.of(baseKey, seed, Purpose.INIT, j);
            float[] v = new float[params[j].size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
            params[j].fromArray(slot, v);
            m1[j].zero(slot);
            m2[j].zero(slot);
        }
    }

    @Override
    public int models() {
        return models;
    }

    @Override
    public Tensor[] state() {
        return WorkspaceGroups.state(params, m1, m2);
    }

    @Override
    public Precision precision() {
        return memory.precision;
    }

    @Override
    public long bytes() {
        return memory.bytes();
    }

    private int groupEnd(int[] active, int from) {
        return workspaces.groupEnd(active, from);
    }

    private static int[] slice(int[] active, int from, int to) {
        return WorkspaceGroups.slice(active, from, to);
    }

    /** The workspace of one group of models (a backend's {@link Backend#workspaceModels} of them). */
    private final class Workspace {
        final Tensor[] grads;
        final Tensor xin, nin, rstdIn, kt, vt, q, scores, wqT, wkT, wvT, woT, winT, woutT, uT, att, o, r1, r1n, rstd1, act, slope, r2, r2n, rstd2, logits, dR2, dR1, dO, dScores, dKt, dVt, dq, dNin, dSum;

        /** Test rows an evaluation pass takes: the training set's size on a CPU, on a GPU as many as fit (see {@link Backend#evaluationRows}). */
        final int evalRows;

        Workspace(int ws, Backend be) {
            int n = trainSize, v = classes, tests = Math.max(1, p * p - trainSize);
            long perRow = 4L * ws * (Tensor.padded(3 * heads) + (3 + (layerNorm ? 2 : 0)) * Tensor.padded(d) + 2 * Tensor.padded(1)
                    + Tensor.padded(mlp) + Tensor.padded(v));
            evalRows = be.evaluationRows(n, tests, perRow);
            int rows = Math.max(n, evalRows); // the forward's per-example tensors serve an evaluation pass too
            grads = like(params, ws);
            xin = scratch(ws, tableRows, d);
            nin = layerNorm ? scratch(ws, tableRows, d) : xin;
            rstdIn = scratch(ws, tableRows, 1);
            kt = scratch(ws, tableRows, d);
            vt = scratch(ws, tableRows, d);
            q = scratch(ws, 1, d);
            scores = scratch(ws, tableRows, heads);
            wqT = scratch(ws, d, d);
            wkT = scratch(ws, d, d);
            wvT = scratch(ws, d, d);
            woT = scratch(ws, d, d);
            winT = scratch(ws, mlp, d);
            woutT = scratch(ws, d, mlp);
            uT = scratch(ws, v, d);
            att = scratch(ws, rows, 3 * heads);
            o = scratch(ws, rows, d);
            r1 = scratch(ws, rows, d);
            r1n = layerNorm ? scratch(ws, rows, d) : r1;
            rstd1 = scratch(ws, rows, 1);
            act = scratch(ws, rows, mlp);
            slope = scratch(ws, n, mlp);
            r2 = scratch(ws, rows, d);
            r2n = layerNorm ? scratch(ws, rows, d) : r2;
            rstd2 = scratch(ws, rows, 1);
            logits = scratch(ws, rows, v);
            dR2 = scratch(ws, n, d);
            dR1 = layerNorm ? scratch(ws, n, d) : dR2;
            dO = scratch(ws, n, d);
            dScores = scratch(ws, tableRows, heads);
            dKt = scratch(ws, tableRows, d);
            dVt = scratch(ws, tableRows, d);
            dq = scratch(ws, 1, d);
            dNin = scratch(ws, tableRows, d);
            dSum = scratch(ws, 1, d);
        }
    }

    /** The gradients of the last step, for tests (slot m of the first workspace group). */
    Tensor[] grads() {
        return workspaces.current().grads;
    }

    /** The workspace tensors of one group, viewed for slots starting at {@code first}. */
    private final class Ws {
        final Workspace k;
        final Tensor xin, nin, rstdIn, kt, vt, q, scores, att, o, r1, r1n, rstd1, act, slope, r2, r2n, rstd2, logits;

        Ws(Workspace k, int first, int rows) {
            this.k = k;
            xin = k.xin.window(first);
            nin = k.nin.window(first);
            rstdIn = k.rstdIn.window(first);
            kt = k.kt.window(first);
            vt = k.vt.window(first);
            q = k.q.window(first);
            scores = k.scores.window(first);
            att = k.att.window(first).rowRange(0, rows);
            o = k.o.window(first).rowRange(0, rows);
            r1 = k.r1.window(first).rowRange(0, rows);
            r1n = k.r1n.window(first).rowRange(0, rows);
            rstd1 = k.rstd1.window(first).rowRange(0, rows);
            act = k.act.window(first).rowRange(0, rows);
            slope = k.slope.window(first).rowRange(0, rows);
            r2 = k.r2.window(first).rowRange(0, rows);
            r2n = k.r2n.window(first).rowRange(0, rows);
            rstd2 = k.rstd2.window(first).rowRange(0, rows);
            logits = k.logits.window(first).rowRange(0, rows);
        }
    }

    /** The per-step tables: X (or LN(X)), K, V, q and the score table. */
    private void tables(Backend be, Ws w, int[] group) {
        be.tokenRows(emb, pos, p, w.xin, group);
        if (layerNorm) be.layerNorm(w.xin, w.nin, w.rstdIn, LN_EPS, group);
        be.matmul(w.nin, false, wk, w.kt, d, false, group);
        be.matmul(w.nin, false, wv, w.vt, d, false, group);
        be.matmul(w.nin.rowRange(2 * p, 2 * p + 1), false, wq, w.q, d, false, group);
        be.attentionScores(w.q, w.kt, heads, w.scores, group);
    }

    /** The per-example forward from the tables to the logits, for the given pairs (slope null: no backward follows). */
    private void examples(Backend be, Ws w, int[][] pairs, boolean keepSlope, int[] group) {
        be.attentionForward(w.scores, w.vt, pairs, p, heads, w.att, w.o, group);
        be.matmul(w.o, false, wo, w.r1, d, false, group);
        be.addRow(w.r1, w.xin.rowRange(2 * p, 2 * p + 1), group); // the residual on the un-normalised x₂
        if (layerNorm) be.layerNorm(w.r1, w.r1n, w.rstd1, LN_EPS, group);
        be.matmul(w.r1n, false, win, w.act, d, false, group);
        be.gelu(w.act, w.act, keepSlope ? w.slope : null, group);
        be.copy(w.r1, w.r2, group);
        be.matmul(w.act, false, wout, w.r2, mlp, true, group);
        if (layerNorm) be.layerNorm(w.r2, w.r2n, w.rstd2, LN_EPS, group);
        be.matmul(w.r2n, false, u, w.logits, d, false, group);
    }

    @Override
    public void trainStep(Backend be, int[] active, Hyper hyper, int step) {
        Workspace k = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            trainGroup(be, k, slice(active, from, to), active[from], hyper, step);
        }
    }

    @Override
    public void readTraining(int[] active, double[] lossOut, double[] accOut) {
        workspaces.readTraining(active, lossOut, accOut);
    }

    @Override
    public int nonFiniteStep(int m) {
        return workspaces.nonFiniteStep(m);
    }

    /** Each kind of loss over its models, the rows added to {@code totals}. */
    private void loss(Backend be, Tensor logits, int[][] pairs, Hyper hyper, double[] gradScale, LossTotals totals, int step, int[] group) {
        LossKinds.loss(be, logits, zeroBias, LossKinds.sumLabels(pairs, p, group, trainPairs, trainLabels), hyper, gradScale, totals, step, group);
    }

    private void trainGroup(Backend be, Workspace k, int[] group, int first, Hyper hyper, int step) {
        int n = trainSize;
        Ws w = new Ws(k, first, n);
        Tensor[] g = new Tensor[k.grads.length];
        for (int i = 0; i < g.length; i++) g[i] = k.grads[i].window(first);
        tables(be, w, group);
        examples(be, w, trainPairs, true, group);
        loss(be, w.logits, trainPairs, hyper, gradScale, workspaces.train(), step, group);
        // unembedding: w.logits now holds dL/dz
        be.matmul(w.r2n, true, w.logits, g[8], n, false, group);
        Tensor uT = k.uT.window(first), dR2 = k.dR2.window(first), dR1 = k.dR1.window(first), dO = k.dO.window(first);
        be.transpose(u, uT, group);
        be.matmul(w.logits, false, uT, dR2, classes, false, group);
        if (layerNorm) be.layerNormBackward(w.r2n, w.rstd2, dR2, null, group);
        // MLP: dR2 = dL/dr2
        be.matmul(w.act, true, dR2, g[7], n, false, group);
        Tensor woutT = k.woutT.window(first), winT = k.winT.window(first);
        be.transpose(wout, woutT, group);
        be.matmul(dR2, false, woutT, w.act, d, false, group); // act now holds dL/dact
        be.multiply(w.act, w.slope, group);                   // … and now dL/dpre
        be.matmul(w.r1n, true, w.act, g[6], n, false, group);
        be.transpose(win, winT, group);
        if (layerNorm) {
            be.matmul(w.act, false, winT, dR1, mlp, false, group);
            be.layerNormBackward(w.r1n, w.rstd1, dR1, dR2, group); // + the residual r2 = r1 + …
        } else {
            be.matmul(w.act, false, winT, dR1, mlp, true, group);  // dR1 is dR2: dr1 = dr2 + dpre·Winᵀ
        }
        // r1 = x₂ + o·Wo
        be.matmul(w.o, true, dR1, g[5], n, false, group);
        Tensor woT = k.woT.window(first);
        be.transpose(wo, woT, group);
        be.matmul(dR1, false, woT, dO, d, false, group);
        // attention through the tables
        Tensor dScores = k.dScores.window(first), dKt = k.dKt.window(first), dVt = k.dVt.window(first), dq = k.dq.window(first);
        be.attentionBackward(dO, w.att, w.vt, trainPairs, p, heads, dScores, dVt, group);
        be.attentionScoresBackward(w.q, w.kt, dScores, heads, dq, dKt, group);
        Tensor nEq = w.nin.rowRange(2 * p, 2 * p + 1);
        be.matmul(w.nin, true, dKt, g[3], tableRows, false, group);
        be.matmul(w.nin, true, dVt, g[4], tableRows, false, group);
        be.matmul(nEq, true, dq, g[2], 1, false, group);
        Tensor wqT = k.wqT.window(first), wkT = k.wkT.window(first), wvT = k.wvT.window(first), dNin = k.dNin.window(first);
        be.transpose(wq, wqT, group);
        be.transpose(wk, wkT, group);
        be.transpose(wv, wvT, group);
        be.matmul(dKt, false, wkT, dNin, d, false, group);
        be.matmul(dVt, false, wvT, dNin, d, true, group);
        be.matmul(dq, false, wqT, dNin.rowRange(2 * p, 2 * p + 1), d, true, group);
        if (layerNorm) be.layerNormBackward(w.nin, w.rstdIn, dNin, null, group);
        Tensor dSum = k.dSum.window(first);
        be.columnSums(dR1, dSum, group); // the residual's share of dL/dx₂
        be.tokenRowsBackward(dNin, dSum, p, g[0], g[1], group);
        clamp.update(be, g, m1, m2, DECAYED, hyper, step, sumSquares, group);
    }

    @Override
    public void measureTrain(Backend be, int[] active, Hyper hyper) {
        Workspace k = workspaces.of(be);
        workspaces.train().clear(active);
        squaredError = hyper.squaredError;
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            Ws w = new Ws(k, active[from], trainSize);
            tables(be, w, group);
            examples(be, w, trainPairs, false, group);
            loss(be, w.logits, trainPairs, hyper, noGrad, workspaces.train(), 0, group);
        }
    }

    /**
     * The test half of an evaluation, queued (test pairs in blocks of the training set's size on a
     * CPU, in the training workspace; on a GPU in one pass where it fits) and the norms: {@link Metrics#norm} is ‖W‖ over every tensor,
     * {@link Metrics#normE} the embed group (E, pos), {@link Metrics#normW1} attn and mlp together
     * (the layer), {@link Metrics#normW2} the unembedding U. {@link #groupNorms} has all four.
     */
    @Override
    public void evaluateTest(Backend be, int[] active, Hyper hyper) {
        Workspace k = workspaces.of(be);
        LossTotals totals = workspaces.test();
        totals.clear(active);
        int block = k.evalRows;
        int[][] blockPairs = new int[models][];
        for (int from = 0, to; from < active.length; from = to) {
            to = groupEnd(active, from);
            int[] group = slice(active, from, to);
            int first = active[from];
            tables(be, new Ws(k, first, block), group);
            int tests = testPairs[group[0]].length;
            for (int start = 0; start < tests; start += block) {
                int len = Math.min(block, tests - start);
                for (int m : group) blockPairs[m] = start == 0 && len == tests ? testPairs[m] : Arrays.copyOfRange(testPairs[m], start, start + len);
                Ws w = new Ws(k, first, len);
                examples(be, w, blockPairs, false, group);
                loss(be, w.logits, blockPairs, hyper, noGrad, totals, 0, group);
            }
        }
        be.sumSquares(params, workspaces.readout(), active);
    }

    @Override
    public Metrics testMetrics(int m) {
        LossTotals totals = workspaces.test();
        double[] s = groups(workspaces.readout().squares[m]);
        return new Metrics(Double.NaN, Double.NaN, totals.meanLoss(m), totals.accuracy(m),
                Math.sqrt(s[0] + s[1] + s[2] + s[3]), Math.sqrt(s[0]), Math.sqrt(s[1] + s[2]), Math.sqrt(s[3]), totals.meanScale(m), Double.NaN);
    }

    /** Per-tensor Σ W² summed into the groups embed, attn, mlp, unembed. */
    private static double[] groups(double[] perTensor) {
        double[] out = new double[GROUPS.length];
        for (int g = 0; g < GROUPS.length; g++) for (int j : GROUPS[g]) out[g] += perTensor[j];
        return out;
    }

    /** Squared norms per group (embed, attn, mlp, unembed) of each listed model, indexed [slot][group]. */
    private double[][] groupSquares(Backend be, int[] active) {
        double[][] perTensor = new double[params.length][models];
        for (int j = 0; j < params.length; j++) be.sumSquares(params[j], perTensor[j], active);
        double[][] out = new double[models][];
        for (int m : active) {
            double[] mine = new double[params.length];
            for (int j = 0; j < params.length; j++) mine[j] = perTensor[j][m];
            out[m] = groups(mine);
        }
        return out;
    }

    /** The norms of the groups embed, attn, mlp, unembed of each listed model, indexed [slot][group]. */
    public double[][] groupNorms(Backend be, int[] active) {
        double[][] s = groupSquares(be, active);
        for (int m : active) for (int g = 0; g < GROUPS.length; g++) s[m][g] = Math.sqrt(s[m][g]);
        return s;
    }

    @Override
    public Metrics completed(Metrics test, int m, double trainLoss, double trainAcc) {
        LossTotals rows = workspaces.train();
        int pairs = p * p, tests = pairs - trainSize;
        double scale = (test.logitScale() * tests + rows.meanScale(m) * trainSize) / pairs;
        return new Metrics(trainLoss, trainAcc, test.testLoss(), test.testAcc(), test.norm(), test.normE(), test.normW1(),
                test.normW2(), scale, LossKinds.collapse(rows, m, squaredError));
    }

    @Override
    public void close() {
        workspaces.close();
        memory.close();
    }
}
