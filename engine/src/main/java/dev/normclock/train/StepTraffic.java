package dev.normclock.train;

import dev.normclock.model.MlpShape;

/**
 * An analytic estimate of the device-memory traffic of one MLP training step of one model (the
 * model bench runs), for the roofline: the bytes an ideal step moves if every tensor of its kernels
 * is read or written once from device memory, everything else staying on chip. It is a floor, not
 * what today's kernels move (they read some tensors more than once, write transposes and dL/dact,
 * and the GEMMs re-read their operands), so the rate it gives is an upper bound on a step's speed.
 *
 * <p>In floats (4 bytes each), with P = the parameters (p·d + 2·d·H + H + H·p + p), n = the
 * training pairs:
 * <ul>
 *   <li>parameters: read once by the forward and backward passes, then read and written by AdamW: 3P;</li>
 *   <li>gradients: written once by the backward pass, read once by AdamW: 2P;</li>
 *   <li>Adam's two moments: each read and written by AdamW: 4P;</li>
 *   <li>the norm clamp (bench's step holds the norm): the parameters read and written once more to
 *       rescale them, the sum of squares coming from AdamW's pass: 2P;</li>
 *   <li>the first layer's tables Pa, Pb (p × H each) and their gradients dPa, dPb: each written once
 *       and read once: 8·p·H;</li>
 *   <li>the GELU's output and slope (n × H each), kept from the forward pass for the backward: each
 *       written once and read once: 4·n·H;</li>
 *   <li>the logits (n × p), turned into their gradient in place by the loss: written once and read
 *       once: 2·n·p.</li>
 * </ul>
 * Left out: the pairs' token indices and labels (a few ints per pair, beside H floats per pair), and
 * dL/dact, which a fused backward keeps on chip.
 */
public final class StepTraffic {
    private StepTraffic() {
    }

    /** Bytes one training step of one model moves to and from device memory, by the count above. */
    public static double bytesPerModelStep(MlpShape shape, int trainSize) {
        double p = shape.p(), h = shape.hidden(), n = trainSize;
        double params = shape.parameters();
        double floats = (3 + 2 + 4 + 2) * params + 8 * p * h + 4 * n * h + 2 * n * p;
        return 4 * floats;
    }
}
