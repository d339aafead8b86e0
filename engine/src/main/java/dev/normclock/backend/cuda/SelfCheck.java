package dev.normclock.backend.cuda;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.model.AttentionPopulation;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * A backend checked against a reference backend (the GPU against the CPU): every primitive on
 * random inputs, then a few training steps of each model. Each result is the worst error of one
 * primitive's outputs, measured relative to the largest magnitude of the reference output
 * (|x − y| / max|y|, so that rounding of large entries is not charged to small ones), beside its
 * tolerance. The checks only compare; they never change either backend. The candidate can be
 * any backend, so the harness itself is tested on the CPU against a second CPU backend.
 */
public final class SelfCheck {
    /** Element-wise float operations: a few units of float rounding. */
    public static final double ELEMENTWISE = 1e-5;
    /** Sums over rows or examples and GEMMs (different summation orders): float rounding grows with the length. */
    public static final double REDUCTION = 1e-4;
    /** Training steps: the losses and weights after a few AdamW steps. */
    public static final double TRAINING = 1e-3;

    private SelfCheck() {
    }

    /** One comparison: what, its worst relative error and the tolerance. */
    public record Result(String what, double worst, double tolerance) {
        public boolean passed() {
            return worst <= tolerance; // NaN fails
        }

        public String line() {
            return String.format(java.util.Locale.ROOT, "%-44s worst %.3e  tolerance %.0e  %s", what, worst, tolerance, passed() ? "ok" : "FAIL");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Primitives
    // ------------------------------------------------------------------------------------------

    /** A tensor twice, with the same contents: one for each backend. */
    private record Twin(Tensor ref, Tensor cand) {
    }

    private static final int MODELS = 5, P = 11, D = 24, HIDDEN = 40, N = 50, HEADS = 4;
    /** Slots with a gap and consecutive runs: the GEMM's batching over runs is exercised. */
    private static final int[] LIST = {0, 1, 3, 4};

    private static final class Inputs {
        final Arena arena = Arena.ofShared(); // the CPU backend's worker threads read them
        final Random rnd;
        final List<Twin> made = new ArrayList<>();

        Inputs(long seed) {
            rnd = new Random(seed);
        }

        Twin random(int rows, int cols, double scale) {
            Tensor a = Tensor.allocate(arena, MODELS, rows, cols), b = Tensor.allocate(arena, MODELS, rows, cols);
            for (int m = 0; m < MODELS; m++) {
                float[] v = new float[rows * cols];
                for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * scale);
                a.fromArray(m, v);
                b.fromArray(m, v);
            }
            Twin t = new Twin(a, b);
            made.add(t);
            return t;
        }

        Twin positive(int rows, int cols) {
            Twin t = random(rows, cols, 1);
            for (int m = 0; m < MODELS; m++) {
                float[] v = t.ref.toArray(m);
                for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]) + 1e-3f;
                t.ref.fromArray(m, v);
                t.cand.fromArray(m, v);
            }
            return t;
        }

