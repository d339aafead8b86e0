package dev.normclock.backend.conformance;

import java.util.List;

/** The MLP's hidden layer: the GELU forms (first layer from its tables, dense, plain), their backward passes. */
final class GeluCases {
    private GeluCases() {
    }

    private static final String GELU_RULE = "GELU: |err| ≤ 6e-7·|GELU(x)|·(1 + x²)[x<0] + |GELU'(x)|·δx; "
            + "GELU': 6e-7·(Φ + |x|φ)·(1 + x²)[x<0] + |GELU''(x)|·δx; δx the float rounding of x; + 1e-36";
    private static final String GRID_RULE = "x on a grid over [−12, 12], exact: GELU 6e-7·|GELU(x)|·(1 + x²)[x<0], GELU' 6e-7·(Φ + |x|φ)·(1 + x²)[x<0], + 1e-36";
    private static final String SUM_RULE = "|err| ≤ 1e-6·Σ|dAct·slope| over the examples summed (+ 1e-36 a term); exactly 0 where no example falls";
    private static final String PRODUCT_RULE = "|err| ≤ u·|dAct·slope| (one float product)";

    private static final int P = 41, H = 37, N = 75;

    static List<Case> cases() {
        return List.of(
                hiddenForward(true), hiddenForward(false), hiddenForwardGrid(),
                new Case("hiddenBackward", "hiddenBackward", SUM_RULE, GeluCases::hiddenBackward),
                new Case("outputToHiddenBackward", "outputToHiddenBackward (fused backward)",
                        "|err| ≤ (1e-5 + 1e-6)·Σ_i |slope_ij|·Σ_k |dLogits_ik·w2T_kj| (the GEMM's rule carried through the sums); exactly 0 where no example falls",
                        GeluCases::outputToHiddenBackward),
                biasGelu(false), biasGelu(true), biasGeluGrid(),
                geluBackward(false), geluBackward(true),
                gelu(false), gelu(true), geluGrid());
    }

    /** The pre-activation's reference value and how far the candidate's float sum of it may be off. */
    private record Pre(double x, double dx) {
    }

    /** GELU and GELU' outputs against the reference, x and its rounding given per element. */
    private static void compareGelu(Trial t, String what, Twin act, Twin slope, PreAt pre) {
        t.compare(what + " act", act, (m, i, j) -> {
            Pre x = pre.at(m, i, j);
            return Rules.geluTolerance(x.x, act.at(m, i, j), x.dx);
        });
        if (slope != null)
            t.compare(what + " slope", slope, (m, i, j) -> {
                Pre x = pre.at(m, i, j);
                return Rules.slopeTolerance(x.x, act.at(m, i, j), x.dx);
            });
    }

    @FunctionalInterface
    private interface PreAt {
        Pre at(int m, int i, int j);
    }

    static int[][] pairs(Trial t, int p, int n) {
        int[][] pairs = new int[Trial.MODELS][n];
        for (int[] row : pairs) for (int i = 0; i < n; i++) row[i] = t.rnd.nextInt(p * p);
        return pairs;
    }

    private static Case hiddenForward(boolean withSlope) {
        String name = withSlope ? "hiddenForward (act, slope)" : "hiddenForward (evaluation: act only)";
        return new Case("hiddenForward", name, GELU_RULE, t -> {
            Twin pa = t.input(P, H, (m, r, c) -> t.gauss(1.5 + m)), pb = t.gaussian(P, H, 1.5), bias = t.gaussian(1, H, 0.5);
            int[][] pairs = pairs(t, P, N);
            Twin act = t.output(N, H), slope = withSlope ? t.output(N, H) : null;
            t.run((be, r) -> be.hiddenForward(pa.of(r), pb.of(r), bias.of(r), pairs, P, act.of(r), slope == null ? null : slope.of(r),
                    Trial.LISTED), act, slope);
            // x = pa + pb + bias: two float additions in some order, each off by u of what it sums
            compareGelu(t, "hiddenForward", act, slope, (m, i, j) -> {
                double a = pa.at(m, pairs[m][i] / P, j), b = pb.at(m, pairs[m][i] % P, j), c = bias.at(m, 0, j);
                return new Pre(a + b + c, 2 * Rules.U * (Math.abs(a) + Math.abs(b) + Math.abs(c)));
            });
        });
    }

    /** The grid value of element e of slot m: the slots interleave their grids over [−12, 12]. */
    private static double grid(int m, int e, int points) {
        return (float) (-12 + 24 * ((e + m / (double) Trial.MODELS) / (points - 1)));
    }

