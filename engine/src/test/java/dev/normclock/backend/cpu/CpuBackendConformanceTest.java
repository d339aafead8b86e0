package dev.normclock.backend.cpu;

import static dev.normclock.backend.cpu.PopulationArrays.assertRawEquals;
import static dev.normclock.backend.cpu.PopulationArrays.fillGaussian;
import static dev.normclock.backend.cpu.PopulationArrays.fillRaw;
import static dev.normclock.backend.cpu.PopulationArrays.rawBlock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Tensor;

/**
 * What the CPU backend promises beyond the conformance suite, which holds every primitive of every
 * backend to a tolerance against the float64 backend ({@code dev.normclock.backend.conformance},
 * run for this backend by BackendConformanceTest): its fused kernels give the bits of the calls
 * they replace, on 1, 2 and 3 threads, and a loss's two forms (labels given, or (a + b) mod p of
 * the pairs) give the same bits.
 */
class CpuBackendConformanceTest {
    static final int MODELS = 4;
    static final int[] ACTIVE = {0, 2, 3};
    static final float SENTINEL = 1234.5f;

    static Arena arena;

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
    }

    static int[][] randomPairs(int p, int n, Random rnd) {
        int[][] pairs = new int[MODELS][n];
        for (int[] row : pairs) for (int i = 0; i < n; i++) row[i] = rnd.nextInt(p * p);
        return pairs;
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
     * The pairs form of each loss is its labels form with labels (a + b) mod p: the same bits of
     * loss, logit scale, correctness and gradient, for cross-entropy and squared error.
     */
    @Test
    void theLossesPairsFormIsTheirLabelsForm() {
        int p = 13, n = 70;
        Random rnd = new Random(53);
        float[] tau = {1.3f, 1f, 1f, 0.7f};
        double[] gradScale = {1f / n, 5f, 0f, 2f};
        int[][] pairs = randomPairs(p, n, rnd), labels = Backend.sumLabels(pairs, p, ACTIVE);
        Tensor bias = Tensor.allocate(arena, MODELS, 1, p);
        for (int m : ACTIVE) fillGaussian(bias, m, rnd, 1);
        try (CpuBackend be = new CpuBackend(2)) {
            for (boolean mse : new boolean[]{false, true}) {
                Tensor viaLabels = Tensor.allocate(arena, MODELS, n, p), viaPairs = Tensor.allocate(arena, MODELS, n, p);
                for (int m : ACTIVE) {
                    fillGaussian(viaLabels, m, rnd, 3);
                    viaPairs.fromArray(m, viaLabels.toArray(m));
                }
                float[][] lossA = new float[MODELS][n], lossB = new float[MODELS][n], scaleA = new float[MODELS][n], scaleB = new float[MODELS][n];
                boolean[][] okA = new boolean[MODELS][n], okB = new boolean[MODELS][n];
                if (mse) {
                    be.squaredError(viaLabels, bias, labels, tau, gradScale, lossA, okA, scaleA, ACTIVE);
                    be.squaredError(viaPairs, bias, pairs, p, tau, gradScale, lossB, okB, scaleB, ACTIVE);
                } else {
                    be.crossEntropy(viaLabels, bias, labels, tau, gradScale, lossA, okA, scaleA, ACTIVE);
                    be.crossEntropy(viaPairs, bias, pairs, p, tau, gradScale, lossB, okB, scaleB, ACTIVE);
                }
                String what = mse ? "squared error" : "cross-entropy";
                for (int m : ACTIVE) {
                    assertArrayEquals(lossA[m], lossB[m], what + ": loss");
                    assertArrayEquals(scaleA[m], scaleB[m], what + ": logit scale");
                    assertArrayEquals(okA[m], okB[m], what + ": correct");
                    assertRawEquals(rawBlock(viaLabels, m), viaPairs, m, what + ": gradient");
                }
            }
        }
    }
}
