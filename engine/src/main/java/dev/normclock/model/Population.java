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
     * its clamp. {@code step} is 1-based. The step's forward pass measures the training loss and
     * accuracy of the weights before the update; they stay where the backend computes until
     * {@link #readTraining}, and a loss that is not finite records the step ({@link #nonFiniteStep}).
     */
    void trainStep(Backend be, int[] active, Hyper hyper, int step);

    /** The training loss and accuracy of the current weights, without a step (read by {@link #readTraining}). */
    void measureTrain(Backend be, int[] active, Hyper hyper);

    /**
     * The training loss and accuracy that the last {@link #trainStep} or {@link #measureTrain}
     * measured for the listed models, and their {@link #nonFiniteStep}s: one read from the device
     * where the backend computes on one.
     */
    void readTraining(int[] active, double[] lossOut, double[] accOut);

    /** The first step at which model m's training loss was not finite, as of the last {@link #readTraining}; 0 if none. */
    int nonFiniteStep(int m);

    /** {@link #trainStep(Backend, int[], Hyper, int)} and {@link #readTraining}. */
    default void trainStep(Backend be, int[] active, Hyper hyper, int step, double[] lossOut, double[] accOut) {
        trainStep(be, active, hyper, step);
        readTraining(active, lossOut, accOut);
    }

    /** {@link #measureTrain(Backend, int[], Hyper)} and {@link #readTraining}. */
    default void measureTrain(Backend be, int[] active, Hyper hyper, double[] lossOut, double[] accOut) {
        measureTrain(be, active, hyper);
        readTraining(active, lossOut, accOut);
    }

    /**
     * The test half of an evaluation of the current weights — the test losses and the norms —,
     * queued where the backend computes; read with the training half by {@link #readTraining}
     * (one copy from a device), then formed by {@link #testMetrics}.
     */
    void evaluateTest(Backend be, int[] active, Hyper hyper);

    /** Model m's test half of the last {@link #evaluateTest}, after a {@link #readTraining}; the training half is NaN until {@link #completed}. */
    Metrics testMetrics(int m);

    /** {@link #evaluateTest(Backend, int[], Hyper)}, read at once into {@code out}. */
    default void evaluateTest(Backend be, int[] active, Hyper hyper, Metrics[] out) {
        evaluateTest(be, active, hyper);
        readTraining(active, new double[models()], new double[models()]);
        for (int m : active) out[m] = testMetrics(m);
    }

    /** Model m's full evaluation: the test half with the training half measured on the same weights. */
    Metrics completed(Metrics test, int m, double trainLoss, double trainAcc);

    @Override
    void close();
}
