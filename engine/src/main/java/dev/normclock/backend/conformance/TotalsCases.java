package dev.normclock.backend.conformance;

import java.util.List;

import dev.normclock.backend.Backend;
import dev.normclock.backend.ClampPlan;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.LossTotals;
import dev.normclock.backend.Readout;
import dev.normclock.backend.Tensor;

/**
 * The forms of the step that keep results where the backend computes — losses summed into
 * {@link LossTotals}, AdamW followed by a {@link ClampPlan} — against the same backend's forms that
 * return everything to the host, which the other cases check against the reference: the same
 * gradients and weights bit for bit; the totals against the reference's returned rows, summed; the
 * first non-finite step kept. The plan form is checked against the reference too.
 */
final class TotalsCases {
    private TotalsCases() {
    }

    private static final float[] TAU = {1.3f, 1f, 1f, 1.7f, 0.7f};
    /** Slots 1 and 4 use the squared error, the others cross-entropy; slot 3 evaluates only. */
    private static final boolean[] SQUARED = {false, true, false, false, true};
    private static final String TOTALS_RULE = "gradients and outputs exactly as the row form's; totals against the reference's rows: Σ loss "
            + "within Σ 16u·(1 + max|z|/τ)·(1 + |loss|), Σ ‖z/τ‖ within 1e-5, rows right within the ties, rows with loss 0 as the reference's (no row near float32's edge); "
            + "the first non-finite step kept; the idle slot untouched";

    static List<Case> cases() {
        return List.of(
                new Case("loss", "loss into totals, cross-entropy and squared error mixed, two calls, a non-finite row", TOTALS_RULE,
                        TotalsCases::loss),
                new Case("hiddenToCrossEntropy", "hiddenToCrossEntropy into totals", TOTALS_RULE, TotalsCases::hiddenToCrossEntropy),
                new Case("sumSquares", "sumSquares of several tensors into a readout", "|err| ≤ 1e-6·Σx²; the idle slot's untouched",
                        TotalsCases::squaresIntoReadout),
                new Case("adamW", "adamW then a clamp plan (whole, group, allocation, not now)",
                        "as the row form then the plan on the host, bit for bit; against the reference 32u·|w| + 1e-5·lr·factor",
                        TotalsCases::adamWPlan));
    }

    private static double[] gradScale(int n) {
        return new double[]{1.0 / n, 5, 1.0 / n, 0, 2};
    }

    /** A second tensor with the same floats as {@code a}. */
    private static Twin copy(Trial t, Twin a) {
        return t.input(a.rows(), a.cols(), a::at);
    }