        int[][] pairs(int n) {
            int[][] out = new int[MODELS][n];
            for (int[] row : out) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(P * P);
            return out;
        }
    }

    /** Worst |x − y| / max|y| over the listed models' real elements (padding included: it must stay equal too). */
    static double relative(Tensor ref, Tensor cand, int[] models) {
        double worst = 0, scale = 0;
        for (int m : models)
            for (int r = 0; r < ref.rows; r++)
                for (int c = 0; c < ref.ld; c++) scale = Math.max(scale, Math.abs(ref.seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, ref.at(m, r, c))));
        for (int m : models)
            for (int r = 0; r < ref.rows; r++)
                for (int c = 0; c < ref.ld; c++) {
                    double x = ref.seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, ref.at(m, r, c));
                    double y = cand.seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, cand.at(m, r, c));
                    double e = Math.abs(x - y) / Math.max(scale, 1e-30);
                    if (!(e <= worst)) worst = e; // NaN propagates
                }
        return worst;
    }

    static double relative(double[] ref, double[] cand, int[] models) {
        double worst = 0, scale = 0;
        for (int m : models) scale = Math.max(scale, Math.abs(ref[m]));
        for (int m : models) {
            double e = Math.abs(ref[m] - cand[m]) / Math.max(scale, 1e-30);
            if (!(e <= worst)) worst = e;
        }
        return worst;
    }

    static double relative(float[][] ref, float[][] cand, int[] models) {
        double worst = 0, scale = 0;
        for (int m : models) for (float v : ref[m]) scale = Math.max(scale, Math.abs(v));
        for (int m : models)
            for (int i = 0; i < ref[m].length; i++) {
                double e = Math.abs(ref[m][i] - cand[m][i]) / Math.max(scale, 1e-30);
                if (!(e <= worst)) worst = e;
            }
        return worst;
    }

    /** The share of rows whose correctness differs (a near tie can flip; random inputs have none). */
    static double mismatches(boolean[][] ref, boolean[][] cand, int[] models) {
        int bad = 0, all = 0;
        for (int m : models)
            for (int i = 0; i < ref[m].length; i++) {
                all++;
                if (ref[m][i] != cand[m][i]) bad++;
            }
        return all == 0 ? 0 : bad / (double) all;
    }

    /** Runs one primitive on both backends and compares the listed outputs. */
    private static final class Bench {
        final Backend reference, candidate;
        final List<Result> results = new ArrayList<>();

        Bench(Backend reference, Backend candidate) {
            this.reference = reference;
            this.candidate = candidate;
        }

        /** Runs the call on both backends, each on its own tensors; the candidate's results are then on the host. */
        void run(Call call) {
            candidate.hostChanged();
            call.run(reference, true);
            call.run(candidate, false);
            candidate.syncToHost();
        }

        /** Runs the call and records the worst error over the output tensors. */
        void check(String what, double tolerance, Call call, Twin... outputs) {
            run(call);
            double worst = 0;
            for (Twin t : outputs) worst = Math.max(worst, relative(t.ref, t.cand, LIST)); // Math.max keeps a NaN
            results.add(new Result(what, worst, tolerance));
        }
    }

    @FunctionalInterface
    private interface Call {
        void run(Backend be, boolean reference);
    }

    private static Tensor pick(Twin t, boolean reference) {
        return t == null ? null : reference ? t.ref : t.cand;
    }

    /** Every primitive of {@link Backend} on random inputs, on both backends. */
    public static List<Result> primitives(Backend reference, Backend candidate, long seed) {
        Inputs in = new Inputs(seed);
        Bench b = new Bench(reference, candidate);
        try {
            int[][] pairs = in.pairs(N);
            // GEMMs: plain, A transposed, accumulating, and K short of A's extent
            Twin a = in.random(N, HIDDEN, 1), w = in.random(HIDDEN, P, 1), c = in.random(N, P, 1);
            b.check("matmul C = A·B", REDUCTION, (be, r) -> be.matmul(pick(a, r), false, pick(w, r), pick(c, r), HIDDEN, false, LIST), c);
            b.check("matmul C += A·B", REDUCTION, (be, r) -> be.matmul(pick(a, r), false, pick(w, r), pick(c, r), HIDDEN, true, LIST), c);
            b.check("matmul C = A·B, K < A's width", REDUCTION, (be, r) -> be.matmul(pick(a, r), false, pick(w, r), pick(c, r), HIDDEN - 7, false, LIST), c);
            Twin at = in.random(N, HIDDEN, 1), g = in.random(N, P, 1), gw = in.random(HIDDEN, P, 1);
            b.check("matmul C = Aᵀ·B", REDUCTION, (be, r) -> be.matmul(pick(at, r), true, pick(g, r), pick(gw, r), N, false, LIST), gw);
            Twin tr = in.random(P, HIDDEN, 1);
            b.check("transpose", 0, (be, r) -> be.transpose(pick(w, r), pick(tr, r), LIST), tr);
            // the MLP's first layer
            Twin pa = in.random(P, HIDDEN, 1), pb = in.random(P, HIDDEN, 1), bias = in.random(1, HIDDEN, 0.5);
            Twin act = in.random(N, HIDDEN, 1), slope = in.random(N, HIDDEN, 1);
            b.check("hiddenForward (act, slope)", ELEMENTWISE, (be, r) -> be.hiddenForward(pick(pa, r), pick(pb, r), pick(bias, r), pairs, P,
                    pick(act, r), pick(slope, r), LIST), act, slope);
            b.check("hiddenForward (evaluation, no slope)", ELEMENTWISE, (be, r) -> be.hiddenForward(pick(pa, r), pick(pb, r), pick(bias, r), pairs, P,
                    pick(act, r), null, LIST), act);
            Twin dAct = in.random(N, HIDDEN, 1), dPa = in.random(P, HIDDEN, 1), dPb = in.random(P, HIDDEN, 1), dBias = in.random(1, HIDDEN, 1);
            b.check("hiddenBackward", REDUCTION, (be, r) -> be.hiddenBackward(pick(dAct, r), pick(slope, r), pairs, P, pick(dPa, r), pick(dPb, r),
                    pick(dBias, r), LIST), dPa, dPb, dBias);
            Twin pre = in.random(N, HIDDEN, 1.5), act2 = in.random(N, HIDDEN, 1), slope2 = in.random(N, HIDDEN, 1);
            b.check("biasGelu", ELEMENTWISE, (be, r) -> be.biasGelu(pick(pre, r), pick(bias, r), pick(act2, r), pick(slope2, r), LIST), act2, slope2);
            Twin dPre = in.random(N, HIDDEN, 1);
            b.check("geluBackward", ELEMENTWISE, (be, r) -> be.geluBackward(pick(dAct, r), pick(slope2, r), pick(dPre, r), LIST), dPre);
            Twin x = in.random(N, HIDDEN, 2), gx = in.random(N, HIDDEN, 1), gs = in.random(N, HIDDEN, 1);
            b.check("gelu (in place, with slope)", ELEMENTWISE, (be, r) -> be.gelu(pick(x, r), pick(x, r), pick(gs, r), LIST), x, gs);
            b.check("multiply", ELEMENTWISE, (be, r) -> be.multiply(pick(gx, r), pick(gs, r), LIST), gx);
            // losses, with and without gradient, τ ≠ 1 for some models
            int[][] labels = new int[MODELS][N];
            for (int[] row : labels) for (int i = 0; i < N; i++) row[i] = in.rnd.nextInt(P);
            float[] tau = {1f, 0.7f, 1f, 1.3f, 2f};
            double[] scale = {1.0 / N, 0, 1.0 / N, 1.0 / N, 1.0 / N}; // slot 1: evaluation, no gradient
            for (String loss : new String[]{"crossEntropy", "squaredError"}) {
                Twin logits = in.random(N, P, 3), lb = in.random(1, P, 0.5);
                float[][][] rl = new float[2][MODELS][N], rs = new float[2][MODELS][N];
                boolean[][][] rc = new boolean[2][MODELS][N];
                b.check(loss + " (gradient in place)", ELEMENTWISE, (be, r) -> {
                    int k = r ? 0 : 1;
                    if (loss.equals("crossEntropy")) be.crossEntropy(pick(logits, r), pick(lb, r), labels, tau, scale, rl[k], rc[k], rs[k], LIST);
                    else be.squaredError(pick(logits, r), pick(lb, r), labels, tau, scale, rl[k], rc[k], rs[k], LIST);
                }, logits);
                b.results.add(new Result(loss + " row losses", relative(rl[0], rl[1], LIST), ELEMENTWISE));
                b.results.add(new Result(loss + " row logit scales", relative(rs[0], rs[1], LIST), ELEMENTWISE));
                b.results.add(new Result(loss + " row correctness (share differing)", mismatches(rc[0], rc[1], LIST), 0));
            }
            Twin colIn = in.random(N, P, 1), colOut = in.random(1, P, 1);
            b.check("columnSums", REDUCTION, (be, r) -> be.columnSums(pick(colIn, r), pick(colOut, r), LIST), colOut);
            // optimiser: both decay orders, a tensor without decay
            Twin[] params = {in.random(P, D, 1), in.random(1, HIDDEN, 1)}, grads = {in.random(P, D, 0.1), in.random(1, HIDDEN, 0.1)};
            Twin[] m1 = {in.random(P, D, 0.01), in.random(1, HIDDEN, 0.01)}, m2 = {in.positive(P, D), in.positive(1, HIDDEN)};
            Hyper hyper = new Hyper(MODELS);
            for (int m = 0; m < MODELS; m++) {
                hyper.lr[m] = 1e-3f * (m + 1);
                hyper.weightDecay[m] = m == 3 ? 0f : 0.5f; // slot 3: no decay
                hyper.decayAfter[m] = m % 2 == 1;
            }
            double[][][] ss = new double[2][MODELS][2];
            List<Twin> adamOut = new ArrayList<>(List.of(params));
            adamOut.addAll(List.of(m1));
            adamOut.addAll(List.of(m2));
            b.check("adamW (weights, moments)", ELEMENTWISE, (be, r) -> be.adamW(picks(params, r), picks(grads, r), picks(m1, r), picks(m2, r),
                    new boolean[]{true, false}, hyper, 7, ss[r ? 0 : 1], LIST), adamOut.toArray(Twin[]::new));
            for (int t = 0; t < 2; t++) {
                double[] s0 = new double[MODELS], s1 = new double[MODELS];
                for (int m : LIST) {
                    s0[m] = ss[0][m][t];
                    s1[m] = ss[1][m][t];
                }
                b.results.add(new Result("adamW Σw² of tensor " + t, relative(s0, s1, LIST), REDUCTION));
            }
            double[] factor = {0.5, 1.5, 2, 0.9, 1.1};
            b.check("scale", ELEMENTWISE, (be, r) -> be.scale(picks(params, r), factor, LIST), params);
            double[][] sq = new double[2][MODELS];
            b.run((be, r) -> be.sumSquares(pick(params[0], r), sq[r ? 0 : 1], LIST));
            b.results.add(new Result("sumSquares", relative(sq[0], sq[1], LIST), REDUCTION));
            // the attention model's primitives
            Twin src = in.random(N, D, 1), dst = in.random(N, D, 1), row = in.random(1, D, 1);
            b.check("copy", 0, (be, r) -> be.copy(pick(src, r), pick(dst, r), LIST), dst);
            b.check("addRow", ELEMENTWISE, (be, r) -> be.addRow(pick(dst, r), pick(row, r), LIST), dst);
            Twin lnx = in.random(N, D, 3), lny = in.random(N, D, 1), rstd = in.random(N, 1, 1);
            b.check("layerNorm", ELEMENTWISE, (be, r) -> be.layerNorm(pick(lnx, r), pick(lny, r), pick(rstd, r), 1e-5, LIST), lny, rstd);
            Twin lg = in.random(N, D, 1), lg2 = in.random(N, D, 1), add = in.random(N, D, 1);
            b.check("layerNormBackward", ELEMENTWISE, (be, r) -> be.layerNormBackward(pick(lny, r), pick(rstd, r), pick(lg, r), null, LIST), lg);
            b.check("layerNormBackward (+ add)", ELEMENTWISE, (be, r) -> be.layerNormBackward(pick(lny, r), pick(rstd, r), pick(lg2, r), pick(add, r), LIST), lg2);
            int table = 2 * P + 1;
            Twin e = in.random(P + 1, D, 1), pos = in.random(3, D, 1), xin = in.random(table, D, 1);
            b.check("tokenRows", ELEMENTWISE, (be, r) -> be.tokenRows(pick(e, r), pick(pos, r), P, pick(xin, r), LIST), xin);
            Twin dx = in.random(table, D, 1), extra = in.random(1, D, 1), dE = in.random(P + 1, D, 1), dPos = in.random(3, D, 1);
            b.check("tokenRowsBackward", REDUCTION, (be, r) -> be.tokenRowsBackward(pick(dx, r), pick(extra, r), P, pick(dE, r), pick(dPos, r), LIST), dE, dPos);
            Twin q = in.random(1, D, 1), keys = in.random(table, D, 1), scores = in.random(table, HEADS, 1);
            b.check("attentionScores", ELEMENTWISE, (be, r) -> be.attentionScores(pick(q, r), pick(keys, r), HEADS, pick(scores, r), LIST), scores);
            Twin dScores = in.random(table, HEADS, 1), dq = in.random(1, D, 1), dKeys = in.random(table, D, 1);
            b.check("attentionScoresBackward", REDUCTION, (be, r) -> be.attentionScoresBackward(pick(q, r), pick(keys, r), pick(dScores, r), HEADS,
                    pick(dq, r), pick(dKeys, r), LIST), dq, dKeys);
            Twin values = in.random(table, D, 1), att = in.random(N, 3 * HEADS, 1), o = in.random(N, D, 1);
            b.check("attentionForward", ELEMENTWISE, (be, r) -> be.attentionForward(pick(scores, r), pick(values, r), pairs, P, HEADS, pick(att, r),
                    pick(o, r), LIST), att, o);
            Twin dOut = in.random(N, D, 1), dS = in.random(table, HEADS, 1), dV = in.random(table, D, 1);
            b.check("attentionBackward", REDUCTION, (be, r) -> be.attentionBackward(pick(dOut, r), pick(att, r), pick(values, r), pairs, P, HEADS,
                    pick(dS, r), pick(dV, r), LIST), dS, dV);
            return b.results;
        } finally {
            candidate.syncToHost();
            in.arena.close();
            candidate.hostChanged(); // drops the mirrors of the freed inputs
        }
    }

    private static Tensor[] picks(Twin[] ts, boolean reference) {
        Tensor[] out = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = pick(ts[i], reference);
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // Training steps
    // ------------------------------------------------------------------------------------------

    /** A few full training steps of every model kind on both backends: the losses of each step and the weights at the end. */
    public static List<Result> training(Backend reference, Backend candidate, int steps) {
        List<Result> out = new ArrayList<>();
        int models = 4;
        ModularAddition task = new ModularAddition(23, 0.4);
        // 18 MLPs, slot 3 retired: two workspace groups (the second through a window whose model 0
        // lies before its memory) and GEMM batches over runs of slots with a gap
        int mlps = MlpPopulation.WORKSPACE_MODELS + 2;
        out.addAll(train("MLP p=23 d=16 H=32, 17 of 18 slots", steps, reference, candidate, mlps, 3,
                () -> new MlpPopulation(new MlpShape(23, 16, 32), mlps, task.trainSize()),
                pop -> {
                    MlpPopulation mlp = (MlpPopulation) pop;
                    for (int m = 0; m < mlps; m++) {
                        mlp.initialise(m, 7L, m, 1e-3);
                        mlp.assign(m, task.split(7L, m));
                    }
                }));
        for (boolean ln : new boolean[]{false, true})
            out.addAll(train("attention p=23 d=16 4 heads" + (ln ? " + LayerNorm" : ""), steps, reference, candidate, models, -1,
                    () -> new AttentionPopulation(23, 16, 4, 32, ln, models, task.trainSize()),
                    pop -> {
                        AttentionPopulation a = (AttentionPopulation) pop;
                        for (int m = 0; m < models; m++) {
                            a.initialise(m, 7L, m);
                            a.assign(m, task.split(7L, m));
                        }
                    }));
        SparseParity parity = new SparseParity(20, 3, 200, 100);
        out.addAll(train("parity MLP n=20 k=3 H=64", steps, reference, candidate, models, -1,
                () -> new ParityPopulation(parity.n(), 64, models, parity.trainSize(), parity.testSize()),
                pop -> {
                    ParityPopulation pp = (ParityPopulation) pop;
                    for (int m = 0; m < models; m++) {
                        pp.initialise(m, 7L, m, 1e-3);
                        pp.assign(m, parity.data(7L, m));
                    }
                }));
        return out;
    }

    /** Trains every slot but {@code retired} (−1: none) of two populations made alike, one per backend. */
    private static List<Result> train(String name, int steps, Backend reference, Backend candidate, int models, int retired,
                                      java.util.function.Supplier<Population> make, Consumer<Population> setUp) {
        Hyper hyper = new Hyper(models);
        for (int m = 0; m < models; m++) {
            hyper.lr[m] = 1e-3f;
            hyper.weightDecay[m] = 1f;
            hyper.decayAfter[m] = m % 2 == 1;
            hyper.temperature[m] = m == 3 ? 0.5f : 1f;
            hyper.squaredError[m] = m == 2;
        }
        int[] all = java.util.stream.IntStream.range(0, models).filter(m -> m != retired).toArray();
        try (Population ref = make.get(); Population cand = make.get()) {
            setUp.accept(ref);
            setUp.accept(cand);
            candidate.hostChanged();
            double worstLoss = 0;
            for (int step = 1; step <= steps; step++) {
                double[] l0 = new double[models], a0 = new double[models], l1 = new double[models], a1 = new double[models];
                ref.trainStep(reference, all, hyper, step, l0, a0);
                cand.trainStep(candidate, all, hyper, step, l1, a1);
                worstLoss = Math.max(worstLoss, relative(l0, l1, all));
            }
            candidate.syncToHost();
            double worstWeight = 0;
            Tensor[] s0 = ref.state(), s1 = cand.state();
            for (int i = 0; i < s0.length / 3; i++) worstWeight = Math.max(worstWeight, relative(s0[i], s1[i], all)); // the parameters
            candidate.hostChanged();
            return List.of(new Result(name + ": losses of " + steps + " steps", worstLoss, TRAINING),
                    new Result(name + ": weights after " + steps + " steps", worstWeight, TRAINING));
        }
    }
}
