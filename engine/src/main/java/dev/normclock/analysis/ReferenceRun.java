package dev.normclock.analysis;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One seed of one cell of the papers' released per-seed results ({@link ReferenceData}). Both
 * papers' columns in one record: a column the row's paper does not have, or an empty field, is
 * −1 for whole numbers, NaN for reals and null for text.
 *
 * @param experiment the authors' experiment (grokfss, denserho, pscan, dose, ...)
 * @param cell       the authors' configuration id, unique within the experiment
 * @param model      Paper A's {@code model} (mlp, attention, attention_ln, parity_mlp) or Paper B's {@code arch} (mlp, tfnoln)
 * @param p          modulus (−1 for sparse parity)
 * @param trainFrac  training fraction (NaN for sparse parity)
 * @param parityN    sparse parity: number of bits (Paper A only)
 * @param parityK    sparse parity: relevant bits
 * @param parityM    sparse parity: training points
 * @param d          embedding width
 * @param hidden     hidden width (column H)
 * @param wd         weight decay λ
 * @param lr         learning rate
 * @param arm        the arm as released (ctrl, none, fss, ab, free, clamp, rescale, layer, alloc, clamp_same, ...);
 *                   see {@link #armKind()}
 * @param rho        clamp multiple ρ
 * @param wc         the Wc that ρ multiplied
 * @param tInt       step at which the intervention starts
 * @param maxSteps   the cell's step budget
 * @param seed       seed index within the cell
 * @param tMem       first logged step with train accuracy ≥ 0.99; −1 = not reached
 * @param tGrok      first logged step with test accuracy ≥ 0.90; −1 = not reached
 * @param normAtGrok ‖W‖ at T_grok (NaN when it did not grok or was not released)
 * @param loss       Paper B: ce or mse
 * @param tau        Paper B: logit temperature τ
 * @param gamma      Paper B: per-group allocation shift γ
 * @param tFork      Paper B: step at which the forking arms split
 */
public record ReferenceRun(String experiment, String cell, String model, int p, double trainFrac,
                           int parityN, int parityK, int parityM, int d, int hidden, double wd, double lr,
                           String arm, double rho, double wc, int tInt, int maxSteps, int seed,
                           int tMem, int tGrok, double normAtGrok, String loss, double tau, double gamma, int tFork) {

    public boolean grokked() {
        return tGrok >= 0;
    }

    /**
     * The arm's kind: "free" for the arms without any norm intervention (ctrl, none, fss, free, and
     * ab — Paper A's λ/lr ablation of free runs); for an intervention on one parameter group, the
     * arm joined with the group that the cell id names (e.g. "clamp_unembed", "layer_embed": the
     * flattened arm column says only "clamp" / "layer" there); otherwise the arm itself ("clamp",
     * "rescale", ...). So "clamp" always means the whole-model clamp.
     */
    public String armKind() {
        return armKind(arm, cell);
    }

    private static final Pattern GROUP_ARM = Pattern.compile("__(clamp|layer)_([a-z]+)_");

    /** See {@link #armKind()}. */
    public static String armKind(String arm, String cell) {
        return switch (arm) {
            case "ctrl", "none", "fss", "free", "ab" -> "free";
            case "clamp", "layer" -> {
                Matcher m = GROUP_ARM.matcher(cell);
                yield m.find() && m.group(1).equals(arm) ? arm + "_" + m.group(2) : arm;
            }
            default -> arm;
        };
    }

    /** True when every configuration column (all but seed and the outcomes) equals {@code o}'s; NaN equals NaN. */
    public boolean sameConfig(ReferenceRun o) {
        return experiment.equals(o.experiment) && cell.equals(o.cell) && Objects.equals(model, o.model)
            && p == o.p && same(trainFrac, o.trainFrac) && parityN == o.parityN && parityK == o.parityK
            && parityM == o.parityM && d == o.d && hidden == o.hidden && same(wd, o.wd) && same(lr, o.lr)
            && arm.equals(o.arm) && same(rho, o.rho) && same(wc, o.wc) && tInt == o.tInt && maxSteps == o.maxSteps
            && Objects.equals(loss, o.loss) && same(tau, o.tau) && same(gamma, o.gamma) && tFork == o.tFork;
    }

    private static boolean same(double x, double y) {
        return Double.compare(x, y) == 0;
    }
}
