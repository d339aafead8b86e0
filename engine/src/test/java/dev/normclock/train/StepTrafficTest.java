package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.normclock.model.MlpShape;

/** The MLP step's traffic estimate against a count made by hand, tensor by tensor, at a tiny shape. */
class StepTrafficTest {
    @Test
    void matchesAHandCountAtATinyShape() {
        // p = 3, d = 2, H = 4, n = 5 training pairs.
        // parameters: E 3·2 = 6, W1 2·2·4 = 16, b1 4, W2 4·3 = 12, b2 3  ->  P = 41
        // parameters read (forward/backward) 41, read + written by AdamW 82, rescaled by the clamp 82  -> 205
        // gradients written + read 82; moments m, v read + written 4·41 = 164                          -> 246
        // Pa, Pb, dPa, dPb: 4 tables of 3·4 = 12 floats, each written + read: 4·24 = 96
        // GELU output and slope: 2 tensors of 5·4 = 20, each written + read: 80
        // logits 5·3 = 15, written + read: 30
        // total 205 + 246 + 96 + 80 + 30 = 657 floats = 2628 bytes
        assertEquals(2628, StepTraffic.bytesPerModelStep(new MlpShape(3, 2, 4), 5), 0);
    }

    @Test
    void thePapersCellMovesAbout11MBPerModelStep() {
        // p = 59, d = 128, H = 256, n = round(0.4·59²) = 1392: P = 88,507
        double bytes = StepTraffic.bytesPerModelStep(new MlpShape(59, 128, 256), 1392);
        assertEquals(4.0 * (11 * 88_507 + 8 * 59 * 256 + 4 * 1392 * 256 + 2 * 1392 * 59), bytes, 0);
        assertEquals(10.7e6, bytes, 0.1e6);
    }
}
