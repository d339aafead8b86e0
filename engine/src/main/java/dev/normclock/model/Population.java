package dev.normclock.model;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.model.MlpPopulation.Metrics;

/**
 * B models of one architecture and one data shape trained in lock-step, each slot with its own
 * data (assigned by the model's own method before training) and hyperparameters. What the trainer,
 * the checkpoints and the benchmarks need of any model: the MLP of Paper A, and the attention and
 * parity models of the model zoo.
 */
public interface Population extends AutoCloseable {

    int models();

    /** Every tensor that makes up the models' state between steps (parameters and Adam moments), for checkpoints. */
    Tensor[] state();

    /** The number format of its tensors; the backend that trains it must compute in the same. */
    Precision precision();

    /** Bytes of off-heap memory the population holds. */
    long bytes();

    /**
     * One full-batch AdamW step of every listed model (ascending slots) on its training set, then
     * its clamp. {@code step} is 1-based. Returns each model's training loss and accuracy on the
     * weights before the update (the step's forward pass).
     */
    void trainStep(Backend be, int[] active, Hyper hyper, int step, double[] lossOut, double[] accOut);

    /** The training loss and accuracy of the current weights, without a step. */
    void measureTrain(Backend be, int[] active, Hyper hyper, double[] lossOut, double[] accOut);

    /**
     * The test half of an evaluation of the current weights, and the norms; the training half is
     * added by {@link #completed} from the measurement of the same weights.
     */
    void evaluateTest(Backend be, int[] active, Hyper hyper, Metrics[] out);

    /** Model m's full evaluation: the test half with the training half measured on the same weights. */
    Metrics completed(Metrics test, int m, double trainLoss, double trainAcc);

    @Override
    void close();
}
