package dev.normclock.backend.conformance;

import java.util.List;

import dev.normclock.backend.Backend;

/**
 * The losses with temperature, in both forms (labels given, or (a + b) mod p of the pairs), with a
 * gradient and without one (an evaluation slot, whose logits must stay as they are), and the fused
 * forward from the first layer's tables to the loss.
 */
final class LossCases {
    private LossCases() {
    }

    private static final String CE_RULE = "loss 16u·(1 + max|z|/τ); gradient 16·(s/τ)·(softmax_c·u·(1 + max|z|/τ) + u[c=y]); "
            + "logit scale 8u·‖z/τ‖; evaluation slot's logits exact; correct flags agree unless z's margin is within rounding";
    private static final String MSE_RULE = "loss 8u·Σ_c(|z_c|/τ + 1)²; gradient 8u·(s/τ)·(|z_c|/τ + 1); logit scale 8u·‖z/τ‖; "
            + "evaluation slot's logits exact; correct flags agree unless z's margin is within rounding";

    /** τ ≠ 1 for most slots; slot 3 evaluates only (gradient scale 0), the others' scales differ. */
    private static final float[] TAU = {1.3f, 1f, 1f, 1.7f, 0.7f};

    private static double[] gradScale(int n) {
        return new double[]{1.0 / n, 5, 1.0 / n, 0, 2};
    }

    static List<Case> cases() {
        return List.of(
                new Case("crossEntropy", "crossEntropy, labels (a + b) mod p of the pairs", CE_RULE, t -> crossEntropy(t, 41, 75, true, 4, 12)),
                new Case("crossEntropy", "crossEntropy, explicit labels, 2 classes", CE_RULE, t -> crossEntropy(t, 2, 150, false, 3, 30)),
                new Case("crossEntropy", "crossEntropy, explicit labels, 13 classes", CE_RULE, t -> crossEntropy(t, 13, 70, false, 3, 30)),
                new Case("squaredError", "squaredError, labels (a + b) mod p of the pairs", MSE_RULE, t -> squaredError(t, 23, 70, true)),
                new Case("squaredError", "squaredError, explicit labels, 2 classes", MSE_RULE, t -> squaredError(t, 2, 150, false)),
                hiddenToCrossEntropy(true), hiddenToCrossEntropy(false));
    }

    /** The rows' labels: (a + b) mod p of random pairs, or random classes. */
    private record Labels(int[][] pairs, int[][] labels) {
    }

    private static Labels labels(Trial t, int classes, int n, boolean fromPairs) {
        if (fromPairs) {
            int[][] pairs = GeluCases.pairs(t, classes, n);
            return new Labels(pairs, Backend.sumLabels(pairs, classes, new int[]{0, 1, 2, 3, 4}));
        }
        int[][] labels = new int[Trial.MODELS][n];
        for (int[] row : labels) for (int i = 0; i < n; i++) row[i] = t.rnd.nextInt(classes);
        return new Labels(null, labels);
    }

    /** Logits N(0, std²) with {@code lift} added on the label of every third row (confidently right; collapsed at 30), and z = logits + bias in double. */
    private static Twin logits(Trial t, int classes, int n, int[][] labels, double std, double lift) {
        return t.input(n, classes, (m, i, c) -> t.gauss(std) + (i % 3 == 0 && c == labels[m][i] ? lift : 0));
    }

    private static double[][][] z(Twin logits, Twin bias) {
        double[][][] z = new double[Trial.MODELS][logits.rows()][logits.cols()];
        for (int m : Trial.LISTED)
            for (int i = 0; i < logits.rows(); i++)
                for (int c = 0; c < logits.cols(); c++) z[m][i][c] = logits.at(m, i, c) + bias.at(m, 0, c);
        return z;
    }

    private static void crossEntropy(Trial t, int classes, int n, boolean fromPairs, double std, double lift) {
        Labels y = labels(t, classes, n, fromPairs);
        Twin logits = logits(t, classes, n, y.labels, std, lift), bias = t.gaussian(1, classes, 1);
        double[][][] z = z(logits, bias);
        double[] scale = gradScale(n);
        Trial.Rows loss = t.rows(n), norm = t.rows(n);
        Trial.Flags correct = t.flags(n);
        t.run((be, r) -> {
            if (fromPairs) be.crossEntropy(logits.of(r), bias.of(r), y.pairs, classes, TAU, scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED);
            else be.crossEntropy(logits.of(r), bias.of(r), y.labels, TAU, scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED);
        }, logits);
        compareCrossEntropy(t, "crossEntropy", z, null, y.labels, scale, logits, loss, norm, correct);
    }