    private static void loss(Trial t) {
        int classes = 13, n = 90, second = 40;
        int[][] labels = new int[Trial.MODELS][n];
        for (int[] row : labels) for (int i = 0; i < n; i++) row[i] = t.rnd.nextInt(classes);
        // every third row so confidently right that its loss is 0 in float32 and float64 alike (collapsed), the
        // others far from that edge; slot 4 row 7 infinite
        Twin logits = t.input(n, classes, (m, i, c) -> m == 4 && i == 7 && c == 0 ? Double.POSITIVE_INFINITY
                : t.gauss(1.5) + (i % 3 == 0 && c == labels[m][i] ? 200 : 0));
        Twin rowsForm = copy(t, logits), bias = t.gaussian(1, classes, 1);
        double[][][] initial = new double[Trial.MODELS][n][classes]; // the logits before the call overwrites them with gradients
        for (int m : Trial.LISTED) for (int i = 0; i < n; i++) for (int c = 0; c < classes; c++) initial[m][i][c] = logits.at(m, i, c);
        Twin later = t.gaussian(second, classes, 2), laterRows = copy(t, later);
        int[][] laterLabels = new int[Trial.MODELS][];
        for (int m = 0; m < Trial.MODELS; m++) laterLabels[m] = java.util.Arrays.copyOf(labels[m], second);
        double[] scale = gradScale(n), none = new double[Trial.MODELS];
        Trial.Rows loss = t.rows(n), norm = t.rows(n), loss2 = t.rows(second), norm2 = t.rows(second);
        Trial.Flags correct = t.flags(n), correct2 = t.flags(second);
        LossTotals[] totals = new LossTotals[2];
        Readout[] readouts = new Readout[2];
        t.run((be, r) -> {
            int side = r ? 0 : 1;
            readouts[side] = be.readout(Trial.MODELS, 0);
            LossTotals tot = totals[side] = readouts[side].train;
            tot.clear(Trial.LISTED);
            be.loss(logits.of(r), bias.of(r), labels, SQUARED, TAU, scale, tot, 5, Trial.LISTED);
            be.loss(later.of(r), bias.of(r), laterLabels, SQUARED, TAU, none, tot, 9, Trial.LISTED); // adds; a later step does not replace 5
            readouts[side].read(Trial.LISTED);
            rowForm(be, rowsForm.of(r), bias.of(r), labels, scale, loss.of(r), correct.of(r), norm.of(r));
            rowForm(be, laterRows.of(r), bias.of(r), laterLabels, none, loss2.of(r), correct2.of(r), norm2.of(r));
        }, logits, rowsForm, later, laterRows);
        // the oracle: the reference's returned rows (the candidate's own could be the broken part)
        for (int side = 0; side < 2; side++) {
            boolean r = side == 0;
            String who = r ? "reference" : "candidate";
            LossTotals tot = totals[side];
            for (int m : Trial.LISTED) {
                float[][] l = {loss.ref()[m], loss2.ref()[m]}, s = {norm.ref()[m], norm2.ref()[m]};
                boolean[][] ok = {correct.ref()[m], correct2.ref()[m]};
                Twin[] z = {logits, later};
                double sum = 0, tol = 0, scaleSum = 0;
                long right = 0, ties = 0, zero = 0;
                for (int k = 0; k < 2; k++)
                    for (int i = 0; i < l[k].length; i++) {
                        double zMax = 0, top = Double.NEGATIVE_INFINITY, next = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < classes; c++) {
                            double v = (k == 0 ? initial[m][i][c] : later.at(m, i, c)) + bias.at(m, 0, c);
                            zMax = Math.max(zMax, Math.abs(v));
                            if (v > top) {
                                next = top;
                                top = v;
                            } else next = Math.max(next, v);
                        }
                        sum += l[k][i];
                        scaleSum += s[k][i];
                        tol += r ? 1e-12 * Math.abs(l[k][i]) : 16 * Rules.U * (1 + zMax / TAU[m]) * (1 + Math.abs(l[k][i]));
                        if (ok[k][i]) right++;
                        if (top - next <= 1e-5 * zMax) ties++;
                        if (l[k][i] == 0f) zero++;
                        if (!SQUARED[m] && l[k][i] != 0 && l[k][i] < 1e-6) t.violation("the case has a row near float32's collapse: loss " + l[k][i]);
                    }
                String at = "loss totals (" + who + ") slot " + m;
                int expectedStep = m == 4 ? 5 : 0;
                if (tot.nonFiniteStep[m] != expectedStep) t.violation(at + ": first non-finite step " + tot.nonFiniteStep[m] + ", not " + expectedStep);
                if (m == 4) continue; // its sums are not finite
                t.compare(at + " Σ loss", sum, tot.loss[m], tol + 1e-30);
                t.compare(at + " Σ ‖z/τ‖", scaleSum, tot.scale[m], (r ? 1e-12 : 1e-5) * scaleSum + 1e-30);
                if (Math.abs(tot.correct[m] - right) > ties) t.violation(at + ": " + tot.correct[m] + " rows right, the reference's rows say " + right);
                if (tot.collapsed[m] != zero) t.violation(at + ": " + tot.collapsed[m] + " rows with loss 0, the reference's rows say " + zero);
                if (m == 0 && zero == 0) t.violation("the case meant slot 0 to have collapsed rows and has none");
                if (tot.rows[m] != n + second) t.violation(at + ": " + tot.rows[m] + " rows, not " + (n + second));
            }
            readouts[side].read(new int[]{Trial.IDLE});
            if (tot.rows[Trial.IDLE] != 0 || tot.nonFiniteStep[Trial.IDLE] != 0) t.violation(who + ": the idle slot's totals were written");
            tot.clear(Trial.LISTED);
            readouts[side].read(Trial.LISTED);
            if (tot.rows[0] != 0 || tot.loss[0] != 0) t.violation(who + ": cleared totals read " + tot.rows[0] + " rows");
            if (tot.nonFiniteStep[4] != 5) t.violation(who + ": clearing forgot the non-finite step");
            readouts[side].close();
        }
        // the candidate's gradients, bit for bit its row form's (the reference's against its own likewise)
        for (int m : Trial.LISTED)
            for (int i = 0; i < n; i++)
                for (int c = 0; c < classes; c++) {
                    double a = logits.cand().getDouble(m, i, c), b = rowsForm.cand().getDouble(m, i, c);
                    if (Double.compare(a, b) != 0 && !(Double.isNaN(a) && Double.isNaN(b)))
                        t.violation("loss: the candidate's gradient slot " + m + " row " + i + " column " + c + " is " + a + ", its row form's " + b);
                }
    }

    /** The returned-rows form of {@link Backend#loss}: one call per kind of loss. */
    private static void rowForm(Backend be, Tensor logits, Tensor bias, int[][] labels, double[] scale, float[][] loss, boolean[][] correct,
                                float[][] norm) {
        int[] ce = java.util.Arrays.stream(Trial.LISTED).filter(m -> !SQUARED[m]).toArray();
        int[] se = java.util.Arrays.stream(Trial.LISTED).filter(m -> SQUARED[m]).toArray();
        be.crossEntropy(logits, bias, labels, TAU, scale, loss, correct, norm, ce);
        be.squaredError(logits, bias, labels, TAU, scale, loss, correct, norm, se);
    }

    private static void hiddenToCrossEntropy(Trial t) {
        int p = 23, h = 70, n = 101;
        Twin pa = t.gaussian(p, h, 1.5), pb = t.gaussian(p, h, 1.5), b1 = t.gaussian(1, h, 1.5), w2 = t.gaussian(h, p, 0.3), b2 = t.gaussian(1, p, 1);
        int[][] pairs = GeluCases.pairs(t, p, n);
        double[] scale = gradScale(n);
        Twin act = t.output(n, h), slope = t.output(n, h), logits = t.output(n, p);
        Twin act2 = t.output(n, h), slope2 = t.output(n, h), logits2 = t.output(n, p);
        Trial.Rows loss = t.rows(n), norm = t.rows(n);
        Trial.Flags correct = t.flags(n);
        Readout[] readouts = new Readout[2];
        t.run((be, r) -> {
            Readout readout = readouts[r ? 0 : 1] = be.readout(Trial.MODELS, 0);
            LossTotals tot = readout.test;
            be.hiddenToCrossEntropy(pa.of(r), pb.of(r), b1.of(r), pairs, p, act.of(r), slope.of(r), w2.of(r), h, logits.of(r), b2.of(r), TAU,
                    scale, tot, 3, Trial.LISTED);
            readout.read(Trial.LISTED);
            be.hiddenToCrossEntropy(pa.of(r), pb.of(r), b1.of(r), pairs, p, act2.of(r), slope2.of(r), w2.of(r), h, logits2.of(r), b2.of(r), TAU,
                    scale, loss.of(r), correct.of(r), norm.of(r), Trial.LISTED);
        }, act, slope, logits, act2, slope2, logits2);
        for (Twin[] same : new Twin[][]{{act, act2}, {slope, slope2}, {logits, logits2}})
            for (int m : Trial.LISTED)
                for (int i = 0; i < same[0].rows(); i++)
                    for (int c = 0; c < same[0].cols(); c++)
                        if (Double.compare(same[0].cand().getDouble(m, i, c), same[1].cand().getDouble(m, i, c)) != 0)
                            t.violation("hiddenToCrossEntropy into totals: an output differs from the row form's at slot " + m + " row " + i + " column " + c);
        for (int side = 0; side < 2; side++) {
            boolean r = side == 0;
            LossTotals tot = readouts[side].test;
            for (int m : Trial.LISTED) {
                double sum = 0, mag = 0, s = 0;
                long right = 0;
                for (int i = 0; i < n; i++) {
                    sum += loss.of(r)[m][i];
                    mag += Math.abs(loss.of(r)[m][i]);
                    s += norm.of(r)[m][i];
                    if (correct.of(r)[m][i]) right++;
                }
                String at = "hiddenToCrossEntropy totals (" + (r ? "reference" : "candidate") + ") slot " + m;
                t.compare(at + " Σ loss", sum, tot.loss[m], 1e-12 * mag + 1e-30);
                t.compare(at + " Σ ‖z/τ‖", s, tot.scale[m], 1e-12 * s + 1e-30);
                if (tot.correct[m] != right) t.violation(at + ": " + tot.correct[m] + " rows right, the rows say " + right);
                if (tot.nonFiniteStep[m] != 0) t.violation(at + ": a finite loss recorded step " + tot.nonFiniteStep[m]);
            }
            readouts[side].close();
        }
    }

    private static void squaresIntoReadout(Trial t) {
        Twin[] ts = {t.gaussian(41, 37, 1), t.gaussian(1, 5, 3), t.gaussian(256, 130, 0.1)};
        double[][][] out = new double[2][][];
        t.run((be, r) -> {
            Tensor[] tensors = new Tensor[ts.length];
            for (int j = 0; j < ts.length; j++) tensors[j] = ts[j].of(r);
            try (Readout readout = be.readout(Trial.MODELS, ts.length)) {
                be.sumSquares(tensors, readout, Trial.LISTED);
                readout.read(new int[]{0, 1, 2, 3, 4});
                out[r ? 0 : 1] = readout.squares;
            }
        });
        for (int j = 0; j < ts.length; j++) {
            for (int m : Trial.LISTED) t.compare("sumSquares into a readout, tensor " + j + " slot " + m, out[0][m][j], out[1][m][j], 1e-6 * out[0][m][j]);
            if (out[1][Trial.IDLE][j] != 0) t.violation("sumSquares into a readout wrote the idle slot's Σx²");
        }
    }

    /** Three tensors; slot 0 holds its whole norm, slot 1 tensor 1 alone, slot 3 an allocation (each tensor at its own target), slot 4 clamps not now. */
    private static void adamWPlan(Trial t) {
        int[][] shapes = {{7, 13}, {41, 37}, {3, 37}};
        boolean[] decayed = {true, true, false};
        int count = shapes.length;
        Twin[][] sides = new Twin[2][4 * count]; // [plan form, host form][w, g, m1, m2 per tensor]
        for (int j = 0; j < count; j++) {
            int rows = shapes[j][0], cols = shapes[j][1];
            Twin[] four = {t.gaussian(rows, cols, 0.5), t.gaussian(rows, cols, 1e-2), t.gaussian(rows, cols, 1e-3),
                    t.input(rows, cols, (m, r, c) -> Math.abs(t.gauss(1e-4)))};
            for (int k = 0; k < 4; k++) {
                sides[0][4 * j + k] = four[k];
                sides[1][4 * j + k] = copy(t, four[k]);
            }
        }
        Hyper hyper = new Hyper(Trial.MODELS);
        for (int m = 0; m < Trial.MODELS; m++) {
            hyper.lr[m] = 1e-2f;
            hyper.weightDecay[m] = 1f;
            hyper.decayAfter[m] = m % 2 == 1;
        }
        ClampPlan plan = ClampPlan.none(Trial.MODELS);
        int[] whole = {1, 1, 1}, group = {0, 1, 0}, allocation = {1, 2, 3};
        int[][] layouts = {whole, group, null, allocation, whole};
        double[][] targets = {{3.5, 0, 0}, {2.0, 0, 0}, {0, 0, 0}, {1.2, 3.1, 0.7}, {4, 0, 0}};
        double[] t1 = new double[targets.length];
        for (int m : Trial.LISTED) {
            plan.sets()[m] = layouts[m];
            System.arraycopy(targets[m], 0, plan.targets()[m], 0, ClampPlan.SETS);
            t1[m] = targets[m][0];
            plan.now()[m] = m != 4;
        }
        Twin[] written = new Twin[6 * count];
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < count; j++) {
                written[s * 3 * count + 3 * j] = sides[s][4 * j];
                written[s * 3 * count + 3 * j + 1] = sides[s][4 * j + 2];
                written[s * 3 * count + 3 * j + 2] = sides[s][4 * j + 3];
            }
        t.run((be, r) -> {
            be.adamW(part(sides[0], 0, r), part(sides[0], 1, r), part(sides[0], 2, r), part(sides[0], 3, r), decayed, hyper, 4, plan, Trial.LISTED);
            double[][] ss = new double[Trial.MODELS][count];
            Tensor[] params = part(sides[1], 0, r);
            be.adamW(params, part(sides[1], 1, r), part(sides[1], 2, r), part(sides[1], 3, r), decayed, hyper, 4, ss, Trial.LISTED);
            plan.applyOnHost(be, params, ss, Trial.LISTED);
        }, written);
        for (int j = 0; j < count; j++) {
            Twin w = sides[0][4 * j], host = sides[1][4 * j];
            int jj = j;
            for (int k : new int[]{0, 2, 3})
                for (int m : Trial.LISTED)
                    for (int r = 0; r < shapes[j][0]; r++)
                        for (int c = 0; c < shapes[j][1]; c++)
                            if (Double.compare(sides[0][4 * j + k].cand().getDouble(m, r, c), sides[1][4 * j + k].cand().getDouble(m, r, c)) != 0)
                                t.violation("adamW with a plan: tensor " + jj + (k == 0 ? " w" : k == 2 ? " m1" : " m2") + " slot " + m
                                        + " differs from adamW then the plan on the host at " + r + ", " + c);
            t.compare("adamW with a plan, tensor " + j + " w", w, (m, r, c) -> 32 * Rules.U * Math.abs(w.at(m, r, c)) + 1e-5 * hyper.lr[m] * 4);
            t.compare("adamW then the plan on the host, tensor " + j + " w", host, (m, r, c) -> 32 * Rules.U * Math.abs(host.at(m, r, c)) + 1e-5 * hyper.lr[m] * 4);
        }
        // the plan did what it says: slot 0's whole norm is its target
        double ss = 0;
        for (int j = 0; j < count; j++) for (double v : sides[0][4 * j].cand().toDoubleArray(0)) ss += v * v;
        if (Math.abs(Math.sqrt(ss) - t1[0]) > 1e-5 * t1[0]) t.violation("slot 0's norm after the plan is " + Math.sqrt(ss) + ", its target " + t1[0]);
        for (int j = 0; j < count; j++) { // and slot 3's tensors are each at their own target
            double sj = 0;
            for (double v : sides[0][4 * j].cand().toDoubleArray(3)) sj += v * v;
            if (Math.abs(Math.sqrt(sj) - targets[3][j]) > 1e-5 * targets[3][j])
                t.violation("slot 3's tensor " + j + " after the plan has norm " + Math.sqrt(sj) + ", its target " + targets[3][j]);
        }
    }

    private static Tensor[] part(Twin[] four, int k, boolean reference) {
        Tensor[] out = new Tensor[four.length / 4];
        for (int j = 0; j < out.length; j++) out[j] = four[4 * j + k].of(reference);
        return out;
    }
}
