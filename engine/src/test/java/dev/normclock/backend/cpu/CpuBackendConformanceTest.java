package dev.normclock.backend.cpu;

import static dev.normclock.backend.cpu.PopulationArrays.assertPaddingZero;
import static dev.normclock.backend.cpu.PopulationArrays.assertRawEquals;
import static dev.normclock.backend.cpu.PopulationArrays.fill;
import static dev.normclock.backend.cpu.PopulationArrays.fillGaussian;
import static dev.normclock.backend.cpu.PopulationArrays.fillRaw;
import static dev.normclock.backend.cpu.PopulationArrays.rawBlock;
import static dev.normclock.backend.cpu.PopulationArrays.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.reference.ReferenceMlp;

/**
 * Every {@link CpuBackend} primitive against the double-precision reference: two threads, a
 * population of four slots with different data per slot, three of them active (slot 1 is idle and
 * must stay untouched bit for bit), shapes that exercise padding (columns not multiples of 16, row
 * counts not multiples of 4, more rows than one task chunk).
 *
 * <p>Tolerances are stated relative to the natural magnitude of each result (u = 2⁻²⁴, the float
 * unit roundoff ≈ 6e-8); the measured worst cases are printed after the class so they can be
 * compared with the bounds.
 */
class CpuBackendConformanceTest {
    static final int MODELS = 4;
    static final int[] ACTIVE = {0, 2, 3};
    static final int IDLE = 1;
    static final float SENTINEL = 1234.5f;
    static final double U = 0x1p-24;

    /** GEMM error relative to Σ_k |a_ik·b_kj| (plus |c0| when accumulating), K ≤ 256. */
    static final double GEMM_TOL = 1e-5;
    /** GELU(x): relative error ≤ GELU_TOL·(1 + x²) for x < 0 (Φ's condition number grows as x²), GELU_TOL for x ≥ 0. */
    static final double GELU_TOL = 6e-7;
    /** GELU'(x): error ≤ GELU_TOL·(1 + x²)·(Φ(x) + |x|φ(x)) (both terms' magnitudes: the sum crosses zero at −0.75). */
    static final double GELU_DERIV_TOL = 6e-7;