    /** pre = pa[i] with pb = bias = 0 and the pairs (i, i): the pre-activation is the grid value exactly. */
    private static Case hiddenForwardGrid() {
        return new Case("hiddenForward", "hiddenForward, x on a grid over [−12, 12]", GRID_RULE, t -> {
            Twin pa = t.input(P, H, (m, r, c) -> grid(m, r * H + c, P * H)), pb = t.input(P, H, (m, r, c) -> 0), bias = t.input(1, H, (m, r, c) -> 0);
            int[][] pairs = new int[Trial.MODELS][P];
            for (int[] row : pairs) for (int i = 0; i < P; i++) row[i] = i * P + i;
            Twin act = t.output(P, H), slope = t.output(P, H);
            t.run((be, r) -> be.hiddenForward(pa.of(r), pb.of(r), bias.of(r), pairs, P, act.of(r), slope.of(r), Trial.LISTED), act, slope);
            compareGelu(t, "hiddenForward", act, slope, (m, i, j) -> new Pre(pa.at(m, i, j), 0));
        });
    }

    private static void hiddenBackward(Trial t) {
        Twin dAct = t.gaussian(N, H, 1), slope = t.input(N, H, (m, r, c) -> t.gauss(1 + m));
        Twin dPa = t.output(P, H), dPb = t.output(P, H), dBias = t.output(1, H);
        int[][] pairs = pairs(t, P, N);
        t.run((be, r) -> be.hiddenBackward(dAct.of(r), slope.of(r), pairs, P, dPa.of(r), dPb.of(r), dBias.of(r), Trial.LISTED), dPa, dPb, dBias);
        double[][][] mag = scatterMagnitudes(pairs, P, N, H, (m, i, j) -> Math.abs(dAct.at(m, i, j) * slope.at(m, i, j)));
        compareScatter(t, "hiddenBackward", dPa, dPb, dBias, mag, N, Rules.SUM);
    }

    @FunctionalInterface
    private interface Term {
        double at(int m, int i, int j);
    }

    /** Σ of |term| over the examples each output sums: [m][0] per first token (p×h), [m][1] per second token, [m][2] the bias (h). */
    private static double[][][] scatterMagnitudes(int[][] pairs, int p, int n, int h, Term term) {
        double[][][] mag = new double[Trial.MODELS][3][];
        for (int m : Trial.LISTED) {
            mag[m][0] = new double[p * h];
            mag[m][1] = new double[p * h];
            mag[m][2] = new double[h];
            for (int i = 0; i < n; i++) {
                int a = pairs[m][i] / p, b = pairs[m][i] % p;
                for (int j = 0; j < h; j++) {
                    double v = term.at(m, i, j);
                    mag[m][0][a * h + j] += v;
                    mag[m][1][b * h + j] += v;
                    mag[m][2][j] += v;
                }
            }
        }
        return mag;
    }

    /** Each sum within rel·(its magnitude) + n·1e-36 (terms that underflow in float); a sum of no term exactly 0. */
    private static void compareScatter(Trial t, String what, Twin dPa, Twin dPb, Twin dBias, double[][][] mag, int n, double rel) {
        int h = dBias.cols();
        Twin[] outs = {dPa, dPb, dBias};
        String[] names = {" dPa", " dPb", " dBias"};
        for (int o = 0; o < 3; o++) {
            int which = o;
            t.compare(what + names[o], outs[o], (m, r, c) -> {
                double s = mag[m][which][r * h + c];
                return s == 0 ? 0 : rel * s + n * Rules.TINY;
            });
        }
    }

    private static void outputToHiddenBackward(Trial t) {
        int p = 23, h = 70, n = 101;
        Twin dLogits = t.gaussian(n, p, 1), w2T = t.gaussian(p, h, 1), slope = t.gaussian(n, h, 1);
        Twin dAct = t.output(n, h), dPa = t.output(p, h), dPb = t.output(p, h), dBias = t.output(1, h);
        int[][] pairs = pairs(t, p, n);
        t.run((be, r) -> be.outputToHiddenBackward(dLogits.of(r), w2T.of(r), p, dAct.of(r), slope.of(r), pairs, p, dPa.of(r), dPb.of(r),
                dBias.of(r), Trial.LISTED), dAct, dPa, dPb, dBias); // dAct: scratch, not compared
        double[][][] mag = scatterMagnitudes(pairs, p, n, h, (m, i, j) -> {
            double s = 0;
            for (int k = 0; k < p; k++) s += Math.abs(dLogits.at(m, i, k) * w2T.at(m, k, j));
            return Math.abs(slope.at(m, i, j)) * s;
        });
        compareScatter(t, "outputToHiddenBackward", dPa, dPb, dBias, mag, n, Rules.GEMM + Rules.SUM);
    }

