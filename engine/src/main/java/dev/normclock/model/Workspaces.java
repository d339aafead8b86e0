package dev.normclock.model;

import java.util.function.IntFunction;

import dev.normclock.backend.Backend;
import dev.normclock.backend.LossTotals;

/**
 * A population's workspace and loss totals, sized for the backend that steps it: made at the first
 * call with that backend (its {@link Backend#workspaceModels} models: a few on a CPU, the whole
 * population on a GPU) and kept while it stays the same. Slots are stepped in groups whose slots lie
 * in [first, first + size), so a group reaches the workspace through {@code Tensor.window(first)}.
 */
final class Workspaces<W> {
    private final int models;
    private final IntFunction<W> factory;
    private Backend backend;
    private W current;
    private int size;
    /** The training rows' totals (a step's forward pass, or a measurement) and the test rows' (an evaluation). */
    private LossTotals train, test;

    Workspaces(int models, IntFunction<W> factory) {
        this.models = models;
        this.factory = factory;
    }

    /** The workspace for this backend; a backend that asks for another size gets a new one (the old stays in the population's memory). */
    W of(Backend be) {
        if (be != backend) {
            int ws = be.workspaceModels(models);
            if (current == null || ws != size) {
                current = factory.apply(ws);
                size = ws;
            }
            if (train != null) {
                train.close();
                test.close();
            }
            train = be.lossTotals(models);
            test = be.lossTotals(models);
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
        return train;
    }

    LossTotals test() {
        return test;
    }

    /** The training loss and accuracy last measured for the listed models, read from where they were summed. */
    void readTraining(int[] active, double[] lossOut, double[] accOut) {
        if (train == null) throw new IllegalStateException("no training step or measurement to read");
        train.read(active);
        for (int m : active) {
            lossOut[m] = train.meanLoss(m);
            accOut[m] = train.accuracy(m);
        }
    }

    /** The first step whose training loss was not finite, as of the last read; 0 if none. */
    int nonFiniteStep(int m) {
        return train == null ? 0 : train.nonFiniteStep[m];
    }

    void close() {
        if (train != null) {
            train.close();
            test.close();
        }
    }
}