    static Arena arena;
    static CpuBackend be;
    static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
        be = new CpuBackend(2);
    }

    @AfterAll
    static void tearDown() {
        be.close();
        arena.close();
        System.out.println("CpuBackend conformance, measured worst errors (in the units of each tolerance):");
        WORST.forEach((k, v) -> System.out.printf("  %-58s %.3e%n", k, v));
    }

    static void record(String what, double err) {
        WORST.merge(what, err, Math::max);
    }

    static Tensor alloc(int rows, int cols) {
        return Tensor.allocate(arena, MODELS, rows, cols);
    }

    static int[][] randomPairs(int p, int n, Random rnd) {
        int[][] pairs = new int[MODELS][n];
        for (int[] row : pairs) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(p * p);
        return pairs;
    }

    // ---------------------------------------------------------------------------------- matmul

    @ParameterizedTest(name = "M={0} N={1} K={2} transposeA={3} accumulate={4}")
    @CsvSource({
            "41, 41, 7, false, false",
            "75, 13, 37, false, true",
            "7, 70, 256, true, false",
            "24, 11, 73, true, true",
            "3, 20, 9, false, false",
            "37, 5, 256, false, false",
            "41, 37, 75, true, false",
            "130, 48, 64, false, false",
    })
    void matmul(int m, int n, int k, boolean transposeA, boolean accumulate) {
        Random rnd = new Random(Arrays.hashCode(new int[]{m, n, k, transposeA ? 1 : 0, accumulate ? 1 : 0}));
        Tensor a = transposeA ? alloc(k, m) : alloc(m, k), b = alloc(k, n), c = alloc(m, n);
        double[][] av = new double[MODELS][], bv = new double[MODELS][], c0 = new double[MODELS][];
        for (int mod : ACTIVE) {
            av[mod] = fillGaussian(a, mod, rnd, 1 + mod);
            bv[mod] = fillGaussian(b, mod, rnd, 0.5);
            c0[mod] = fillGaussian(c, mod, rnd, 2); // garbage when not accumulating: must be overwritten
        }
        fillRaw(a, IDLE, Float.NaN);
        fillRaw(b, IDLE, Float.NaN);
        fillRaw(c, IDLE, SENTINEL);
        float[] idle = rawBlock(c, IDLE);

        be.matmul(a, transposeA, b, c, k, accumulate, ACTIVE);

        assertRawEquals(idle, c, IDLE, "matmul");
        int aCols = transposeA ? m : k;
        for (int mod : ACTIVE) {
            double[] ref = accumulate ? c0[mod].clone() : new double[m * n];
            ReferenceMlp.matmul(av[mod], aCols, transposeA, bv[mod], n, ref, m, k, accumulate);
            double[] mag = ReferenceMlp.matmulMagnitude(av[mod], aCols, transposeA, bv[mod], n, m, k);
            double[] got = read(c, mod);
            for (int i = 0; i < got.length; i++) {
                double scale = mag[i] + (accumulate ? Math.abs(c0[mod][i]) : 0);
                double err = Math.abs(got[i] - ref[i]) / scale;
                record("matmul K=" + k + ": |err| / Σ|a·b|", err);
                assertTrue(err <= GEMM_TOL, "model " + mod + " C[" + i / n + "][" + i % n + "]: " + got[i] + " vs " + ref[i]
                        + " (error " + err + " of the magnitude " + scale + ")");
            }
            assertPaddingZero(c, mod, "matmul");
        }
    }

    // ------------------------------------------------------------------------------- transpose

    @ParameterizedTest(name = "{0}×{1}")
    @CsvSource({"24, 11", "41, 7", "5, 37", "1, 33"})
    void transpose(int rows, int cols) {
        Random rnd = new Random(rows * 100 + cols);
        Tensor src = alloc(rows, cols), dst = alloc(cols, rows);
        double[][] sv = new double[MODELS][];
        for (int mod : ACTIVE) {
            sv[mod] = fillGaussian(src, mod, rnd, 1);
            fillGaussian(dst, mod, rnd, 1);
        }
        fillRaw(src, IDLE, Float.NaN);
        fillRaw(dst, IDLE, SENTINEL);
        float[] idle = rawBlock(dst, IDLE);

        be.transpose(src, dst, ACTIVE);

        assertRawEquals(idle, dst, IDLE, "transpose");
        for (int mod : ACTIVE) {
            double[] ref = ReferenceMlp.transpose(sv[mod], rows, cols);
            double[] got = read(dst, mod);
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 0.0, "model " + mod + " element " + i);
            assertPaddingZero(dst, mod, "transpose");
        }
    }

    // ------------------------------------------------------------------- hidden layer (GELU)

    /**
     * Results smaller than this may be flushed to zero: GELU and GELU' reach the float subnormal
     * range near x = −13 (GELU(−13.2) ≈ −1e−38), and an implementation may flush its intermediates
     * there. On x ∈ [−12, 12] the values are ≥ 2e−32, so relative accuracy is still demanded.
     */
    static final double TINY = 1e-36;


    static double geluTolerance(double x) {
        double g = Math.abs(ReferenceMlp.gelu(x));
        return (x < 0 ? GELU_TOL * (1 + x * x) * g : GELU_TOL * g) + TINY;
    }

    static double geluDerivativeMagnitude(double x) {
        double mag = ReferenceMlp.normalCdf(x) + Math.abs(x) * ReferenceMlp.normalPdf(x);
        return (x < 0 ? 1 + x * x : 1) * mag;
    }

    static double geluDerivativeTolerance(double x) {
        return GELU_DERIV_TOL * geluDerivativeMagnitude(x) + TINY;
    }

    @Test
    void hiddenForward() {
        int p = 41, h = 37, n = 75;
        Random rnd = new Random(17);
        Tensor pa = alloc(p, h), pb = alloc(p, h), bias = alloc(1, h), slope = alloc(n, h), act = alloc(n, h);
        int[][] pairs = randomPairs(p, n, rnd);
        double[][] pav = new double[MODELS][], pbv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            pav[mod] = fillGaussian(pa, mod, rnd, 1.5 + mod);
            pbv[mod] = fillGaussian(pb, mod, rnd, 1.5);
            bv[mod] = fillGaussian(bias, mod, rnd, 0.5);
            fillGaussian(slope, mod, rnd, 1);
            fillGaussian(act, mod, rnd, 1);
        }
        for (Tensor t : new Tensor[]{pa, pb, bias}) fillRaw(t, IDLE, Float.NaN);
        fillRaw(slope, IDLE, SENTINEL);
        fillRaw(act, IDLE, -SENTINEL);
        float[] idleSlope = rawBlock(slope, IDLE), idleAct = rawBlock(act, IDLE);

        be.hiddenForward(pa, pb, bias, pairs, p, act, slope, ACTIVE);

        assertRawEquals(idleSlope, slope, IDLE, "hiddenForward slope");
        assertRawEquals(idleAct, act, IDLE, "hiddenForward act");
        for (int mod : ACTIVE) {
            double[] gotSlope = read(slope, mod), gotAct = read(act, mod);
            for (int i = 0; i < n; i++) {
                int a = pairs[mod][i] / p, b = pairs[mod][i] % p;
                for (int j = 0; j < h; j++) {
                    int e = i * h + j;
                    // the engine's pre-activation is two float additions, (pa + pb) + bias
                    float x = ((float) pav[mod][a * h + j] + (float) pbv[mod][b * h + j]) + (float) bv[mod][j];
                    double want = ReferenceMlp.gelu(x), errAct = Math.abs(gotAct[e] - want);
                    record("hiddenForward act: |err| / GELU tolerance", errAct / geluTolerance(x));
                    assertTrue(errAct <= geluTolerance(x), "model " + mod + " GELU(" + x + ") = " + gotAct[e] + ", want " + want);
                    double wantD = ReferenceMlp.geluDerivative(x), errD = Math.abs(gotSlope[e] - wantD);
                    record("hiddenForward slope: |err| / GELU' tolerance", errD / geluDerivativeTolerance(x));
                    assertTrue(errD <= geluDerivativeTolerance(x), "model " + mod + " GELU'(" + x + ") = " + gotSlope[e] + ", want " + wantD);
                }
            }
            assertPaddingZero(slope, mod, "hiddenForward slope");
            assertPaddingZero(act, mod, "hiddenForward act");
        }
    }

    /**
     * GELU and GELU' over x ∈ [−12, 12] (every model its own grid): pre = pa[i] with pb = bias = 0
     * and the pairs (i, i), so the pre-activation is x exactly and dPa[i] = GELU'(x) · 1, one term.
     */
    @Test
    void geluForwardAndDerivativeOverAWideRange() {
        int p = 41, h = 37;
        Tensor pa = alloc(p, h), pb = alloc(p, h), bias = alloc(1, h), slope = alloc(p, h), act = alloc(p, h);
        Tensor dAct = alloc(p, h), dPa = alloc(p, h), dPb = alloc(p, h), dBias = alloc(1, h);
        int[][] pairs = new int[MODELS][p];
        for (int[] row : pairs) for (int i = 0; i < p; i++) row[i] = i * p + i;
        int points = p * h;
        double[][] xs = new double[MODELS][];
        float[] ones = new float[points];
        Arrays.fill(ones, 1f);
        for (int slot = 0; slot < MODELS; slot++) {
            float[] x = new float[points];
            for (int e = 0; e < points; e++) {
                double t = (e + slot / (double) MODELS) / (points - 1); // the slots interleave their grids
                x[e] = (float) (-12 + 24 * t);
            }
            xs[slot] = fill(pa, slot, x);
            fill(dAct, slot, ones);
        }
        double worstLeft = 0, worstRight = 0, worstDerivLeft = 0, worstDerivRight = 0;

        be.hiddenForward(pa, pb, bias, pairs, p, act, slope, ACTIVE);
        be.hiddenBackward(dAct, slope, pairs, p, dPa, dPb, dBias, ACTIVE);

        for (int mod : ACTIVE) {
            double[] gotSlope = read(slope, mod), gotAct = read(act, mod), gotD = read(dPa, mod), gotDb = read(dPb, mod);
            for (int e = 0; e < points; e++) {
                double x = xs[mod][e];
                assertEquals(gotSlope[e], gotD[e], 0.0, "one term of slope · 1");
                double want = ReferenceMlp.gelu(x), err = Math.abs(gotAct[e] - want);
                double rel = want == 0 ? err : err / Math.abs(want);
                if (x < 0) worstLeft = Math.max(worstLeft, rel);
                else worstRight = Math.max(worstRight, rel);
                record("GELU(x) x∈[−12,12]: |err| / tolerance", err / Math.max(geluTolerance(x), Double.MIN_NORMAL));
                assertTrue(err <= geluTolerance(x), "GELU(" + x + ") = " + gotAct[e] + ", want " + want + " (relative error " + rel + ")");

                double wantD = ReferenceMlp.geluDerivative(x), errD = Math.abs(gotD[e] - wantD);
                double relD = errD / (ReferenceMlp.normalCdf(x) + Math.abs(x) * ReferenceMlp.normalPdf(x));
                if (x < 0) worstDerivLeft = Math.max(worstDerivLeft, relD);
                else worstDerivRight = Math.max(worstDerivRight, relD);
                record("GELU'(x) x∈[−12,12]: |err| / tolerance", errD / geluDerivativeTolerance(x));
                assertTrue(errD <= geluDerivativeTolerance(x), "GELU'(" + x + ") = " + gotD[e] + ", want " + wantD);
                assertEquals(gotD[e], gotDb[e], 0.0, "dPa and dPb see the same single term");
            }
        }
        // the left tail keeps relative accuracy: e.g. GELU(−12) ≈ −2.1e−32 is not flushed to 0
        record("GELU rel. error x<0 (raw)", worstLeft);
        record("GELU rel. error x≥0 (raw)", worstRight);
        record("GELU' rel. error x<0 (raw, vs Φ+|x|φ)", worstDerivLeft);
        record("GELU' rel. error x≥0 (raw, vs Φ+|x|φ)", worstDerivRight);
    }

    @Test
    void hiddenBackward() {
        int p = 41, h = 37, n = 75;
        Random rnd = new Random(23);
        Tensor dAct = alloc(n, h), slope = alloc(n, h), dPa = alloc(p, h), dPb = alloc(p, h), dBias = alloc(1, h);
        int[][] pairs = randomPairs(p, n, rnd);
        double[][] dv = new double[MODELS][], sv = new double[MODELS][];
        for (int mod : ACTIVE) {
            dv[mod] = fillGaussian(dAct, mod, rnd, 1);
            sv[mod] = fillGaussian(slope, mod, rnd, 1 + mod);
            fillGaussian(dPa, mod, rnd, 1); // garbage: the outputs are overwritten, not accumulated
            fillGaussian(dPb, mod, rnd, 1);
            fillGaussian(dBias, mod, rnd, 1);
        }
        fillRaw(dAct, IDLE, Float.NaN);
        fillRaw(slope, IDLE, Float.NaN);
        for (Tensor t : new Tensor[]{dPa, dPb, dBias}) fillRaw(t, IDLE, SENTINEL);
        float[] idleA = rawBlock(dPa, IDLE), idleB = rawBlock(dPb, IDLE), idleBias = rawBlock(dBias, IDLE);

        be.hiddenBackward(dAct, slope, pairs, p, dPa, dPb, dBias, ACTIVE);

        assertRawEquals(idleA, dPa, IDLE, "hiddenBackward dPa");
        assertRawEquals(idleB, dPb, IDLE, "hiddenBackward dPb");
        assertRawEquals(idleBias, dBias, IDLE, "hiddenBackward dBias");
        for (int mod : ACTIVE) {
            double[] refA = new double[p * h], refB = new double[p * h], refBias = new double[h];
            ReferenceMlp.scatterBackward(dv[mod], sv[mod], pairs[mod], p, h, refA, refB, refBias);
            // magnitude of each sum: Σ |dAct·slope|, the scale of float rounding in products and sums
            double[] magA = new double[p * h], magB = new double[p * h], magBias = new double[h];
            for (int i = 0; i < n; i++) {
                int a = pairs[mod][i] / p, b = pairs[mod][i] % p;
                for (int j = 0; j < h; j++) {
                    double m = Math.abs(dv[mod][i * h + j] * sv[mod][i * h + j]);
                    magA[a * h + j] += m;
                    magB[b * h + j] += m;
                    magBias[j] += m;
                }
            }
            compareSums(read(dPa, mod), refA, magA, "dPa", mod, n);
            compareSums(read(dPb, mod), refB, magB, "dPb", mod, n);
            compareSums(read(dBias, mod), refBias, magBias, "dBias", mod, n);
            for (Tensor t : new Tensor[]{dPa, dPb, dBias}) assertPaddingZero(t, mod, "hiddenBackward");
        }
    }

    /**
     * The fused forward from the first layer's tables to the loss gives the bits of its three-call
     * definition (hiddenForward, the logits GEMM, crossEntropy) on 1, 2 and 3 threads: with and
     * without the slope, with a gradient and without one (gradScale 0), example counts that are not
     * multiples of its blocks, padded widths; the idle slot untouched.
     */
    @ParameterizedTest
    @CsvSource({"1", "2", "3"})
    void hiddenToCrossEntropyIsTheThreeCalls(int threads) {
        int models = 6, p = 23, h = 70, n = 101, idle = 4;
        Random rnd = new Random(31);
        Tensor pa = Tensor.allocate(arena, models, p, h), pb = Tensor.allocate(arena, models, p, h), b1 = Tensor.allocate(arena, models, 1, h);
        Tensor w2 = Tensor.allocate(arena, models, h, p), b2 = Tensor.allocate(arena, models, 1, p);
        Tensor[] plain = {Tensor.allocate(arena, models, n, h), Tensor.allocate(arena, models, n, h), Tensor.allocate(arena, models, n, p)};
        Tensor[] fused = {Tensor.allocate(arena, models, n, h), Tensor.allocate(arena, models, n, h), Tensor.allocate(arena, models, n, p)};
        int[][] pairs = new int[models][];
        float[] tau = new float[models];
        double[] scale = new double[models];
        for (int m = 0; m < models; m++) {
            pairs[m] = randomPairs(p, n, rnd)[0];
            for (Tensor t : new Tensor[]{pa, pb, b1, w2, b2}) fillGaussian(t, m, rnd, 1.5);
            tau[m] = 0.5f + m * 0.25f;
            scale[m] = m == 3 ? 0f : 1f / n;
            for (Tensor t : fused) fillRaw(t, m, SENTINEL);
        }
        float[][] idleBefore = {rawBlock(fused[0], idle), rawBlock(fused[1], idle), rawBlock(fused[2], idle)};
        try (CpuBackend backend = new CpuBackend(threads)) {
            for (boolean withSlope : new boolean[]{true, false})
                for (int[] active : new int[][]{{2}, {0, 1, 2, 3, 5}}) {
                    float[][] lossA = new float[models][n], lossB = new float[models][n], normA = new float[models][n], normB = new float[models][n];
                    boolean[][] okA = new boolean[models][n], okB = new boolean[models][n];
                    backend.hiddenForward(pa, pb, b1, pairs, p, plain[0], withSlope ? plain[1] : null, active);
                    backend.matmul(plain[0], false, w2, plain[2], h, false, active);
                    backend.crossEntropy(plain[2], b2, pairs, p, tau, scale, lossA, okA, normA, active);
                    backend.hiddenToCrossEntropy(pa, pb, b1, pairs, p, fused[0], withSlope ? fused[1] : null, w2, h, fused[2], b2, tau, scale,
                            lossB, okB, normB, active);
                    for (int m : active) {
                        String where = "model " + m + ", slope " + withSlope + ", active " + Arrays.toString(active);
                        for (int t = 0; t < 3; t++)
                            if (t != 1 || withSlope) assertArrayEquals(rawBlock(plain[t], m), rawBlock(fused[t], m), "output " + t + " of " + where);
                        assertArrayEquals(lossA[m], lossB[m], "loss of " + where);
                        assertArrayEquals(normA[m], normB[m], "logit norm of " + where);
                        assertArrayEquals(okA[m], okB[m], "correct of " + where);
                    }
                }
        }
        for (int t = 0; t < 3; t++) assertRawEquals(idleBefore[t], fused[t], idle, "hiddenToCrossEntropy output " + t);
    }

    /**
     * The backward from the output gradient gives the bits of its two-call definition (dAct =
     * dLogits·w2T, then hiddenBackward) on 1, 2 and 3 threads: fused (five models on one or two
     * threads) and not (one model, or five on three threads); a width and an example count that are
     * not multiples of its blocks; the idle slot untouched.
     */
    @ParameterizedTest
    @CsvSource({"1", "2", "3"})
    void outputToHiddenBackwardIsTheTwoCalls(int threads) {
        int models = 6, p = 41, k = 41, h = 300, n = 101, idle = 4;
        Random rnd = new Random(29);
        Tensor dLogits = Tensor.allocate(arena, models, n, p), w2T = Tensor.allocate(arena, models, p, h), slope = Tensor.allocate(arena, models, n, h);
        Tensor dAct = Tensor.allocate(arena, models, n, h);
        Tensor[] fused = {Tensor.allocate(arena, models, p, h), Tensor.allocate(arena, models, p, h), Tensor.allocate(arena, models, 1, h)};
        Tensor[] plain = {Tensor.allocate(arena, models, p, h), Tensor.allocate(arena, models, p, h), Tensor.allocate(arena, models, 1, h)};
        int[][] pairs = new int[models][];
        for (int m = 0; m < models; m++) {
            pairs[m] = randomPairs(p, n, rnd)[0];
            fillGaussian(dLogits, m, rnd, 1);
            fillGaussian(w2T, m, rnd, 1);
            fillGaussian(slope, m, rnd, 1);
            for (Tensor t : fused) fillRaw(t, m, SENTINEL);
        }
        float[][] idleBefore = {rawBlock(fused[0], idle), rawBlock(fused[1], idle), rawBlock(fused[2], idle)};
        try (CpuBackend backend = new CpuBackend(threads)) {
            for (int[] active : new int[][]{{2}, {0, 1, 2, 3, 5}}) {
                backend.matmul(dLogits, false, w2T, dAct, k, false, active);
                backend.hiddenBackward(dAct, slope, pairs, p, plain[0], plain[1], plain[2], active);
                backend.outputToHiddenBackward(dLogits, w2T, k, dAct, slope, pairs, p, fused[0], fused[1], fused[2], active);
                for (int m : active)
                    for (int t = 0; t < 3; t++)
                        assertArrayEquals(rawBlock(plain[t], m), rawBlock(fused[t], m), "output " + t + " of model " + m + ", active " + Arrays.toString(active));
            }
        }
        for (int t = 0; t < 3; t++) assertRawEquals(idleBefore[t], fused[t], idle, "outputToHiddenBackward output " + t);
    }

    /**
     * Each sum's error relative to Σ|dAct·slope| (float products and sums in order), plus TINY per
     * term for terms that underflow in float.
     */
    private static void compareSums(double[] got, double[] ref, double[] mag, String what, int mod, int terms) {
        for (int i = 0; i < got.length; i++) {
            if (mag[i] == 0) {
                assertEquals(0.0, got[i], 0.0, what + "[" + i + "] receives no example");
                continue;
            }
            double err = Math.abs(got[i] - ref[i]) / (1e-6 * mag[i] + terms * TINY);
            record("hiddenBackward " + what + ": |err| / (1e-6·Σ|dAct·slope|)", err);
            assertTrue(err <= 1, "model " + mod + " " + what + "[" + i + "]: " + got[i] + " vs " + ref[i] + " (" + err + ")");
        }
    }

    // --------------------------------------------------------------------------- crossEntropy

    @Test
    void crossEntropyWithTemperature() {
        int p = 41, n = 75;
        Random rnd = new Random(29);
        Tensor logits = alloc(n, p), bias = alloc(1, p);
        int[][] pairs = randomPairs(p, n, rnd);
        float[] tau = {1.3f, 1f, 1.3f, 0.7f};
        double[] gradScale = {1f / n, 5f, 0f, 2f}; // slot 2 computes the loss only: its logits must stay as they are
        double[][] lv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            float[] z = new float[n * p];
            for (int i = 0; i < n; i++) {
                int y = ReferenceMlp.label(pairs[mod][i], p);
                for (int c = 0; c < p; c++) z[i * p + c] = (float) (rnd.nextGaussian() * 4);
                if (i % 3 == 0) z[i * p + y] += 12; // a third of the rows are confidently right
            }
            lv[mod] = fill(logits, mod, z);
            bv[mod] = fillGaussian(bias, mod, rnd, 1);
        }
        fillRaw(logits, IDLE, SENTINEL);
        fillRaw(bias, IDLE, Float.NaN);
        float[] idle = rawBlock(logits, IDLE);
        float[] untouched = rawBlock(logits, 2);
        float[][] rowLoss = new float[MODELS][n];
        boolean[][] rowCorrect = new boolean[MODELS][n];
        Arrays.fill(rowLoss[IDLE], -7f);
        Arrays.fill(rowCorrect[IDLE], true);

        float[][] rowScale = new float[MODELS][n];
        be.crossEntropy(logits, bias, pairs, p, tau, gradScale, rowLoss, rowCorrect, rowScale, ACTIVE);

        assertRawEquals(idle, logits, IDLE, "crossEntropy");
        assertRawEquals(untouched, logits, 2, "crossEntropy with gradScale 0");
        for (int i = 0; i < n; i++) {
            assertEquals(-7f, rowLoss[IDLE][i]);
            assertTrue(rowCorrect[IDLE][i]);
        }
        int correct = 0;
        for (int mod : ACTIVE) {
            double t = tau[mod];
            double[] ref = lv[mod].clone();
            double[] refLoss = new double[n];
            boolean[] refCorrect = new boolean[n];
            ReferenceMlp.crossEntropy(ref, bv[mod], pairs[mod], p, p, t, gradScale[mod], refLoss, refCorrect);
            double[] got = read(logits, mod);
            for (int i = 0; i < n; i++) {
                double zMax = 0;
                for (int c = 0; c < p; c++) zMax = Math.max(zMax, Math.abs(lv[mod][i * p + c] + bv[mod][c]));
                // the logits enter as fl(z/τ): an error of ~u·|z|/τ in the exponent, so the loss is
                // accurate to a few u·(1 + max|z|/τ) absolutely
                double lossScale = U * (1 + zMax / t);
                double errLoss = Math.abs(rowLoss[mod][i] - refLoss[i]) / lossScale;
                record("crossEntropy loss: |err| / (u·(1+max|z|/τ))", errLoss);
                assertTrue(errLoss <= 16, "model " + mod + " row " + i + " loss " + rowLoss[mod][i] + " vs " + refLoss[i]);
                if (refCorrect[i]) correct++;
                assertEquals(refCorrect[i], rowCorrect[mod][i], "model " + mod + " row " + i + " argmax");
                assertScale(lv[mod], bv[mod], i, p, t, rowScale[mod][i], "crossEntropy");
                if (gradScale[mod] <= 0) continue;
                // gradient (softmax − onehot)·s/τ: each softmax entry carries the exponent error
                // u·(1 + max|z|/τ) relative to itself; the label's entry also the rounding of softmax − 1
                double gScale = gradScale[mod] / t;
                int y = ReferenceMlp.label(pairs[mod][i], p);
                for (int c = 0; c < p; c++) {
                    int e = i * p + c;
                    double softmax = ref[e] / gScale + (c == y ? 1 : 0);
                    double tol = gScale * (softmax * lossScale + (c == y ? U : 0) + 1e-38);
                    double errG = Math.abs(got[e] - ref[e]) / tol;
                    record("crossEntropy grad: |err| / ((softmax·u(1+max|z|/τ) + u[c=y])·s/τ)", errG);
                    assertTrue(errG <= 16, "model " + mod + " grad[" + i + "][" + c + "]: " + got[e] + " vs " + ref[e]);
                }
            }
            if (gradScale[mod] > 0) assertPaddingZero(logits, mod, "crossEntropy gradient");
        }
        assertTrue(correct >= n / 2 && correct < 2 * n, "the rows mix right and wrong predictions (" + correct + " of " + 3 * n + ")");
    }

    /** Paper B's logit scale of one row, ‖(z + b)/τ‖₂, against double: a few u relative. */
    private static void assertScale(double[] z, double[] b, int row, int classes, double tau, float got, String what) {
        double ss = 0;
        for (int c = 0; c < classes; c++) {
            double s = (z[row * classes + c] + b[c]) / tau;
            ss += s * s;
        }
        double ref = Math.sqrt(ss), err = Math.abs(got - ref) / (U * ref);
        record(what + " logit scale: |err| / (u·‖z/τ‖)", err);
        assertTrue(err <= 8, what + " row " + row + " logit scale " + got + " vs " + ref);
    }

    @Test
    void squaredErrorWithTemperature() {
        int p = 23, n = 70;
        Random rnd = new Random(31);
        Tensor logits = alloc(n, p), bias = alloc(1, p);
        int[][] pairs = randomPairs(p, n, rnd);
        float[] tau = {1.3f, 1f, 1.7f, 0.7f};
        double[] gradScale = {1f / n, 5f, 0f, 2f};
        double[][] lv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            float[] z = new float[n * p];
            for (int i = 0; i < n; i++) {
                int y = ReferenceMlp.label(pairs[mod][i], p);
                for (int c = 0; c < p; c++) z[i * p + c] = (float) (rnd.nextGaussian() * 0.5);
                if (i % 3 == 0) z[i * p + y] += 2;
            }
            lv[mod] = fill(logits, mod, z);
            bv[mod] = fillGaussian(bias, mod, rnd, 0.2);
        }
        fillRaw(logits, IDLE, SENTINEL);
        fillRaw(bias, IDLE, Float.NaN);
        float[] idle = rawBlock(logits, IDLE), untouched = rawBlock(logits, 2);
        float[][] rowLoss = new float[MODELS][n];
        boolean[][] rowCorrect = new boolean[MODELS][n];

        float[][] rowScale = new float[MODELS][n];
        be.squaredError(logits, bias, pairs, p, tau, gradScale, rowLoss, rowCorrect, rowScale, ACTIVE);

        assertRawEquals(idle, logits, IDLE, "squaredError");
        assertRawEquals(untouched, logits, 2, "squaredError with gradScale 0");
        for (int mod : ACTIVE) {
            double t = tau[mod];
            double[] ref = lv[mod].clone(), refLoss = new double[n];
            boolean[] refCorrect = new boolean[n];
            ReferenceMlp.squaredError(ref, bv[mod], pairs[mod], p, p, t, gradScale[mod], refLoss, refCorrect);
            double[] got = read(logits, mod);
            for (int i = 0; i < n; i++) {
                // every term (z/τ − onehot)² carries a few u of its own size: bound by u·Σ(|z|/τ + 1)²
                double mag = 0;
                for (int c = 0; c < p; c++) {
                    double a = Math.abs(lv[mod][i * p + c] + bv[mod][c]) / t + 1;
                    mag += a * a;
                }
                double errLoss = Math.abs(rowLoss[mod][i] - refLoss[i]) / (U * mag);
                record("squaredError loss: |err| / (u·Σ(|z|/τ+1)²)", errLoss);
                assertTrue(errLoss <= 8, "model " + mod + " row " + i + " loss " + rowLoss[mod][i] + " vs " + refLoss[i]);
                assertEquals(refCorrect[i], rowCorrect[mod][i], "model " + mod + " row " + i + " argmax");
                assertScale(lv[mod], bv[mod], i, p, t, rowScale[mod][i], "squaredError");
                if (gradScale[mod] <= 0) continue;
                for (int c = 0; c < p; c++) {
                    int e = i * p + c;
                    double tol = 2 * gradScale[mod] / t * U * (Math.abs(lv[mod][e] + bv[mod][c]) / t + 1) * 4;
                    double errG = Math.abs(got[e] - ref[e]) / tol;
                    record("squaredError grad: |err| / (4u·2s/τ·(|z|/τ+1))", errG);
                    assertTrue(errG <= 1, "model " + mod + " grad[" + i + "][" + c + "]: " + got[e] + " vs " + ref[e]);
                }
            }
            if (gradScale[mod] > 0) assertPaddingZero(logits, mod, "squaredError gradient");
        }
    }

    // ------------------------------------------------------- losses with explicit labels (parity)

    /**
     * The rows of a 2-class (parity) or wider problem with labels given explicitly; the double
     * reference takes pairs, so it gets pair y·classes with p = classes, whose label (y + 0) mod p is y.
     */
    static int[][] labelPairs(int[][] labels, int classes) {
        int[][] pairs = new int[labels.length][];
        for (int m = 0; m < labels.length; m++) {
            pairs[m] = new int[labels[m].length];
            for (int i = 0; i < labels[m].length; i++) pairs[m][i] = labels[m][i] * classes;
        }
        return pairs;
    }

    @ParameterizedTest(name = "classes={0} rows={1}")
    @CsvSource({"2, 150", "13, 70"})
    void crossEntropyWithExplicitLabels(int classes, int n) {
        Random rnd = new Random(53 + classes);
        Tensor logits = alloc(n, classes), bias = alloc(1, classes), viaPairs = alloc(n, classes);
        int[][] labels = new int[MODELS][n];
        for (int[] row : labels) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(classes);
        float[] tau = {1.3f, 1f, 1f, 0.7f};
        double[] gradScale = {1f / n, 5f, 0f, 2f};
        double[][] lv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            float[] z = new float[n * classes];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < classes; c++) z[i * classes + c] = (float) (rnd.nextGaussian() * 3);
                if (i % 3 == 0) z[i * classes + labels[mod][i]] += 30; // confidently right: collapsed rows (loss exactly 0)
            }
            lv[mod] = fill(logits, mod, z);
            fill(viaPairs, mod, z);
            bv[mod] = fillGaussian(bias, mod, rnd, 1);
        }
        fillRaw(logits, IDLE, SENTINEL);
        fillRaw(bias, IDLE, Float.NaN);
        float[] idle = rawBlock(logits, IDLE), untouched = rawBlock(logits, 2);
        float[][] rowLoss = new float[MODELS][n], rowScale = new float[MODELS][n];
        boolean[][] rowCorrect = new boolean[MODELS][n];
        Arrays.fill(rowLoss[IDLE], -7f);

        be.crossEntropy(logits, bias, labels, tau, gradScale, rowLoss, rowCorrect, rowScale, ACTIVE);

        assertRawEquals(idle, logits, IDLE, "crossEntropy (labels)");
        assertRawEquals(untouched, logits, 2, "crossEntropy (labels) with gradScale 0");
        for (int i = 0; i < n; i++) assertEquals(-7f, rowLoss[IDLE][i]);
        int[][] pairs = labelPairs(labels, classes);
        int collapsed = 0, correct = 0;
        for (int mod : ACTIVE) {
            double t = tau[mod];
            double[] ref = lv[mod].clone(), refLoss = new double[n];
            boolean[] refCorrect = new boolean[n];
            ReferenceMlp.crossEntropy(ref, bv[mod], pairs[mod], classes, classes, t, gradScale[mod], refLoss, refCorrect);
            double[] got = read(logits, mod);
            for (int i = 0; i < n; i++) {
                double zMax = 0;
                for (int c = 0; c < classes; c++) zMax = Math.max(zMax, Math.abs(lv[mod][i * classes + c] + bv[mod][c]));
                double lossScale = U * (1 + zMax / t); // as crossEntropyWithTemperature
                double errLoss = Math.abs(rowLoss[mod][i] - refLoss[i]) / lossScale;
                record("crossEntropy (labels) loss: |err| / (u·(1+max|z|/τ))", errLoss);
                assertTrue(errLoss <= 16, "model " + mod + " row " + i + " loss " + rowLoss[mod][i] + " vs " + refLoss[i]);
                if (rowLoss[mod][i] == 0f) collapsed++;
                if (refCorrect[i]) correct++;
                assertEquals(refCorrect[i], rowCorrect[mod][i], "model " + mod + " row " + i + " argmax");
                assertScale(lv[mod], bv[mod], i, classes, t, rowScale[mod][i], "crossEntropy (labels)");
                if (gradScale[mod] <= 0) continue;
                double gScale = gradScale[mod] / t;
                int y = labels[mod][i];
                for (int c = 0; c < classes; c++) {
                    int e = i * classes + c;
                    double softmax = ref[e] / gScale + (c == y ? 1 : 0);
                    double tol = gScale * (softmax * lossScale + (c == y ? U : 0) + 1e-38);
                    double errG = Math.abs(got[e] - ref[e]) / tol;
                    record("crossEntropy (labels) grad: |err| / ((softmax·u(1+max|z|/τ) + u[c=y])·s/τ)", errG);
                    assertTrue(errG <= 16, "model " + mod + " grad[" + i + "][" + c + "]: " + got[e] + " vs " + ref[e]);
                }
            }
            if (gradScale[mod] > 0) assertPaddingZero(logits, mod, "crossEntropy (labels) gradient");
        }
        assertTrue(collapsed > 0, "some rows collapse (loss exactly 0)");
        assertTrue(correct >= n / 2 && correct < 3 * n, "the rows mix right and wrong predictions (" + correct + " of " + 3 * n + ")");

        // the modular-addition form is the same kernel with labels (a + b) mod p: the same bits
        float[][] loss2 = new float[MODELS][n], scale2 = new float[MODELS][n];
        be.crossEntropy(viaPairs, bias, pairs, classes, tau, gradScale, loss2, new boolean[MODELS][n], scale2, ACTIVE);
        for (int mod : ACTIVE) {
            assertArrayEquals(rowLoss[mod], loss2[mod], "pairs and labels forms: loss");
            assertArrayEquals(rowScale[mod], scale2[mod], "pairs and labels forms: scale");
            assertRawEquals(rawBlock(logits, mod), viaPairs, mod, "pairs and labels forms: gradient");
        }
    }

    @Test
    void squaredErrorWithExplicitLabels() {
        int classes = 2, n = 150;
        Random rnd = new Random(59);
        Tensor logits = alloc(n, classes), bias = alloc(1, classes);
        int[][] labels = new int[MODELS][n];
        for (int[] row : labels) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(classes);
        float[] tau = {1.3f, 1f, 1.7f, 0.7f};
        double[] gradScale = {1f / n, 5f, 0f, 2f};
        double[][] lv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            float[] z = new float[n * classes];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < classes; c++) z[i * classes + c] = (float) (rnd.nextGaussian() * 0.5);
                if (i % 3 == 0) z[i * classes + labels[mod][i]] += 2;
            }
            lv[mod] = fill(logits, mod, z);
            bv[mod] = fillGaussian(bias, mod, rnd, 0.2);
        }
        fillRaw(logits, IDLE, SENTINEL);
        fillRaw(bias, IDLE, Float.NaN);
        float[] idle = rawBlock(logits, IDLE), untouched = rawBlock(logits, 2);
        float[][] rowLoss = new float[MODELS][n], rowScale = new float[MODELS][n];
        boolean[][] rowCorrect = new boolean[MODELS][n];

        be.squaredError(logits, bias, labels, tau, gradScale, rowLoss, rowCorrect, rowScale, ACTIVE);

        assertRawEquals(idle, logits, IDLE, "squaredError (labels)");
        assertRawEquals(untouched, logits, 2, "squaredError (labels) with gradScale 0");
        int[][] pairs = labelPairs(labels, classes);
        for (int mod : ACTIVE) {
            double t = tau[mod];
            double[] ref = lv[mod].clone(), refLoss = new double[n];
            boolean[] refCorrect = new boolean[n];
            ReferenceMlp.squaredError(ref, bv[mod], pairs[mod], classes, classes, t, gradScale[mod], refLoss, refCorrect);
            double[] got = read(logits, mod);
            for (int i = 0; i < n; i++) {
                double mag = 0;
                for (int c = 0; c < classes; c++) {
                    double a = Math.abs(lv[mod][i * classes + c] + bv[mod][c]) / t + 1;
                    mag += a * a;
                }
                double errLoss = Math.abs(rowLoss[mod][i] - refLoss[i]) / (U * mag);
                record("squaredError (labels) loss: |err| / (u·Σ(|z|/τ+1)²)", errLoss);
                assertTrue(errLoss <= 8, "model " + mod + " row " + i + " loss " + rowLoss[mod][i] + " vs " + refLoss[i]);
                assertEquals(refCorrect[i], rowCorrect[mod][i], "model " + mod + " row " + i + " argmax");
                assertScale(lv[mod], bv[mod], i, classes, t, rowScale[mod][i], "squaredError (labels)");
                if (gradScale[mod] <= 0) continue;
                for (int c = 0; c < classes; c++) {
                    int e = i * classes + c;
                    double tol = 2 * gradScale[mod] / t * U * (Math.abs(lv[mod][e] + bv[mod][c]) / t + 1) * 4;
                    double errG = Math.abs(got[e] - ref[e]) / tol;
                    record("squaredError (labels) grad: |err| / (4u·2s/τ·(|z|/τ+1))", errG);
                    assertTrue(errG <= 1, "model " + mod + " grad[" + i + "][" + c + "]: " + got[e] + " vs " + ref[e]);
                }
            }
            if (gradScale[mod] > 0) assertPaddingZero(logits, mod, "squaredError (labels) gradient");
        }
    }

    // ------------------------------------------------------------- dense bias + GELU (parity)

    /** act = GELU(pre + b), slope = GELU'(pre + b) on a dense pre-activation; then again in place (act = pre) without slope. */
    @Test
    void biasGelu() {
        int n = 150, h = 37;
        Random rnd = new Random(61);
        Tensor pre = alloc(n, h), bias = alloc(1, h), act = alloc(n, h), slope = alloc(n, h);
        double[][] pv = new double[MODELS][], bv = new double[MODELS][];
        for (int mod : ACTIVE) {
            pv[mod] = fillGaussian(pre, mod, rnd, 2.5 + mod);
            bv[mod] = fillGaussian(bias, mod, rnd, 0.5);
            fillGaussian(act, mod, rnd, 1); // garbage: overwritten
            fillGaussian(slope, mod, rnd, 1);
        }
        fillRaw(pre, IDLE, Float.NaN);
        fillRaw(bias, IDLE, Float.NaN);
        fillRaw(act, IDLE, SENTINEL);
        fillRaw(slope, IDLE, -SENTINEL);
        float[] idleAct = rawBlock(act, IDLE), idleSlope = rawBlock(slope, IDLE), idlePre = rawBlock(pre, IDLE);

        be.biasGelu(pre, bias, act, slope, ACTIVE);

        assertRawEquals(idleAct, act, IDLE, "biasGelu act");
        assertRawEquals(idleSlope, slope, IDLE, "biasGelu slope");
        for (int mod : ACTIVE) {
            double[] gotAct = read(act, mod), gotSlope = read(slope, mod);
            for (int e = 0; e < n * h; e++) {
                float x = (float) pv[mod][e] + (float) bv[mod][e % h]; // one float addition
                double want = ReferenceMlp.gelu(x), err = Math.abs(gotAct[e] - want);
                record("biasGelu act: |err| / GELU tolerance", err / geluTolerance(x));
                assertTrue(err <= geluTolerance(x), "model " + mod + " GELU(" + x + ") = " + gotAct[e] + ", want " + want);
                double wantD = ReferenceMlp.geluDerivative(x), errD = Math.abs(gotSlope[e] - wantD);
                record("biasGelu slope: |err| / GELU' tolerance", errD / geluDerivativeTolerance(x));
                assertTrue(errD <= geluDerivativeTolerance(x), "model " + mod + " GELU'(" + x + ") = " + gotSlope[e] + ", want " + wantD);
            }
            assertPaddingZero(act, mod, "biasGelu act");
            assertPaddingZero(slope, mod, "biasGelu slope");
        }
        // in place and without slope (evaluation): the same activations, bit for bit
        be.biasGelu(pre, bias, pre, null, ACTIVE);
        assertRawEquals(idlePre, pre, IDLE, "biasGelu in place");
        for (int mod : ACTIVE) {
            assertRawEquals(rawBlock(act, mod), pre, mod, "biasGelu in place vs out of place");
            assertPaddingZero(pre, mod, "biasGelu in place");
        }
    }

    /** dPre = dAct ⊙ slope: one float multiplication per element, so within u relative; also in place. */
    @Test
    void geluBackward() {
        int n = 150, h = 37;
        Random rnd = new Random(67);
        Tensor dAct = alloc(n, h), slope = alloc(n, h), dPre = alloc(n, h);
        double[][] dv = new double[MODELS][], sv = new double[MODELS][];
        for (int mod : ACTIVE) {
            dv[mod] = fillGaussian(dAct, mod, rnd, 1e-3);
            sv[mod] = fillGaussian(slope, mod, rnd, 1 + mod);
            fillGaussian(dPre, mod, rnd, 1);
        }
        fillRaw(dAct, IDLE, Float.NaN);
        fillRaw(slope, IDLE, Float.NaN);
        fillRaw(dPre, IDLE, SENTINEL);
        float[] idle = rawBlock(dPre, IDLE), idleIn = rawBlock(dAct, IDLE);

        be.geluBackward(dAct, slope, dPre, ACTIVE);

        assertRawEquals(idle, dPre, IDLE, "geluBackward");
        for (int mod : ACTIVE) {
            double[] got = read(dPre, mod);
            for (int e = 0; e < n * h; e++) {
                double want = dv[mod][e] * sv[mod][e], err = Math.abs(got[e] - want);
                record("geluBackward: |err| / (u·|dAct·slope|)", err / (U * Math.abs(want)));
                assertTrue(err <= U * Math.abs(want), "model " + mod + " element " + e + ": " + got[e] + " vs " + want);
            }
            assertPaddingZero(dPre, mod, "geluBackward");
        }
        be.geluBackward(dAct, slope, dAct, ACTIVE);
        assertRawEquals(idleIn, dAct, IDLE, "geluBackward in place");
        for (int mod : ACTIVE) assertRawEquals(rawBlock(dPre, mod), dAct, mod, "geluBackward in place vs out of place");
    }

    // ---------------------------------------------------------------------------- columnSums

    @ParameterizedTest(name = "{0}×{1}")
    @CsvSource({"75, 37", "3, 41", "130, 16"})
    void columnSums(int rows, int cols) {
        Random rnd = new Random(31 + rows);
        Tensor x = alloc(rows, cols), out = alloc(1, cols);
        double[][] xv = new double[MODELS][];
        for (int mod : ACTIVE) {
            xv[mod] = fillGaussian(x, mod, rnd, 1 + mod);
            fillGaussian(out, mod, rnd, 1);
        }
        fillRaw(x, IDLE, Float.NaN);
        fillRaw(out, IDLE, SENTINEL);
        float[] idle = rawBlock(out, IDLE);

        be.columnSums(x, out, ACTIVE);

        assertRawEquals(idle, out, IDLE, "columnSums");
        for (int mod : ACTIVE) {
            double[] ref = ReferenceMlp.columnSums(xv[mod], rows, cols), got = read(out, mod);
            for (int c = 0; c < cols; c++) {
                double mag = 0;
                for (int r = 0; r < rows; r++) mag += Math.abs(xv[mod][r * cols + c]);
                double err = Math.abs(got[c] - ref[c]) / mag;
                record("columnSums: |err| / Σ|x|", err);
                assertTrue(err <= 1e-6, "model " + mod + " column " + c + ": " + got[c] + " vs " + ref[c]);
            }
            assertPaddingZero(out, mod, "columnSums");
        }
    }

    // --------------------------------------------------------------------------------- adamW

    @ParameterizedTest(name = "decayAfter={0} step={1}")
    @CsvSource({"false, 1", "true, 1", "false, 7", "true, 7", "false, 1000"})
    void adamW(boolean decayAfter, int step) {
        Random rnd = new Random(37 + step + (decayAfter ? 1000 : 0));
        int[][] shapes = {{7, 13}, {41, 37}, {1, 37}};
        boolean[] decayed = {true, true, false};
        int count = shapes.length;
        Tensor[] w = new Tensor[count], g = new Tensor[count], m1 = new Tensor[count], m2 = new Tensor[count];
        double[][][] wv = new double[MODELS][count][], gv = new double[MODELS][count][], mv = new double[MODELS][count][],
                vv = new double[MODELS][count][];
        Hyper hyper = new Hyper(MODELS);
        float[] lr = {1e-2f, 9f, 3e-3f, 1e-3f}, wd = {1f, 9f, 0.5f, 2f};
        for (int slot = 0; slot < MODELS; slot++) {
            hyper.lr[slot] = lr[slot];
            hyper.weightDecay[slot] = wd[slot];
            hyper.decayAfter[slot] = slot == 2 ? !decayAfter : decayAfter; // both orders in one call
        }
        for (int j = 0; j < count; j++) {
            w[j] = alloc(shapes[j][0], shapes[j][1]);
            g[j] = alloc(shapes[j][0], shapes[j][1]);
            m1[j] = alloc(shapes[j][0], shapes[j][1]);
            m2[j] = alloc(shapes[j][0], shapes[j][1]);
            for (int mod : ACTIVE) {
                wv[mod][j] = fillGaussian(w[j], mod, rnd, 0.5);
                gv[mod][j] = fillGaussian(g[j], mod, rnd, 1e-2);
                if (step > 1) {
                    mv[mod][j] = fillGaussian(m1[j], mod, rnd, 1e-3);
                    float[] v = new float[w[j].size()];
                    for (int i = 0; i < v.length; i++) v[i] = (float) (Math.abs(rnd.nextGaussian()) * 1e-4);
                    vv[mod][j] = fill(m2[j], mod, v);
                } else {
                    mv[mod][j] = new double[w[j].size()];
                    vv[mod][j] = new double[w[j].size()];
                }
            }
            fillRaw(w[j], IDLE, SENTINEL);
            fillRaw(g[j], IDLE, Float.NaN);
            fillRaw(m1[j], IDLE, -SENTINEL);
            fillRaw(m2[j], IDLE, 2 * SENTINEL);
        }
        float[][] idleW = new float[count][], idleM = new float[count][], idleV = new float[count][];
        for (int j = 0; j < count; j++) {
            idleW[j] = rawBlock(w[j], IDLE);
            idleM[j] = rawBlock(m1[j], IDLE);
            idleV[j] = rawBlock(m2[j], IDLE);
        }
        double[][] sumSquares = new double[MODELS][count];
        for (double[] row : sumSquares) Arrays.fill(row, Double.NaN);

        be.adamW(w, g, m1, m2, decayed, hyper, step, sumSquares, ACTIVE);

        for (int j = 0; j < count; j++) {
            assertRawEquals(idleW[j], w[j], IDLE, "adamW params");
            assertRawEquals(idleM[j], m1[j], IDLE, "adamW m1");
            assertRawEquals(idleV[j], m2[j], IDLE, "adamW m2");
            assertTrue(Double.isNaN(sumSquares[IDLE][j]), "idle sumSquares untouched");
        }
        for (int mod : ACTIVE) {
            for (int j = 0; j < count; j++) {
                double[] rw = wv[mod][j].clone(), rm = mv[mod][j].clone(), rv = vv[mod][j].clone();
                double refSs = ReferenceMlp.adamW(rw, gv[mod][j], rm, rv, lr[mod], wd[mod], decayed[j], hyper.decayAfter[mod], step);
                double[] gotW = read(w[j], mod), gotM = read(m1[j], mod), gotV = read(m2[j], mod);
                double exactSs = 0;
                for (int i = 0; i < gotW.length; i++) {
                    // w: rounding of w itself (a few u·|w|) plus 1e-5 of the update lr·m̂/(√v̂+ε), |m̂/√v̂| ≤ 1
                    // here (a few u would do but for the (1 − β2) rounding pinned by adamWMomentCoefficientsAreFloatAccurate)
                    double errW = Math.abs(gotW[i] - rw[i]) / (16 * U * Math.abs(rw[i]) + 1e-5 * lr[mod]);
                    record("adamW w: |err| / (16u·|w| + 1e-5·lr)", errW);
                    assertTrue(errW <= 1, "model " + mod + " tensor " + j + " w[" + i + "]: " + gotW[i] + " vs " + rw[i]);
                    double errM = Math.abs(gotM[i] - rm[i]) / (U * (Math.abs(mv[mod][j][i]) + Math.abs(gv[mod][j][i])));
                    record("adamW m1: |err| / (u·(|m|+|g|))", errM);
                    assertTrue(errM <= 4, "model " + mod + " tensor " + j + " m1[" + i + "]: " + gotM[i] + " vs " + rm[i]);
                    // loose (2e-5 relative): CpuBackend's 1f − 0.999f is 1.3e-5 off 1 − β2; pinned by
                    // adamWMomentCoefficientsAreFloatAccurate
                    double errV = Math.abs(gotV[i] - rv[i]) / rv[i];
                    record("adamW m2: |err| / v", errV);
                    assertTrue(errV <= 2e-5, "model " + mod + " tensor " + j + " m2[" + i + "]: " + gotV[i] + " vs " + rv[i]);
                    exactSs += gotW[i] * gotW[i];
                }
                // the returned norm is of the float weights after the update
                double errSs = Math.abs(sumSquares[mod][j] - exactSs) / exactSs;
                record("adamW sumSquares vs Σw² of the result: rel", errSs);
                assertTrue(errSs <= 1e-6, "model " + mod + " tensor " + j + " sumSquares " + sumSquares[mod][j] + " vs " + exactSs);
                assertEquals(refSs, sumSquares[mod][j], 1e-5 * refSs, "sumSquares vs the reference");
                assertPaddingZero(w[j], mod, "adamW params");
                assertPaddingZero(m1[j], mod, "adamW m1");
                assertPaddingZero(m2[j], mod, "adamW m2");
            }
        }
    }

    /**
     * m = β1·m + (1 − β1)·g and v = β2·v + (1 − β2)·g² with the coefficients correct to float
     * precision (a few u), as PyTorch's float32 arithmetic with Python-double β has them.
     */
    @Test
    void adamWMomentCoefficientsAreFloatAccurate() {
        Tensor w = alloc(1, 16), g = alloc(1, 16), m1 = alloc(1, 16), m2 = alloc(1, 16);
        float[] grad = new float[16];
        for (int i = 0; i < 16; i++) grad[i] = 1f + i / 16f;
        Hyper hyper = new Hyper(MODELS);
        for (int mod : ACTIVE) {
            hyper.lr[mod] = 1e-3f;
            fill(g, mod, grad);
        }
        double[][] ss = new double[MODELS][1];
        be.adamW(new Tensor[]{w}, new Tensor[]{g}, new Tensor[]{m1}, new Tensor[]{m2}, new boolean[]{true}, hyper, 1, ss, ACTIVE);
        for (int mod : ACTIVE) {
            double[] m = read(m1, mod), v = read(m2, mod);
            for (int i = 0; i < 16; i++) {
                double gi = grad[i];
                assertEquals(0.1 * gi, m[i], 4 * U * 0.1 * gi, "m1 = (1 − β1)·g at step 1");
                assertEquals(0.001 * gi * gi, v[i], 4 * U * 0.001 * gi * gi,
                        "m2 = (1 − β2)·g² at step 1: relative error " + (v[i] / (0.001 * gi * gi) - 1));
            }
        }
    }

    /** The decay orders really differ (so the test above would see a swapped order). */
    @Test
    void theTwoDecayOrdersGiveDifferentWeights() {
        double[] a = {0.5}, b = {0.5};
        ReferenceMlp.adamW(a, new double[]{1e-2}, new double[1], new double[1], 1e-1, 1, true, false, 1);
        ReferenceMlp.adamW(b, new double[]{1e-2}, new double[1], new double[1], 1e-1, 1, true, true, 1);
        // before: 0.5·0.9 − 0.1 = 0.35; after: (0.5 − 0.1)·0.9 = 0.36
        assertEquals(0.35, a[0], 1e-6);
        assertEquals(0.36, b[0], 1e-6);
    }

    // ------------------------------------------------------------------- scale, sumSquares

    @Test
    void scale() {
        Random rnd = new Random(41);
        Tensor[] ts = {alloc(7, 13), alloc(41, 37)};
        double[] factor = {0.5, 9, 1.7f, -0.3f}; // float values: the float backend scales by the factor rounded to float
        double[][][] before = new double[MODELS][ts.length][];
        for (int j = 0; j < ts.length; j++) {
            for (int mod : ACTIVE) before[mod][j] = fillGaussian(ts[j], mod, rnd, 2);
            fillRaw(ts[j], IDLE, SENTINEL);
        }
        float[][] idle = {rawBlock(ts[0], IDLE), rawBlock(ts[1], IDLE)};

        be.scale(ts, factor, ACTIVE);

        for (int j = 0; j < ts.length; j++) {
            assertRawEquals(idle[j], ts[j], IDLE, "scale");
            for (int mod : ACTIVE) {
                double[] got = read(ts[j], mod);
                for (int i = 0; i < got.length; i++) {
                    double want = before[mod][j][i] * factor[mod];
                    assertEquals(want, got[i], U * Math.abs(want), "model " + mod + " tensor " + j + " element " + i);
                }
                assertPaddingZero(ts[j], mod, "scale");
            }
        }
    }

    @ParameterizedTest(name = "{0}×{1}")
    @CsvSource({"41, 37", "1, 5", "256, 130"})
    void sumSquares(int rows, int cols) {
        Random rnd = new Random(43 + rows);
        Tensor t = alloc(rows, cols);
        double[][] v = new double[MODELS][];
        for (int mod : ACTIVE) v[mod] = fillGaussian(t, mod, rnd, 1 + mod);
        fillRaw(t, IDLE, SENTINEL);
        double[] out = new double[MODELS];
        out[IDLE] = -1;

        be.sumSquares(t, out, ACTIVE);

        assertEquals(-1, out[IDLE]);
        for (int mod : ACTIVE) {
            double ref = ReferenceMlp.sumSquares(v[mod]);
            double err = Math.abs(out[mod] - ref) / ref;
            record("sumSquares: rel", err);
            assertTrue(err <= 1e-6, "model " + mod + ": " + out[mod] + " vs " + ref);
        }
    }
}