    private static Case biasGelu(boolean inPlace) {
        String name = inPlace ? "biasGelu in place (act = pre, evaluation: no slope)" : "biasGelu (act, slope)";
        return new Case("biasGelu", name, GELU_RULE, t -> {
            int n = 150;
            Twin pre = t.input(n, H, (m, r, c) -> t.gauss(2.5 + m)), bias = t.gaussian(1, H, 0.5);
            double[][][] x = new double[Trial.MODELS][n][H]; // pre is overwritten in place: keep x
            for (int m : Trial.LISTED)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < H; j++) x[m][i][j] = pre.at(m, i, j) + bias.at(m, 0, j);
            Twin act = inPlace ? pre : t.output(n, H), slope = inPlace ? null : t.output(n, H);
            t.run((be, r) -> be.biasGelu(pre.of(r), bias.of(r), act.of(r), slope == null ? null : slope.of(r), Trial.LISTED), act, slope);
            compareGelu(t, "biasGelu", act, slope, (m, i, j) -> new Pre(x[m][i][j], Rules.U * Math.abs(x[m][i][j]))); // one float addition
        });
    }

    private static Case biasGeluGrid() {
        return new Case("biasGelu", "biasGelu, x on a grid over [−12, 12]", GRID_RULE, t -> {
            int n = 60;
            Twin pre = t.input(n, H, (m, r, c) -> grid(m, r * H + c, n * H)), bias = t.input(1, H, (m, r, c) -> 0);
            Twin act = t.output(n, H), slope = t.output(n, H);
            t.run((be, r) -> be.biasGelu(pre.of(r), bias.of(r), act.of(r), slope.of(r), Trial.LISTED), act, slope);
            compareGelu(t, "biasGelu", act, slope, (m, i, j) -> new Pre(pre.at(m, i, j), 0));
        });
    }

    private static Case geluBackward(boolean inPlace) {
        String name = inPlace ? "geluBackward in place (dPre = dAct)" : "geluBackward";
        return new Case("geluBackward", name, PRODUCT_RULE, t -> {
            int n = 150;
            Twin dAct = t.gaussian(n, H, 1e-3), slope = t.input(n, H, (m, r, c) -> t.gauss(1 + m));
            double[][][] want = new double[Trial.MODELS][n][H];
            for (int m : Trial.LISTED)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < H; j++) want[m][i][j] = Math.abs(dAct.at(m, i, j) * slope.at(m, i, j));
            Twin dPre = inPlace ? dAct : t.output(n, H);
            t.run((be, r) -> be.geluBackward(dAct.of(r), slope.of(r), dPre.of(r), Trial.LISTED), dPre);
            t.compare("geluBackward", dPre, (m, i, j) -> Rules.U * want[m][i][j]);
        });
    }

    private static Case gelu(boolean inPlace) {
        String name = inPlace ? "gelu in place (act = x, evaluation: no slope)" : "gelu (act, slope)";
        return new Case("gelu", name, GELU_RULE, t -> {
            int n = 80, cols = 21;
            Twin x = t.gaussian(n, cols, 3);
            double[][][] xs = new double[Trial.MODELS][n][cols];
            for (int m : Trial.LISTED)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < cols; j++) xs[m][i][j] = x.at(m, i, j);
            Twin act = inPlace ? x : t.output(n, cols), slope = inPlace ? null : t.output(n, cols);
            t.run((be, r) -> be.gelu(x.of(r), act.of(r), slope == null ? null : slope.of(r), Trial.LISTED), act, slope);
            compareGelu(t, "gelu", act, slope, (m, i, j) -> new Pre(xs[m][i][j], 0));
        });
    }

    private static Case geluGrid() {
        return new Case("gelu", "gelu, x on a grid over [−12, 12]", GRID_RULE, t -> {
            int n = 60, cols = 37;
            Twin x = t.input(n, cols, (m, r, c) -> grid(m, r * cols + c, n * cols));
            Twin act = t.output(n, cols), slope = t.output(n, cols);
            t.run((be, r) -> be.gelu(x.of(r), act.of(r), slope.of(r), Trial.LISTED), act, slope);
            compareGelu(t, "gelu", act, slope, (m, i, j) -> new Pre(x.at(m, i, j), 0));
        });
    }
}
