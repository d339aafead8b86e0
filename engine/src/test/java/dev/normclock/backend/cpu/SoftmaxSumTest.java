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
}