    /**
     * A cross-entropy's outputs against the reference's. {@code dz}: how far the candidate's logits
     * may be off before the loss (null: they are the same floats), carried through the loss (which
     * is 2/τ-Lipschitz in max|Δz|) and the softmax (which moves by softmax_c·2·max|Δz|/τ).
     */
    static void compareCrossEntropy(Trial t, String what, double[][][] z, double[][][] dz, int[][] labels, double[] scale, Twin logits,
                                    Trial.Rows loss, Trial.Rows norm, Trial.Flags correct) {
        int n = logits.rows(), classes = logits.cols();
        double[][] lossScale = new double[Trial.MODELS][n], maxZ = new double[Trial.MODELS][n], maxDz = new double[Trial.MODELS][n];
        double[][] normDz = new double[Trial.MODELS][n];
        double[][][] softmax = new double[Trial.MODELS][n][classes];
        for (int m : Trial.LISTED)
            for (int i = 0; i < n; i++) {
                double tau = TAU[m], zMax = 0, top = Double.NEGATIVE_INFINITY, sum = 0, ss = 0, worstDz = 0;
                for (int c = 0; c < classes; c++) {
                    zMax = Math.max(zMax, Math.abs(z[m][i][c]));
                    top = Math.max(top, z[m][i][c] / tau);
                    double d = dz == null ? 0 : dz[m][i][c];
                    worstDz = Math.max(worstDz, d);
                    ss += d * d;
                }
                for (int c = 0; c < classes; c++) sum += softmax[m][i][c] = Math.exp(z[m][i][c] / tau - top);
                for (int c = 0; c < classes; c++) softmax[m][i][c] /= sum;
                // the logits enter as fl(z/τ): an error of ~u·|z|/τ in the exponent, so the loss is
                // accurate to a few u·(1 + max|z|/τ) absolutely
                lossScale[m][i] = Rules.U * (1 + zMax / tau);
                maxZ[m][i] = zMax;
                maxDz[m][i] = worstDz;
                normDz[m][i] = Math.sqrt(ss);
            }
        t.compare(what + " row loss", loss, (m, i) -> Rules.reported(16 * lossScale[m][i] + 2 * maxDz[m][i] / TAU[m], loss.ref()[m][i]));
        t.compare(what + " logit scale", norm, (m, i) -> Rules.reported(8 * Rules.U * norm.ref()[m][i] + normDz[m][i] / TAU[m], norm.ref()[m][i]));
        t.compare(what + " correct", correct, (m, i) -> withinRounding(z[m][i], labels[m][i], 2 * maxDz[m][i] + 2 * Rules.U * maxZ[m][i]));
        t.compare(what + (dz == null ? " gradient (evaluation slot: the logits unchanged)" : " gradient (evaluation slot: the logits)"), logits, (m, i, c) -> {
            if (scale[m] <= 0) return dz == null ? 0 : dz[m][i][c];
            double g = scale[m] / TAU[m], sm = softmax[m][i][c];
            // each softmax entry carries the exponent error u·(1 + max|z|/τ) relative to itself; the label's entry also the rounding of softmax − 1
            return 16 * g * (sm * lossScale[m][i] + (c == labels[m][i] ? Rules.U : 0) + 1e-38) + g * sm * 2 * maxDz[m][i] / TAU[m];
        });
    }

