package dev.normclock.model;

import dev.normclock.backend.Backend;
import dev.normclock.backend.LossTotals;
import dev.normclock.backend.Readout;

/**
 * A population's workspace and loss totals, sized for the backend that steps it: made at the first
 * call with that backend (its {@link Backend#workspaceModels} models: a few on a CPU, the whole
 * population on a GPU) and kept while it stays the same. Slots are stepped in groups whose slots lie
 * in [first, first + size), so a group reaches the workspace through {@code Tensor.window(first)}.
 */
final class Workspaces<W> {
    private final int models, tensors;
    private final Factory<W> factory;
    private Backend backend;
    private W current;
    private int size;
    /** The training rows' totals (a step's forward pass, or a measurement), the test rows' (an evaluation) and the norms. */
    private Readout readout;

    /** @param tensors the population's parameter tensors, whose norms an evaluation reads */
    /** Makes the workspace of {@code models} models for a backend (which may size parts of it, see {@link Backend#evaluationRows}). */
    interface Factory<W> {
        W make(int models, Backend be);
    }

    Workspaces(int models, int tensors, Factory<W> factory) {
        this.models = models;
        this.tensors = tensors;
        this.factory = factory;
    }

    /** The workspace for this backend; a backend that asks for another size gets a new one (the old stays in the population's memory). */
    W of(Backend be) {
        if (be != backend) {
            int ws = be.workspaceModels(models);
            if (current == null || ws != size) {
                current = factory.make(ws, be);
                size = ws;
            }
            if (readout != null) readout.close();
            readout = be.readout(models, tensors);
            backend = be;
        }
        return current;
    }

    /** The workspace made last (tests read gradients from it). */
    W current() {
        if (current == null) throw new IllegalStateException("the population has not been stepped yet");
        return current;
    }

    /** The end (exclusive) of the group that starts at index {@code from} of the ascending slots. */
    int groupEnd(int[] active, int from) {
        return WorkspaceGroups.end(active, from, size);
    }

    LossTotals train() {
        return readout.train;
    }

    LossTotals test() {
        return readout.test;
    }

    Readout readout() {
        return readout;
    }

    /**
     * Reads everything measured for the listed models — in one copy from a device — and returns the
     * training loss and accuracy last measured.
     */
    void readTraining(int[] active, double[] lossOut, double[] accOut) {
        if (readout == null) throw new IllegalStateException("nothing measured to read");
        readout.read(active);
        for (int m : active) {
            lossOut[m] = readout.train.meanLoss(m);
            accOut[m] = readout.train.accuracy(m);
        }
    }

    /** The first step whose training loss was not finite, as of the last read; 0 if none. */
    int nonFiniteStep(int m) {
        return readout == null ? 0 : readout.train.nonFiniteStep[m];
    }

    void close() {
        if (readout != null) readout.close();
    }
}
