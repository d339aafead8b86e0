package dev.normclock.experiment;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.normclock.model.MlpShape;
import dev.normclock.task.ModularAddition;

/**
 * One cell of an experiment, fully resolved from its file: the MLP on (a + b) mod p with one set
 * of hyperparameters and one arm, trained for each listed seed.
 *
 * @param wc     a fixed Wc for the clamp target, or NaN to use the Wc measured by this cell's control
 * @param wcLr   the learning rate of the control whose Wc is used (NaN: this cell's own lr)
 * @param wcTau  the temperature of the control whose Wc is used (NaN: this cell's own τ)
 * @param tInt   the step from which the clamp holds (or at which the one-shot rescale happens)
 * @param temperature τ dividing the logits before the loss (Paper B)
 * @param squaredError Paper B's MSE loss instead of cross-entropy
 * @param clampGroup −1: the clamp holds ‖W‖; else the group it holds alone (MLP: 0 E, 1 W1, 3 W2;
 *                   attention: 0 embed, 1 attn, 2 mlp, 3 unembed)
 * @param model      mlp or attention (hidden is then its MLP width)
 * @param layerNorm  the attention model's LayerNorms
 */
public record CellPlan(String experiment, String id, Arm arm, int p, double trainFrac, int d, int hidden, double lr,
                       double weightDecay, boolean decayAfter, double rho, double wc, double wcLr, double wcTau, int tInt, int maxSteps,
                       int[] seeds, String evalGrid, int retireWindow, double biasStd, double temperature, boolean squaredError,
                       int clampGroup, String model, boolean layerNorm) {

    public dev.normclock.model.ModularPopulation.Kind kind() {
        return new dev.normclock.model.ModularPopulation.Kind(model, p, d, hidden, layerNorm);
    }

    /** Whether the cell is in Paper A's setting (cross-entropy, τ = 1). */
    public boolean paperASetting() {
        return temperature == 1 && !squaredError;
    }

    /** The arm as Paper A's released results name it: clamp, or clamp_GROUP for one group held alone. */
    public String referenceArm() {
        if (clampGroup < 0 || arm != Arm.CLAMP) return arm.label();
        return "clamp_" + dev.normclock.train.CellSpec.clampGroupName(clampGroup, model);
    }

    public ModularAddition task() {
        return new ModularAddition(p, trainFrac);
    }

    public MlpShape shape() {
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
        return arm == Arm.FREE && cell.arm != Arm.FREE && experiment.equals(cell.experiment) && p == cell.p
                && same(trainFrac, cell.trainFrac) && d == cell.d && hidden == cell.hidden && same(weightDecay, cell.weightDecay)
                && decayAfter == cell.decayAfter && same(lr, cell.controlLr()) && same(temperature, cell.controlTemperature())
                && squaredError == cell.squaredError && model.equals(cell.model) && layerNorm == cell.layerNorm;
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
        String id = (model.equals("mlp") ? "" : layerNorm ? "attnln_" : "attn_") + defaultId(arm, p, f, d, h, lr, wd, rho);
        if (!group.equals("all") && arm != Arm.FREE) id += "_" + group;
        if (tau != 1) id += String.format(Locale.ROOT, "_tau%.2f", tau);
        return mse ? id + "_mse" : id;
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.0e", v).replace("e+00", "").replace("e-0", "e-");
    }

    /** The run's configuration as stored with it (snake_case). */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("experiment", experiment);
        c.put("cell", id);
        c.put("arm", arm.label());
        c.put("model", model);
        c.put("layer_norm", layerNorm);
        c.put("task", "modular_addition");
        c.put("p", p);
        c.put("train_frac", trainFrac);
        c.put("d", d);
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
        c.put("precision", "float32");
        return c;
    }
}
