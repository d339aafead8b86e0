package dev.normclock.rng;

/**
 * What a random stream is used for; part of its key so that streams never overlap. A stream's key
 * mixes (base key, seed index, {@link #code}), and the code of each constant is written out, so
 * adding a constant (always with a new code, appended at the end) leaves every existing stream
 * unchanged. Within one purpose, sub-streams separate the things drawn:
 *
 * <ul>
 *   <li>{@link #SPLIT}: the modular-addition train/test permutation (sub-stream 0).</li>
 *   <li>{@link #INIT}: initial weights, one sub-stream per tensor in the model's tensor order
 *       (MLP: 0 E, 1 W1, 2 b1, 3 W2, 4 b2; attention model: 0 E, 1 pos, 2 Wq, 3 Wk, 4 Wv, 5 Wo,
 *       6 Win, 7 Wout, 8 U).</li>
 *   <li>{@link #PARITY}: the sparse-parity data of one seed: sub-stream 0 the relevant bit indices,
 *       1 the training inputs, 2 the test inputs (see {@code dev.normclock.task.SparseParity}).</li>
 * </ul>
 */
public enum Purpose {
    SPLIT(1), INIT(2), PARITY(3);

    final int code;

    Purpose(int code) {
        this.code = code;
    }
}
