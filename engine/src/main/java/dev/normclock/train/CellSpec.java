package dev.normclock.train;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.normclock.model.MlpShape;
import dev.normclock.model.ModelKind;
import dev.normclock.task.ModularAddition;

/**
 * One cell of an experiment: the MLP on (a + b) mod p with one set of hyperparameters, trained
 * for several seeds. The clamp target is ρ·Wc, or an absolute norm, or none (a free run).
 *
 * @param seeds      seed indices; with the base key they fix each model's init and split
 * @param decayAfter false: Paper A's order (decay before the Adam update)
 * @param clampNorm  an absolute clamp target, or NaN
 * @param biasStd    standard deviation of the initial biases (Paper A: 1e-6, Paper B: 0)
 * @param squaredError Paper B's MSE loss instead of cross-entropy
 * @param clampGroup -1: the clamp holds ‖W‖ (E, W1, W2); else the index of the one weight matrix
 *                   (0 E, 1 W1, 3 W2) whose norm it holds, the others free
 * @param fork       Paper B's forking arm: from clampFrom the norm is held at ρ times the run's own
 *                   norm there (no Wc)
 * @param model      mlp (Paper A's MLP) or attention (the one-layer attention model; hidden is its
 *                   MLP width, heads of 32)
 * @param layerNorm  the attention model's non-affine LayerNorms (the LayerNorm control)
 * @param parity     for model parity-mlp, the sparse-parity task (p, trainFrac and d then unused);
 *                   null for modular addition
 * @param allocGamma Paper B's per-group allocation at fixed total norm: every clamp holds E, W1 and
 *                   W2 each at its own target, the three making up the clamp target (see
 *                   {@link dev.normclock.model.Allocation}); NaN: none
 * @param allocShares with allocGamma: the free control's shares (fE, fW1, fW2) the targets come
 *                   from; null otherwise
 */
