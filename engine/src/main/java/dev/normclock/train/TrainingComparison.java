package dev.normclock.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.conformance.Result;
import dev.normclock.model.AttentionPopulation;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * A few training steps of every model on two backends (a GPU against the CPU), compared: two
 * populations made alike, one per backend, each step's training losses and the parameters at the
 * end, every model kind with the settings a study uses — both decay orders, τ ≠ 1, Paper B's
 * squared error, the clamp of the whole norm from an early step, a fork (held at ρ·N0 from its
 * step, N0 its own norm there), a group clamp, LayerNorm — each slot one of these arms. The step
 * runs as the trainer runs it ({@link Population#trainStep}, which ends with the clamp), after
 * {@link Backend#hostChanged} for the initialised weights and with {@link Backend#syncToHost}
 * before the weights are read. Where the primitives conform ({@code Conformance}), this checks
 * that the steps compose them alike on both backends; differences of float rounding grow over the
 * steps, hence a looser tolerance. The comparisons only read; the candidate can be any backend,
 * so the harness is tested on the CPU against a second CPU backend.
 */
public final class TrainingComparison {
    /** Losses and parameters after a few AdamW steps: |x − y| ≤ 1e-3 of the largest |y| of the quantity over the slots. */
    public static final double TOLERANCE = 1e-3;
    private static final String RULE = "|x − y| ≤ 1e-3·max|y| over the listed slots";

    /** The arms, slot m having arm m % 6; the clamp and the fork act from this step. */
    private static final int ARMS = 6, CLAMP_FROM = 2;

    private TrainingComparison() {
    }

    /** One model kind: how to make a population of it, set its slots up, and which tensors a group clamp holds. */
    private record Kind(String name, int models, int retired, Supplier<Population> make, Consumer<Population> setUp, int group, int[] groupTensors) {
    }

    /**
     * Every model at a small shape: the MLP (18 slots, slot 7 retired: two workspace groups, the
     * second through a window whose model 0 lies before its memory, and GEMM batches over runs of
     * slots with a gap; one group fused to the loss, one not), the attention model without and
     * with LayerNorm, and the parity MLP.
     */
    public static List<Result> run(Backend reference, Backend candidate, int steps) {
        List<Result> out = new ArrayList<>();
        ModularAddition task = new ModularAddition(23, 0.4);
        int mlps = dev.normclock.backend.Backend.CPU_WORKSPACE_MODELS + 2;
        out.addAll(compare(reference, candidate, steps, new Kind("MLP p=23 d=16 H=32, 17 of 18 slots", mlps, 7,
                () -> new MlpPopulation(new MlpShape(23, 16, 32), mlps, task.trainSize()),
                pop -> {
                    for (int m = 0; m < mlps; m++) {
                        ((MlpPopulation) pop).initialise(m, 7L, m, 1e-3);
                        ((MlpPopulation) pop).assign(m, task.split(7L, m));
                    }
                }, 3, new int[]{3})));
        int models = ARMS;
        for (boolean ln : new boolean[]{false, true}) {
            int group = 2; // the MLP block's two matrices
            out.addAll(compare(reference, candidate, steps, new Kind("attention p=23 d=16 4 heads" + (ln ? " + LayerNorm" : ""), models, -1,
                    () -> new AttentionPopulation(23, 16, 4, 32, ln, models, task.trainSize()),
                    pop -> {
                        for (int m = 0; m < models; m++) {
                            ((AttentionPopulation) pop).initialise(m, 7L, m);
                            ((AttentionPopulation) pop).assign(m, task.split(7L, m));
                        }
                    }, group, AttentionPopulation.GROUPS[group])));
        }
        SparseParity parity = new SparseParity(20, 3, 200, 100);
        out.addAll(compare(reference, candidate, steps, new Kind("parity MLP n=20 k=3 H=64", models, -1,
                () -> new ParityPopulation(parity.n(), 64, models, parity.trainSize(), parity.testSize()),
                pop -> {
                    for (int m = 0; m < models; m++) {
                        ((ParityPopulation) pop).initialise(m, 7L, m, 1e-3);
                        ((ParityPopulation) pop).assign(m, parity.data(7L, m));
                    }
                }, ParityPopulation.W1, new int[]{ParityPopulation.W1})));
        return out;
    }

    /** The MLP at the paper's shape (p = 59, f = 0.4, d = 128, H = 256), 16 models with the same arms. */
    public static List<Result> paperMlp(Backend reference, Backend candidate, int steps) {
        ModularAddition task = new ModularAddition(59, 0.4);
        int models = 16;
        return compare(reference, candidate, steps, new Kind("MLP p=59 d=128 H=256, 16 slots", models, -1,
                () -> new MlpPopulation(new MlpShape(59, 128, 256), models, task.trainSize()),
                pop -> {
                    for (int m = 0; m < models; m++) {
                        ((MlpPopulation) pop).initialise(m, 7L, m, 1e-3);
                        ((MlpPopulation) pop).assign(m, task.split(7L, m));
                    }
                }, 3, new int[]{3}));
    }

    /**
     * The arms: 0 free; 1 decay after the update, τ = 0.5; 2 squared error, τ = 1.3; 3 the whole
     * norm held at 0.9× its start from step 2; 4 a fork at step 2 held at 1.1·N0; 5 the group held
     * at 0.9× its start from step 1, τ = 0.7. Each backend gets its own, since a fork sets its target.
     */
    private static Hyper hyper(Population pop, Kind kind) {
        int models = kind.models;
        Hyper h = new Hyper(models);
        Tensor[] state = pop.state(), params = Arrays.copyOf(state, state.length / 3);
        for (int m = 0; m < models; m++) {
            h.seed[m] = m;
            h.lr[m] = 1e-3f;
            h.weightDecay[m] = 1f;
            switch (m % ARMS) {
                case 1 -> {
                    h.decayAfter[m] = true;
                    h.temperature[m] = 0.5f;
                }
                case 2 -> {
                    h.squaredError[m] = true;
                    h.temperature[m] = 1.3f;
                }
                case 3 -> {
                    h.clampTarget[m] = 0.9 * norm(params, IntStream.range(0, params.length).toArray(), m);
                    h.clampFrom[m] = CLAMP_FROM;
                }
                case 4 -> {
                    h.forkScale[m] = 1.1;
                    h.clampFrom[m] = CLAMP_FROM;
                }
                case 5 -> {
                    h.clampGroup[m] = kind.group;
                    h.clampTarget[m] = 0.9 * norm(params, kind.groupTensors, m);
                    h.clampFrom[m] = 1;
                    h.temperature[m] = 0.7f;
                }
                default -> {
                }
            }
        }
        return h;
    }

    /** √Σ of the squares of model m's tensors (biases, where the whole norm has none, are tiny at the start). */
    private static double norm(Tensor[] params, int[] which, int m) {
        double ss = 0;
        for (int j : which) for (double v : params[j].toDoubleArray(m)) ss += v * v;
        return Math.sqrt(ss);
    }

    private static List<Result> compare(Backend reference, Backend candidate, int steps, Kind kind) {
        int models = kind.models;
        int[] listed = IntStream.range(0, models).filter(m -> m != kind.retired).toArray();
        try (Population ref = kind.make.get(); Population cand = kind.make.get()) {
            kind.setUp.accept(ref);
            kind.setUp.accept(cand);
            Hyper hRef = hyper(ref, kind), hCand = hyper(cand, kind);
            reference.hostChanged();
            candidate.hostChanged();
            Worst losses = new Worst();
            for (int step = 1; step <= steps; step++) {
                double[] l0 = new double[models], a0 = new double[models], l1 = new double[models], a1 = new double[models];
                int t = step;
                reference.replayable(() -> ref.trainStep(reference, listed, hRef, t)); // as the trainer steps: a graph where there are graphs
                ref.readTraining(listed, l0, a0);
                candidate.replayable(() -> cand.trainStep(candidate, listed, hCand, t));
                cand.readTraining(listed, l1, a1);
                losses.values(l0, l1, listed, "step " + step + " loss");
            }
            Worst evaluation = new Worst(); // the test half and the norms of the trained weights, as the trainer evaluates
            MlpPopulation.Metrics[] e0 = new MlpPopulation.Metrics[models], e1 = new MlpPopulation.Metrics[models];
            ref.evaluateTest(reference, listed, hRef, e0);
            cand.evaluateTest(candidate, listed, hCand, e1);
            double[][] ev = new double[6][models];
            for (int m : listed) {
                ev[0][m] = e0[m].testLoss();
                ev[1][m] = e1[m].testLoss();
                ev[2][m] = e0[m].norm();
                ev[3][m] = e1[m].norm();
                ev[4][m] = e0[m].logitScale();
                ev[5][m] = e1[m].logitScale();
            }
            evaluation.values(ev[0], ev[1], listed, "test loss");
            evaluation.values(ev[2], ev[3], listed, "norm");
            evaluation.values(ev[4], ev[5], listed, "test logit scale");
            reference.syncToHost();
            candidate.syncToHost();
            Worst weights = new Worst();
            Tensor[] s0 = ref.state(), s1 = cand.state();
            for (int j = 0; j < s0.length / 3; j++) weights.tensor(s0[j], s1[j], listed, "parameter tensor " + j); // the parameters
            Worst targets = new Worst();
            targets.values(hRef.clampTarget, hCand.clampTarget, IntStream.of(listed).filter(m -> m % ARMS == 4).toArray(), "fork target");
            candidate.hostChanged(); // the populations' memory is freed: the candidate drops its copies
            return List.of(losses.result(kind.name + ": losses of " + steps + " steps"),
                    evaluation.result(kind.name + ": evaluation after " + steps + " steps"),
                    weights.result(kind.name + ": weights after " + steps + " steps"),
                    targets.result(kind.name + ": fork targets ρ·N0"));
        }
    }

    /** The worst relative difference of one quantity, |x − y| / max|y| over the listed slots, in units of the tolerance. NaN stays. */
    private static final class Worst {
        private double worst;
        private String where;

        void values(double[] ref, double[] cand, int[] listed, String what) {
            double scale = 0;
            for (int m : listed) scale = Math.max(scale, Math.abs(ref[m]));
            for (int m : listed) note(ref[m], cand[m], scale, what + " slot " + m);
        }

        void tensor(Tensor ref, Tensor cand, int[] listed, String what) {
            double scale = 0;
            for (int m : listed) for (double v : ref.toDoubleArray(m)) scale = Math.max(scale, Math.abs(v));
            for (int m : listed) {
                double[] x = ref.toDoubleArray(m), y = cand.toDoubleArray(m);
                for (int i = 0; i < x.length; i++) note(x[i], y[i], scale, what + " slot " + m + " element " + i);
            }
        }

        private void note(double ref, double cand, double scale, String at) {
            double e = Math.abs(ref - cand) / Math.max(scale, 1e-30) / TOLERANCE;
            if (Double.isNaN(worst) || where != null && e <= worst) return;
            worst = e;
            where = String.format(Locale.ROOT, "%s: %.9g, the reference %.9g", at, cand, ref);
        }

        /** A quantity of which nothing was compared fails. */
        Result result(String name) {
            return where == null ? new Result(name, RULE, Double.NaN, "nothing was compared") : new Result(name, RULE, worst, where);
        }
    }
}
