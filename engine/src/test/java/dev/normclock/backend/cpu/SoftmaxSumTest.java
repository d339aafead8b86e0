package dev.normclock.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.SoftmaxSum;
import dev.normclock.backend.Tensor;

/**
 * The order of the cross-entropy's sum decides softmax collapse. A row whose top logit leads every
 * other class by 17 (each exp(−17) ≈ 4.1e-8 below half an ulp of 1, 2⁻²⁴ ≈ 6.0e-8, but seven of
 * them together above it): in class order, with the top class first, each term rounds away after
 * the 1.0 and the row collapses (loss exactly 0); with the top class added last it does not. Rows
 * far from collapse get the same loss to rounding either way.
 */
class SoftmaxSumTest {
    static final int CLASSES = 8;

    static float[] loss(SoftmaxSum sum, float[] logits) {
        try (Arena arena = Arena.ofConfined(); CpuBackend be = new CpuBackend(1, sum)) {
            Tensor z = Tensor.allocate(arena, 1, 1, CLASSES), bias = Tensor.allocate(arena, 1, 1, CLASSES);
            for (int c = 0; c < CLASSES; c++) z.set(0, 0, c, logits[c]);
            float[][] rowLoss = {new float[1]}, rowScale = {new float[1]};
            boolean[][] correct = {new boolean[1]};
            be.crossEntropy(z, bias, new int[][]{{0}}, new float[]{1f}, new double[]{0}, rowLoss, correct, rowScale, new int[]{0});
            assertTrue(correct[0][0]);
            return rowLoss[0];
        }
    }

    @Test
    void theTopClassAddedLastKeepsTermsThatClassOrderRoundsAway() {
        float[] z = new float[CLASSES];
        for (int c = 1; c < CLASSES; c++) z[c] = -17f;
        assertEquals(0f, loss(SoftmaxSum.CLASS_ORDER, z)[0], "class order: collapsed");
        float topLast = loss(SoftmaxSum.TOP_LAST, z)[0];
        assertTrue(topLast > 0 && topLast < 1e-6, "top last: 7·e^-17 survives: " + topLast);
    }

    @Test
    void rowsFarFromCollapseAgree() {
        float[] z = {3f, 1f, -0.5f, 2f, 0f, -2f, 1.5f, 0.25f};
        float a = loss(SoftmaxSum.CLASS_ORDER, z)[0], b = loss(SoftmaxSum.TOP_LAST, z)[0];
        assertEquals(a, b, 1e-6 * Math.abs(a), "the same loss to float rounding");
        assertEquals("top-last", SoftmaxSum.TOP_LAST.label());
        assertEquals(SoftmaxSum.TOP_LAST, SoftmaxSum.parse("top-last"));
    }

    /**
     * PyTorch's warp order on 8 classes: a warp of 8 threads, one class each, then the butterfly
     * ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)) as seen by thread 0. With the top class first
     * and seven terms of e^-17: each pair of them (8.3e-8) is above half an ulp of 1, but the top's
     * partner c4 alone is not, so 1 + c4 rounds to 1; the sums of the others then survive.
     */
    @Test
    void theWarpOrderIsPyTorchsButterfly() {
        float[] z = new float[CLASSES];
        for (int c = 1; c < CLASSES; c++) z[c] = -17f;
        float warp = loss(SoftmaxSum.WARP, z)[0];
        assertTrue(warp > 0 && warp < 1e-6, "warp: the butterfly keeps pairs of e^-17: " + warp);
        // the total by hand in PyTorch's order, from the backend's own exp of −17 (read back through a row of two classes)
        float e = (float) Math.exp(-17); // the backend's exp is within an ulp of this; the assertion allows for it
        float total = ((1f + e) + (e + e)) + ((e + e) + (e + e));
        assertEquals(Math.log(total), warp, 2e-8, "loss = ln(total) for the top class");
        float[] far = {3f, 1f, -0.5f, 2f, 0f, -2f, 1.5f, 0.25f};
        assertEquals(loss(SoftmaxSum.CLASS_ORDER, far)[0], loss(SoftmaxSum.WARP, far)[0], 1e-6 * loss(SoftmaxSum.CLASS_ORDER, far)[0]);
        assertEquals(SoftmaxSum.WARP, SoftmaxSum.parse("warp"));
    }

    /** The warp's width and passes follow the class count as PyTorch's do: 59 classes, a warp of 32 and two classes per thread. */
    @Test
    void fiftyNineClassesSumInTwoStridedPassesThenFiveButterflySteps() {
        int classes = 59, ld = Tensor.padded(classes), lanes = RowKernels.lanesAt(ld), cols = RowKernels.colsAt(ld);
        float[] scratch = new float[RowKernels.crossEntropyScratchSize(ld)];
        java.util.Random rnd = new java.util.Random(3);
        float[][] v = new float[CpuGemm.L][classes];
        for (int r = 0; r < CpuGemm.L; r++)
            for (int c = 0; c < classes; c++) scratch[cols + c * CpuGemm.L + r] = v[r][c] = (float) Math.exp(-10 * rnd.nextDouble());
        RowKernels.columnsTotalWarp(scratch, classes, ld);
        for (int r = 0; r < CpuGemm.L; r++) {
            float[] part = new float[32];
            for (int t = 0; t < 32; t++) part[t] = t + 32 < classes ? (0f + v[r][t]) + v[r][t + 32] : 0f + v[r][t];
            for (int off = 16; off > 0; off /= 2) {
                float[] next = new float[32];
                for (int t = 0; t < 32; t++) next[t] = part[t] + part[t ^ off];
                part = next;
            }
            assertEquals(part[0], scratch[lanes + RowKernels.TOTAL * CpuGemm.L + r], 0f, "row " + r);
        }
    }
}
