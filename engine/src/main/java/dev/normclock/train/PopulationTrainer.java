package dev.normclock.train;

import java.util.Arrays;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;
import dev.normclock.task.ModularAddition.Split;

/**
 * Trains a population with full-batch steps, evaluates on the schedule, detects T_mem (train
 * accuracy ≥ 0.99) and T_grok (test accuracy ≥ 0.90), and retires models that have grokked and
 * held it for the window, spent their budget, or diverged, so that they stop costing compute.
 */
public final class PopulationTrainer {
    public static final double MEMORISED = 0.99, GROKKED = 0.90;

    /**
     * Budget, evaluation grid, and the window: a model is retired once its test accuracy has
     * stayed at or above 0.90 at every evaluation for that many steps.
     */
    public record Settings(int maxSteps, EvalSchedule schedule, int retireWindow) {
        public Settings {
            if (maxSteps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + maxSteps);
            if (retireWindow < 0) throw new IllegalArgumentException("--retire-window must be at least 0, got " + retireWindow);
        }
    }

    /** Told of progress; every method runs on the training thread between steps. */
    public interface Listener {
        default void evaluated(int step, int[] slots, Metrics[] metrics) {
        }

        default void finished(int slot, RunOutcome outcome) {
        }

        default void stepped(int step, int active, int grokked) {
        }

        /** Polled between steps: true stops training and ends the unfinished models as interrupted. */
        default boolean stopRequested() {
            return false;
        }
    }

    private final Backend backend;

    public PopulationTrainer(Backend backend) {
        this.backend = backend;
    }

    /** Trains every slot of the population from its current state; returns each slot's outcome. */
    public RunOutcome[] run(MlpPopulation pop, Hyper hyper, Split[] splits, Settings settings, Listener listener) {
        int b = pop.models;
        int[][] trainPairs = new int[b][], testPairs = new int[b][];
        for (int m = 0; m < b; m++) {
            trainPairs[m] = splits[m].trainPairs();
            testPairs[m] = splits[m].testPairs();
        }
        int[] tMem = new int[b], tGrok = new int[b], heldSince = new int[b];
        Arrays.fill(tMem, -1);
        Arrays.fill(tGrok, -1);
        Arrays.fill(heldSince, -1);
        Metrics[] atGrok = new Metrics[b];
        RunOutcome[] outcome = new RunOutcome[b];
        Metrics[] metrics = new Metrics[b];
        double[] loss = new double[b], acc = new double[b];
        int[] active = new int[b];
        for (int m = 0; m < b; m++) active[m] = m;
        int grokked = 0;
        long start = System.nanoTime();

        for (int step = 0; active.length > 0; step++) {
            boolean stop = listener.stopRequested();
            boolean evaluate = settings.schedule().contains(step) || step == settings.maxSteps();
            boolean train = !stop && step < settings.maxSteps();
            // A step's forward pass measures the training set on the weights it starts from, so an
            // evaluation computes the test pairs (before the step changes the weights) and reads the
            // training metrics from the step.
            if (evaluate) pop.evaluateTest(backend, active, testPairs, hyper, metrics);
            if (train) pop.trainStep(backend, active, trainPairs, hyper, step + 1, loss, acc);
            else if (evaluate) pop.measureTrain(backend, active, trainPairs, hyper, loss, acc);
            if (evaluate) {
                for (int m : active) metrics[m] = metrics[m].withTrain(loss[m], acc[m]);
                listener.evaluated(step, active, metrics);
                for (int m : active) {
                    Metrics x = metrics[m];
                    if (!x.finite()) {
                        outcome[m] = ended(RunStatus.DIVERGED, tMem[m], tGrok[m], atGrok[m], step, start);
                        continue;
                    }
                    if (tMem[m] < 0 && x.trainAcc() >= MEMORISED) tMem[m] = step;
                    if (tGrok[m] < 0 && x.testAcc() >= GROKKED) {
                        tGrok[m] = step;
                        atGrok[m] = x;
                        grokked++;
                    }
                    heldSince[m] = x.testAcc() < GROKKED ? -1 : heldSince[m] < 0 ? step : heldSince[m];
                    if (heldSince[m] >= 0 && step - heldSince[m] >= settings.retireWindow())
                        outcome[m] = ended(RunStatus.GROKKED, tMem[m], tGrok[m], atGrok[m], step, start);
                    else if (step >= settings.maxSteps())
                        outcome[m] = ended(tGrok[m] >= 0 ? RunStatus.GROKKED : RunStatus.CENSORED, tMem[m], tGrok[m], atGrok[m], step, start);
                }
            }
            if (stop) {
                for (int m : active)
                    if (outcome[m] == null) outcome[m] = ended(RunStatus.INTERRUPTED, tMem[m], tGrok[m], atGrok[m], step, start);
                retire(active, outcome, listener);
                break;
            }
            if (train)
                for (int m : active)
                    if (outcome[m] == null && !Double.isFinite(loss[m]))
                        outcome[m] = ended(RunStatus.DIVERGED, tMem[m], tGrok[m], atGrok[m], step + 1, start);
            active = retire(active, outcome, listener);
            if (train) listener.stepped(step + 1, active.length, grokked);
        }
        return outcome;
    }

    private static RunOutcome ended(RunStatus status, int tMem, int tGrok, Metrics g, int step, long start) {
        double wall = (System.nanoTime() - start) / 1e9;
        if (g == null) return new RunOutcome(status, tMem, tGrok, Double.NaN, Double.NaN, Double.NaN, Double.NaN, step, wall);
        return new RunOutcome(status, tMem, tGrok, g.norm(), g.normE(), g.normW1(), g.normW2(), step, wall);
    }

    private static int[] retire(int[] active, RunOutcome[] outcome, Listener listener) {
        int kept = 0;
        int[] next = new int[active.length];
        for (int m : active) {
            if (outcome[m] == null) next[kept++] = m;
            else listener.finished(m, outcome[m]);
        }
        return kept == active.length ? active : Arrays.copyOf(next, kept);
    }
}