    /**
     * Whether row z's decision (argmax = label) is within {@code rounding} of going the other way:
     * the label's logit and the largest other are that close. Only there may the flags differ.
     */
    private static boolean withinRounding(double[] z, int label, double rounding) {
        double other = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < z.length; c++) if (c != label) other = Math.max(other, z[c]);
        return Math.abs(z[label] - other) <= rounding;
    }

    private static void squaredError(Trial t, int classes, int n, boolean fromPairs) {
        Labels y = labels(t, classes, n, fromPairs);
        Twin logits = logits(t, classes, n, y.labels, 0.5, 2), bias = t.gaussian(1, classes, 0.2);
        double[][][] z = z(logits, bias);
        double[] scale = gradScale(n);
        Trial.Rows loss = t.rows(n), norm = t.rows(n);
        Trial.Flags correct = t.flags(n);
        t.run((be, r) -> {
            if (fromPairs) be.squaredError(logits.of(r), bias.of(r), y.pairs, classes, TAU, scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED);
            else be.squaredError(logits.of(r), bias.of(r), y.labels, TAU, scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED);
        }, logits);
        t.compare("squaredError row loss", loss, (m, i) -> {
            // every term (z/τ − onehot)² carries a few u of its own size: bound by u·Σ(|z|/τ + 1)²
            double mag = 0;
            for (int c = 0; c < classes; c++) mag += Math.pow(Math.abs(z[m][i][c]) / TAU[m] + 1, 2);
            return Rules.reported(8 * Rules.U * mag, loss.ref()[m][i]);
        });
        t.compare("squaredError logit scale", norm, (m, i) -> Rules.reported(8 * Rules.U * norm.ref()[m][i], norm.ref()[m][i]));
        t.compare("squaredError correct", correct, (m, i) -> {
            double zMax = 0;
            for (double v : z[m][i]) zMax = Math.max(zMax, Math.abs(v));
            return withinRounding(z[m][i], y.labels[m][i], 2 * Rules.U * zMax);
        });
        t.compare("squaredError gradient (evaluation slot: the logits unchanged)", logits, (m, i, c) ->
                scale[m] <= 0 ? 0 : 8 * Rules.U * scale[m] / TAU[m] * (Math.abs(z[m][i][c]) / TAU[m] + 1));
    }

    /**
     * The fused forward: hiddenForward, logits = act·w2, crossEntropy. The logits carry the GEMM's
     * error and act's, Δz_ic = 1e-5·Σ_j |act_ij·w2_jc| + Σ_j |w2_jc|·tol(act_ij), which the loss,
     * gradient and scale rules take on.
     */
    private static Case hiddenToCrossEntropy(boolean training) {
        String name = training ? "hiddenToCrossEntropy (training: slope, gradient)" : "hiddenToCrossEntropy (evaluation: no slope, no gradient)";
        return new Case("hiddenToCrossEntropy", name, "act, slope as hiddenForward; " + CE_RULE + ", each widened by the logits' error Δz", t -> {
            int p = 23, h = 70, n = 101;
            Twin pa = t.gaussian(p, h, 1.5), pb = t.gaussian(p, h, 1.5), b1 = t.gaussian(1, h, 1.5), w2 = t.gaussian(h, p, 0.3), b2 = t.gaussian(1, p, 1);
            int[][] pairs = GeluCases.pairs(t, p, n);
            int[][] labels = Backend.sumLabels(pairs, p, new int[]{0, 1, 2, 3, 4});
            double[] scale = training ? gradScale(n) : new double[Trial.MODELS];
            Twin act = t.output(n, h), slope = training ? t.output(n, h) : null, logits = t.output(n, p);
            Trial.Rows loss = t.rows(n), norm = t.rows(n);
            Trial.Flags correct = t.flags(n);
            t.run((be, r) -> be.hiddenToCrossEntropy(pa.of(r), pb.of(r), b1.of(r), pairs, p, act.of(r), slope == null ? null : slope.of(r), w2.of(r), h,
                    logits.of(r), b2.of(r), TAU, scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED), act, slope, logits);
            double[][][] tolAct = new double[Trial.MODELS][n][h];
            for (int m : Trial.LISTED)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < h; j++) {
                        double a = pa.at(m, pairs[m][i] / p, j), b = pb.at(m, pairs[m][i] % p, j), c = b1.at(m, 0, j);
                        tolAct[m][i][j] = Rules.geluTolerance(a + b + c, act.at(m, i, j), 2 * Rules.U * (Math.abs(a) + Math.abs(b) + Math.abs(c)));
                    }
            t.compare(name + " act", act, (m, i, j) -> tolAct[m][i][j]);
            if (slope != null)
                t.compare(name + " slope", slope, (m, i, j) -> {
                    double a = pa.at(m, pairs[m][i] / p, j), b = pb.at(m, pairs[m][i] % p, j), c = b1.at(m, 0, j);
                    return Rules.slopeTolerance(a + b + c, act.at(m, i, j), 2 * Rules.U * (Math.abs(a) + Math.abs(b) + Math.abs(c)));
                });
            double[][][] z = new double[Trial.MODELS][n][p], dz = new double[Trial.MODELS][n][p];
            for (int m : Trial.LISTED)
                for (int i = 0; i < n; i++)
                    for (int c = 0; c < p; c++) {
                        double s = 0, mag = 0, carried = 0;
                        for (int j = 0; j < h; j++) {
                            s += act.at(m, i, j) * w2.at(m, j, c);
                            mag += Math.abs(act.at(m, i, j) * w2.at(m, j, c));
                            carried += Math.abs(w2.at(m, j, c)) * tolAct[m][i][j];
                        }
                        z[m][i][c] = s + b2.at(m, 0, c);
                        dz[m][i][c] = Rules.GEMM * mag + carried;
                    }
            compareCrossEntropy(t, name, z, dz, labels, scale, logits, loss, norm, correct);
        });
    }
}