public record CellSpec(int p, double trainFrac, int d, int hidden, double lr, double weightDecay, boolean decayAfter,
                       double rho, double wc, double clampNorm, int clampFrom, double temperature, int[] seeds,
                       int maxSteps, String evalGrid, int retireWindow, long baseKey, double biasStd, boolean squaredError,
                       int clampGroup, boolean fork, String model, boolean layerNorm, dev.normclock.task.SparseParity parity,
                       double allocGamma, double[] allocShares) {

    /** What a clamp can hold alone, by name: the MLP's weight matrices (by tensor index). */
    public static final java.util.Map<String, Integer> CLAMP_GROUPS = ModelKind.MLP.clampGroups;
    /** The attention model's parameter groups (PROTOCOL §3: embed, attn, mlp, unembed). */
    public static final java.util.Map<String, Integer> ATTENTION_GROUPS = ModelKind.ATTENTION.clampGroups;

    /** The parity MLP's weight matrices by tensor index. */
    public static final java.util.Map<String, Integer> PARITY_GROUPS = ModelKind.PARITY_MLP.clampGroups;

    public static java.util.Map<String, Integer> clampGroups(String model) {
        return ModelKind.of(model).clampGroups;
    }

    /** A cell with cross-entropy and the clamp on the whole norm. */
    public CellSpec(int p, double trainFrac, int d, int hidden, double lr, double weightDecay, boolean decayAfter,
                    double rho, double wc, double clampNorm, int clampFrom, double temperature, int[] seeds,
                    int maxSteps, String evalGrid, int retireWindow, long baseKey, double biasStd) {
        this(p, trainFrac, d, hidden, lr, weightDecay, decayAfter, rho, wc, clampNorm, clampFrom, temperature, seeds, maxSteps,
                evalGrid, retireWindow, baseKey, biasStd, false, -1, false, ModelKind.MLP.label, false, null, Double.NaN, null);
    }

    public static int clampGroup(String name, String model) {
        return ModelKind.of(model).clampGroup(name);
    }

    public static String clampGroupName(int group, String model) {
        return ModelKind.of(model).clampGroupName(group);
    }

    public String clampGroupName() {
        return clampGroupName(clampGroup, model);
    }

    public CellSpec {
        if (parity == null) {
            new ModularAddition(p, trainFrac); // validates p and f
            new MlpShape(p, d, hidden);
            new dev.normclock.model.ModularPopulation.Kind(model, p, d, hidden, layerNorm); // validates the model and its shape
        } else {
            require(model.equals(ModelKind.PARITY_MLP.label), "the sparse-parity task trains the parity-mlp model, not " + model);
            require(hidden >= 1, "--hidden must be at least 1, got " + hidden);
        }
        require(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "--wd must be zero or positive, got " + weightDecay);
        require(temperature > 0 && Double.isFinite(temperature), "--temperature must be positive, got " + temperature);
        require(seeds.length > 0, "--seeds must name at least one seed");
        require(Arrays.stream(seeds).allMatch(s -> s >= 0), "seed indices must be zero or positive");
        require(Arrays.stream(seeds).distinct().count() == seeds.length, "--seeds lists a seed twice");
        require(maxSteps >= 1, "--steps must be at least 1, got " + maxSteps);
        require(clampFrom >= 1, "--clamp-from must be at least 1, got " + clampFrom);
        require(biasStd >= 0, "the bias init std must be zero or positive");
        require(clampGroups(model).containsValue(clampGroup), "no clamp group " + clampGroup + " in the " + model + " model");
        require(Double.isNaN(rho) || (rho > 0 && Double.isFinite(rho)), "--rho must be positive, got " + rho);
        require(Double.isNaN(wc) || (wc > 0 && Double.isFinite(wc)), "--wc must be positive, got " + wc);
        require(Double.isNaN(clampNorm) || (clampNorm > 0 && Double.isFinite(clampNorm)), "--norm must be positive, got " + clampNorm);
        require(!fork || (!Double.isNaN(rho) && Double.isNaN(wc) && Double.isNaN(clampNorm)),
                "--fork-at needs --rho (the multiple of the run's own norm at the fork) and neither --wc nor --norm");
        require(fork || Double.isNaN(rho) == Double.isNaN(wc), Double.isNaN(wc)
                ? "--rho needs --wc, the critical norm it multiplies (or give an absolute target with --norm)"
                : "--wc needs --rho, the multiple of Wc to hold the norm at");
        require(Double.isNaN(clampNorm) || Double.isNaN(rho), "give either --rho with --wc or --norm, not both");
        require(Double.isNaN(allocGamma) || (allocGamma > -1 && Double.isFinite(allocGamma)),
                "--alloc-gamma must be greater than -1 (W2's part of the power left after W1 is multiplied by 1 + gamma), got " + allocGamma);
        require(allocShares == null || !Double.isNaN(allocGamma), "--alloc-shares needs --alloc-gamma");
        require(Double.isNaN(allocGamma) || allocShares != null,
                "--alloc-gamma needs --alloc-shares fE,fW1,fW2: the free control's per-group norms over their root sum of squares");
        require(Double.isNaN(allocGamma) || ModelKind.of(model) == ModelKind.MLP,
                "--alloc-gamma applies to --model mlp only: Paper B's allocation is over its E, W1 and W2");
        require(Double.isNaN(allocGamma) || clampGroup < 0,
                "--alloc-gamma holds E, W1 and W2 each at its own target, not one group: drop --clamp-group");
        require(Double.isNaN(allocGamma) || (!fork && (!Double.isNaN(rho) || !Double.isNaN(clampNorm))),
                "--alloc-gamma holds the total norm at a target: give --rho with --wc, or --norm (not --fork-at)");
        if (allocShares != null) dev.normclock.model.Allocation.checkShares(allocShares);
        EvalSchedule.parse(evalGrid, maxSteps);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public boolean isParity() {
        return parity != null;
    }

    public ModularAddition task() {
        return new ModularAddition(p, trainFrac);
    }

    public MlpShape shape() {
        return new MlpShape(p, d, hidden);
    }

    public dev.normclock.model.ModularPopulation.Kind kind() {
        return new dev.normclock.model.ModularPopulation.Kind(model, p, d, hidden, layerNorm);
    }

    /** ρ·Wc, the absolute norm, or NaN for a free run. */
    public double clampTarget() {
        if (fork) return Double.NaN; // set at the fork from the run's own norm
        if (!Double.isNaN(clampNorm)) return clampNorm;
        return Double.isNaN(rho) ? Double.NaN : rho * wc;
    }

    /** Paper B's allocation targets, indexed as the clamp groups (see {@link dev.normclock.backend.Hyper#allocTargets}); null without one. */
    public double[] allocTargets() {
        return Double.isNaN(allocGamma) ? null : dev.normclock.model.Allocation.mlpTargets(allocShares, clampTarget(), allocGamma);
    }

    public String decayOrder() {
        return decayAfter ? "after" : "before";
    }

    /** The cell's configuration as named values (snake_case, NaN as null), as stored and printed. */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", model);
        c.put("layer_norm", layerNorm);
        if (parity != null) {
            c.put("parity_n", parity.n());
            c.put("parity_k", parity.k());
            c.put("parity_m", parity.trainSize());
            c.put("parity_test", parity.testSize());
        }
        c.put("task", parity == null ? "modular_addition" : "sparse_parity");
        c.put("p", parity == null ? p : null);
        c.put("train_frac", parity == null ? trainFrac : null);
        c.put("d", parity == null ? d : null);
        c.put("hidden", hidden);
        c.put("lr", lr);
        c.put("weight_decay", weightDecay);
        c.put("decay_order", decayOrder());
        c.put("rho", nullIfNaN(rho));
        c.put("wc", nullIfNaN(wc));
        c.put("clamp_target", nullIfNaN(clampTarget()));
        c.put("clamp_from", clampFrom);
        c.put("temperature", temperature);
        c.put("loss", squaredError ? "mse" : "ce");
        c.put("clamp_group", clampGroupName());
        c.put("fork", fork);
        c.put("alloc_gamma", nullIfNaN(allocGamma));
        if (allocShares != null) {
            c.put("alloc_shares", groupValues(allocShares));
            c.put("alloc_targets", groupValues(dev.normclock.model.Allocation.groupNorms(allocShares, clampTarget(), allocGamma)));
        }
        c.put("max_steps", maxSteps);
        c.put("eval_grid", evalGrid);
        c.put("retire_window", retireWindow);
        c.put("base_key", baseKey);
        c.put("bias_init_std", biasStd);
        return c;
    }

    /** E, W1 and W2's values by name, as a stored config holds an allocation's shares and targets. */
    public static Map<String, Double> groupValues(double[] eW1W2) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("E", eW1W2[0]);
        m.put("W1", eW1W2[1]);
        m.put("W2", eW1W2[2]);
        return m;
    }

    private static Object nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
