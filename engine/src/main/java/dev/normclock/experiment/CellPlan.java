package dev.normclock.experiment;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.normclock.model.MlpShape;
import dev.normclock.model.ModularPopulation;
import dev.normclock.model.ParityPopulation;
import dev.normclock.model.Population;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * One cell of an experiment, fully resolved from its file: a model on its task (modular addition
 * (a + b) mod p, or sparse parity) with one set of hyperparameters and one arm, trained for each
 * listed seed.
 *
 * @param p          modular addition's modulus; 0 for sparse parity (as its stored runs hold it)
 * @param trainFrac  modular addition's training fraction; NaN for sparse parity
 * @param d          the embedding width; 0 for sparse parity
 * @param wc     a fixed Wc for the clamp target, or NaN to use the Wc measured by this cell's control
 * @param wcLr   the learning rate of the control whose Wc is used (NaN: this cell's own lr)
 * @param wcTau  the temperature of the control whose Wc is used (NaN: this cell's own τ)
 * @param tInt   the step from which the clamp holds (or at which the one-shot rescale happens)
 * @param temperature τ dividing the logits before the loss (Paper B)
 * @param squaredError Paper B's MSE loss instead of cross-entropy
 * @param clampGroup −1: the clamp holds ‖W‖; else the group it holds alone (MLP: 0 E, 1 W1, 3 W2;
 *                   attention: 0 embed, 1 attn, 2 mlp, 3 unembed; parity MLP: 0 W1, 2 W2)
 * @param model      mlp, attention (hidden is then its MLP width) or parity-mlp
 * @param layerNorm  the attention model's LayerNorms
 * @param parity     the sparse-parity task of a parity-mlp cell (n, k, m and test points); null for modular addition
 * @param allocGamma Paper B's per-group allocation at fixed total norm: from t_int E, W1 and W2 each
 *                   held at its own target, from the shares of the free control ({@link #isControlOf})
 *                   and ρ·Wc (see {@link dev.normclock.model.Allocation}); NaN: none
 * @param precision  float32, or float64 (Paper B's precision audit, trained by the float64 backend)
 * @param untilCell  Paper B's protocol: every seed trains until every seed of the cell has grokked
 *                   (or its budget), not until it has itself; so a seed's last logged norm is the
 *                   "final-step norm" of Paper B's released results
 * @param wcFinal    Paper B's Wc: the median of the control's final-step norms (the norm at each
 *                   seed's last logged step), not of its norms at T_grok (Paper A's)
 */
public record CellPlan(String experiment, String id, Arm arm, int p, double trainFrac, int d, int hidden, double lr,
                       double weightDecay, boolean decayAfter, double rho, double wc, double wcLr, double wcTau, int tInt, int maxSteps,
                       int[] seeds, String evalGrid, int retireWindow, double biasStd, double temperature, boolean squaredError,
                       int clampGroup, String model, boolean layerNorm, SparseParity parity, double allocGamma,
                       dev.normclock.backend.Precision precision, boolean untilCell, boolean wcFinal) {

    public boolean isParity() {
        return parity != null;
    }

    /** A modular-addition cell's model kind (not defined for sparse parity). */
    public ModularPopulation.Kind kind() {
        requireModular();
        return new ModularPopulation.Kind(model, p, d, hidden, layerNorm);
    }

    /** An empty population of this cell's model and data shape, for {@code models} slots of cells of the same shape. */
    public Population createPopulation(int models, dev.normclock.backend.Precision precision) {
        if (isParity()) return new ParityPopulation(parity.n(), hidden, models, parity.trainSize(), parity.testSize(), precision);
        return kind().create(models, task().trainSize(), precision);
    }

    /** What {@link #createPopulation} of {@code models} slots will take, sized as {@code sizing} sizes workspaces; nothing is allocated. */
    public dev.normclock.train.MemoryPlan memoryPlan(int models, dev.normclock.backend.Precision precision, dev.normclock.backend.WorkspaceSizing sizing) {
        if (isParity()) return dev.normclock.train.MemoryPlan.forParity(parity, hidden, models, precision, sizing);
        return dev.normclock.train.MemoryPlan.forModular(kind(), task(), models, precision, sizing);
    }

    /**
     * Gives slot {@code m} of a population made by {@link #createPopulation} this cell's initial
     * weights and its data for {@code seed}: the split of the (a, b) pairs, or the parity task's
     * relevant bits and points.
     */
    public void prepare(Population pop, int m, long baseKey, int seed) {
        if (pop instanceof ParityPopulation parityPop) {
            parityPop.initialise(m, baseKey, seed, biasStd);
            parityPop.assign(m, parity.data(baseKey, seed));
        } else {
            ModularPopulation modular = (ModularPopulation) pop;
            modular.initialise(m, baseKey, seed, biasStd);
            modular.assign(m, task().split(baseKey, seed));
        }
    }

    /** What cells trained in one population must share: the model and every dimension of its tensors. */
    public String shapeKey() {
        if (isParity()) {
            String key = String.format(Locale.ROOT, "%s-n%d-m%d-t%d-H%d", model, parity.n(), parity.trainSize(), parity.testSize(), hidden);
            return precision == dev.normclock.backend.Precision.FLOAT32 ? key : key + "-" + precision.label();
        }
        String key = String.format(Locale.ROOT, "%s%s-p%d-f%.4f-d%d-H%d", model, layerNorm ? "ln" : "", p, trainFrac, d, hidden);
        return precision == dev.normclock.backend.Precision.FLOAT32 ? key : key + "-" + precision.label();
    }

    /** Floating-point operations of one training step of one model, for the plan's time estimate. */
    public double flopsPerStep() {
        if (isParity()) return ParityPopulation.flopsPerStep(parity.n(), hidden, parity.trainSize());
        if (dev.normclock.model.ModelKind.of(model) == dev.normclock.model.ModelKind.ATTENTION)
            return dev.normclock.model.AttentionPopulation.flopsPerStep(p, d, hidden, task().trainSize());
        return shape().flopsPerStep(task().trainSize());
    }

    /**
     * The task a delay law is fitted within (cells of one label share one line): "p=41", or for
     * sparse parity "n=30 k=3 m=1000".
     */
    public String taskLabel() {
        return isParity() ? String.format(Locale.ROOT, "n=%d k=%d m=%d", parity.n(), parity.k(), parity.trainSize()) : "p=" + p;
    }

    /** The task's settings as a study file names them, for messages. */
    public String taskFields() {
        return isParity() ? "parity_n=" + parity.n() + ", parity_k=" + parity.k() + ", parity_m=" + parity.trainSize() + ", parity_test="
                + parity.testSize() : "p=" + p + ", train_frac=" + trainFrac + ", d=" + d;
    }

    private void requireModular() {
        if (isParity()) throw new IllegalStateException("cell " + id + " is sparse parity: it has no modulus, split or embedding");
    }

    /** Whether the cell is in Paper A's setting (cross-entropy, τ = 1). */
    public boolean paperASetting() {
        return temperature == 1 && !squaredError;
    }

    /**
     * The arm as Paper A's released results name it: clamp, or clamp_GROUP for one group held
     * alone, layer_GROUP for a one-shot scaling.
     */
    public String referenceArm() {
        if (!Double.isNaN(allocGamma)) return "alloc";
        if (arm == Arm.SCALE) { // Paper A's normint names its one-shot scalings by layer: layer_embed, _hidden, _out, _all
            String g = dev.normclock.train.CellSpec.clampGroupName(clampGroup, model);
            return "layer_" + switch (g) {
                case "E" -> "embed";
                case "W1" -> "hidden";
                case "W2" -> "out";
                default -> g;
            };
        }
        if (clampGroup < 0 || arm != Arm.CLAMP) return arm.label();
        return "clamp_" + dev.normclock.train.CellSpec.clampGroupName(clampGroup, model);
    }

    /** A modular-addition cell's task (not defined for sparse parity). */
    public ModularAddition task() {
        requireModular();
        return new ModularAddition(p, trainFrac);
    }

    /** A modular-addition cell's MLP shape (not defined for sparse parity). */
    public MlpShape shape() {
        requireModular();
        return new MlpShape(p, d, hidden);
    }

    /** The learning rate of the free control whose Wc this cell multiplies. */
    public double controlLr() {
        return Double.isNaN(wcLr) ? lr : wcLr;
    }

    /** The temperature of the free control whose Wc this cell multiplies. */
    public double controlTemperature() {
        return Double.isNaN(wcTau) ? temperature : wcTau;
    }

    /** Whether {@code control} is the free cell whose Wc this clamped cell uses. */
    public boolean isControlOf(CellPlan cell) {
        return arm == Arm.FREE && cell.arm != Arm.FREE && experiment.equals(cell.experiment) && sameTask(cell) && hidden == cell.hidden
                && same(weightDecay, cell.weightDecay) && decayAfter == cell.decayAfter && same(lr, cell.controlLr()) && same(temperature, cell.controlTemperature())
                && squaredError == cell.squaredError && model.equals(cell.model) && layerNorm == cell.layerNorm && precision == cell.precision;
    }

    /** The same modular task (p, f, d), or the same parity task (n, k, m and test points: the test set sets where T_grok is measured). */
    private boolean sameTask(CellPlan cell) {
        if (isParity() || cell.isParity()) return java.util.Objects.equals(parity, cell.parity);
        return p == cell.p && same(trainFrac, cell.trainFrac) && d == cell.d;
    }

    static boolean same(double a, double b) {
        return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    }

    /** The default id: every field that tells cells apart, in a fixed order. */
    static String defaultId(Arm arm, int p, double f, int d, int h, double lr, double wd, double rho) {
        String id = String.format(Locale.ROOT, "p%d_f%.2f_d%d_H%d_wd%s_lr%s_%s", p, f, d, h, num(wd), num(lr), arm.label());
        return arm == Arm.FREE ? id : id + String.format(Locale.ROOT, "_rho%.2f", rho);
    }

    /** The default id with what Paper B varies, where it differs from Paper A's setting. */
    static String defaultId(Arm arm, int p, double f, int d, int h, double lr, double wd, double rho, double tau, boolean mse,
                            String group, String model, boolean layerNorm) {
        String id = (dev.normclock.model.ModelKind.of(model) == dev.normclock.model.ModelKind.MLP ? "" : layerNorm ? "attnln_" : "attn_") + defaultId(arm, p, f, d, h, lr, wd, rho);
        if (!group.equals("all") && arm != Arm.FREE) id += "_" + group;
        if (tau != 1) id += String.format(Locale.ROOT, "_tau%.2f", tau);
        return mse ? id + "_mse" : id;
    }

    /**
     * A parity cell's default id: its task, width, decay, learning rate and arm, with what Paper B
     * varies and a test size other than the papers' 2000 where they differ.
     */
    static String defaultParityId(Arm arm, SparseParity t, int h, double lr, double wd, double rho, double tau, boolean mse, String group) {
        String id = String.format(Locale.ROOT, "parity_n%d_k%d_m%d_H%d_wd%s_lr%s_%s", t.n(), t.k(), t.trainSize(), h, num(wd), num(lr),
                arm.label());
        if (arm != Arm.FREE) id += String.format(Locale.ROOT, "_rho%.2f", rho);
        if (t.testSize() != SparseParity.paper().testSize()) id += "_test" + t.testSize();
        if (!group.equals("all") && arm != Arm.FREE) id += "_" + group;
        if (tau != 1) id += String.format(Locale.ROOT, "_tau%.2f", tau);
        return mse ? id + "_mse" : id;
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.0e", v).replace("e+00", "").replace("e-0", "e-");
    }

    /** What a default id adds for an allocation and for float64: "_alloc+0.30", "_float64". */
    static String idSuffix(double allocGamma, dev.normclock.backend.Precision precision) {
        String s = Double.isNaN(allocGamma) ? "" : String.format(Locale.ROOT, "_alloc%+.2f", allocGamma);
        return precision == dev.normclock.backend.Precision.FLOAT32 ? s : s + "_" + precision.label();
    }

    /** The run's configuration as stored with it (snake_case). */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("experiment", experiment);
        c.put("cell", id);
        c.put("arm", arm.label());
        c.put("model", model);
        c.put("layer_norm", layerNorm);
        if (isParity()) {
            c.put("parity_n", parity.n());
            c.put("parity_k", parity.k());
            c.put("parity_m", parity.trainSize());
            c.put("parity_test", parity.testSize());
        }
        c.put("task", isParity() ? "sparse_parity" : "modular_addition");
        c.put("p", isParity() ? null : p);
        c.put("train_frac", isParity() ? null : trainFrac);
        c.put("d", isParity() ? null : d);
        c.put("hidden", hidden);
        c.put("lr", lr);
        c.put("weight_decay", weightDecay);
        c.put("decay_order", decayAfter ? "after" : "before");
        c.put("rho", arm == Arm.FREE ? null : rho);
        c.put("t_int", tInt);
        c.put("max_steps", maxSteps);
        c.put("eval_grid", evalGrid);
        c.put("retire_window", retireWindow);
        c.put("bias_init_std", biasStd);
        c.put("temperature", temperature);
        c.put("loss", squaredError ? "mse" : "ce");
        c.put("clamp_group", dev.normclock.train.CellSpec.clampGroupName(clampGroup, model));
        c.put("alloc_gamma", Double.isNaN(allocGamma) ? null : allocGamma);
        // a setting of the earlier allocation, always false now: kept so that a study's configs, and
        // so its checkpoints' fingerprints, stay those it was started with and it resumes across the change
        c.put("alloc_hold", false);
        c.put("precision", precision.label());
        // only when set: the runs of studies without them keep the configs (and checkpoint fingerprints) they had
        if (untilCell) c.put("until", "cell");
        if (wcFinal) c.put("wc_norm", "final");
        return c;
    }
}
