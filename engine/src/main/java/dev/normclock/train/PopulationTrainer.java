package dev.normclock.train;

import java.util.Arrays;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.model.ModularPopulation;
import dev.normclock.model.Population;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;
import dev.normclock.task.ModularAddition.Split;

/**
 * Trains a population with full-batch steps, evaluates each model on its own grid, detects T_mem
 * (train accuracy ≥ 0.99) and T_grok (test accuracy ≥ 0.90), and retires models that have grokked
 * and held it for the window, spent their budget, or diverged, so that they stop costing compute.
 * Models of one population may have different budgets (and so different log grids).
 */
public final class PopulationTrainer {
    public static final double MEMORISED = 0.99, GROKKED = 0.90;

    /**
     * Each slot's budget and evaluation grid, and the window: a model is retired once its test
     * accuracy has stayed at or above 0.90 at every evaluation for that many steps. With
     * {@code retireGroup} (null: every slot alone), slots of one group ≥ 0 retire together — each
     * trains on until every slot of its group is ready or has ended (Paper B's protocol: each seed
     * trains until every seed of its cell has grokked, or its budget), so the norm at a slot's last
     * step is the one Paper B records.
     */
    public record Settings(int[] maxSteps, EvalSchedule[] schedules, int retireWindow, int[] retireGroup) {
        public Settings {
            for (int t : maxSteps) if (t < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + t);
            if (retireWindow < 0) throw new IllegalArgumentException("--retire-window must be at least 0, got " + retireWindow);
            if (schedules.length != maxSteps.length) throw new IllegalArgumentException("one schedule per slot");
            if (retireGroup != null && retireGroup.length != maxSteps.length) throw new IllegalArgumentException("one retire group per slot");
        }

        public Settings(int[] maxSteps, EvalSchedule[] schedules, int retireWindow) {
            this(maxSteps, schedules, retireWindow, null);
        }

        int group(int m) {
            return retireGroup == null ? -1 : retireGroup[m];
        }

        /** The same budget and grid for every slot. */
        public static Settings uniform(int models, int maxSteps, EvalSchedule schedule, int retireWindow) {
            int[] t = new int[models];
            Arrays.fill(t, maxSteps);
            EvalSchedule[] s = new EvalSchedule[models];
            Arrays.fill(s, schedule);
            return new Settings(t, s, retireWindow);
        }

        boolean evaluates(int m, int step) {
            return schedules[m].contains(step) || step == maxSteps[m];
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

        /**
         * Called before each step with the state the population's tensors are in: the moment to
         * write a checkpoint (after {@link Backend#syncToHost}, which brings the tensors' host
         * memory up to date on a backend that computes elsewhere).
         */
        default void between(TrainerState state) {
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

    /** Trains every slot of the population from its initial state on the given splits; returns each slot's outcome. */
    public RunOutcome[] run(ModularPopulation pop, Hyper hyper, Split[] splits, Settings settings, Listener listener) {
        return run(pop, hyper, splits, settings, new TrainerState(pop.models()), listener);
    }

    /** As {@link #run(Population, Hyper, Settings, TrainerState, Listener)}, assigning the splits first. */
    public RunOutcome[] run(ModularPopulation pop, Hyper hyper, Split[] splits, Settings settings, TrainerState state, Listener listener) {
        for (int m = 0; m < pop.models(); m++) pop.assign(m, splits[m]);
        return run(pop, hyper, settings, state, listener);
    }

    /**
     * Trains from {@code state} (a fresh one, or one restored with the population's tensors from a
     * checkpoint); returns each slot's outcome, including those retired before.
     */
    public RunOutcome[] run(Population pop, Hyper hyper, Settings settings, TrainerState state, Listener listener) {
        if (pop.precision() != backend.precision())
            throw new IllegalArgumentException("a " + pop.precision().label() + " population cannot be trained by the " + backend.precision().label()
                    + " backend '" + backend.name() + "'");
        backend.hostChanged(); // the population was initialised, given its data or restored on the host
        RunOutcome[] outcome = train(pop, hyper, settings, state, listener);
        backend.syncToHost(); // the trained weights, for whoever reads them next
        return outcome;
    }

    private RunOutcome[] train(Population pop, Hyper hyper, Settings settings, TrainerState state, Listener listener) {
        int b = pop.models();
        int[] tMem = state.tMem, tGrok = state.tGrok, heldSince = state.heldSince;
        Metrics[] atGrok = state.atGrok;
        RunOutcome[] outcome = state.outcome;
        Metrics[] metrics = new Metrics[b];
        double[] loss = new double[b], acc = new double[b];
        int[] active = state.active();
        if (state.clampTarget != null) { // resumed: targets set at a fork come back with the state
            System.arraycopy(state.clampTarget, 0, hyper.clampTarget, 0, b);
            System.arraycopy(state.forkScale, 0, hyper.forkScale, 0, b);
        }
        long start = System.nanoTime() - (long) (state.wallBefore * 1e9);

        for (int t = state.step; active.length > 0; t++) {
            final int step = t;
            state.step = step;
            state.wallBefore = (System.nanoTime() - start) / 1e9;
            state.clampTarget = hyper.clampTarget.clone();
            state.forkScale = hyper.forkScale.clone();
            listener.between(state);
            boolean stop = listener.stopRequested();
            int[] evaluated = select(active, m -> settings.evaluates(m, step));
            int[] atBudget = select(active, m -> step >= settings.maxSteps()[m]);
            int[] training = stop ? new int[0] : select(active, m -> step < settings.maxSteps()[m]);
            // A step's forward pass measures the training set on the weights it starts from, so an
            // evaluation computes the test pairs (before the step changes the weights) and reads the
            // training metrics from the step.
            if (evaluated.length > 0) pop.evaluateTest(backend, evaluated, hyper); // queued: read with the training half
            if (training.length > 0) backend.replayable(() -> pop.trainStep(backend, training, hyper, step + 1)); // one graph launch where it can
            int[] measureOnly = stop ? evaluated : atBudget;
            if (measureOnly.length > 0) pop.measureTrain(backend, measureOnly, hyper);
            // Where reading results costs a round trip to a device, the training losses are read
            // at evaluations only — with the test half, in one copy —, and a loss that went
            // non-finite in between is learnt of there.
            boolean read = evaluated.length > 0 || !backend.deferredResults();
            if (read) pop.readTraining(active, loss, acc);
            if (read && backend.deferredResults()) {
                for (int m : active) {
                    int bad = pop.nonFiniteStep(m);
                    if (bad > 0 && bad <= step && outcome[m] == null) outcome[m] = ended(RunStatus.DIVERGED, state, m, bad, start);
                }
                evaluated = select(evaluated, m -> outcome[m] == null);
            }
            if (evaluated.length > 0) {
                for (int m : evaluated) metrics[m] = pop.completed(pop.testMetrics(m), m, loss[m], acc[m]);
                listener.evaluated(step, evaluated, metrics);
                for (int m : evaluated) {
                    Metrics x = metrics[m];
                    if (!x.finite()) {
                        outcome[m] = ended(RunStatus.DIVERGED, state, m, step, start);
                        continue;
                    }
                    if (tMem[m] < 0 && x.trainAcc() >= MEMORISED) tMem[m] = step;
                    if (tGrok[m] < 0 && x.testAcc() >= GROKKED) {
                        tGrok[m] = step;
                        atGrok[m] = x;
                    }
                    heldSince[m] = x.testAcc() < GROKKED ? -1 : heldSince[m] < 0 ? step : heldSince[m];
                    if (ready(m, step, heldSince, settings) && settings.group(m) < 0)
                        outcome[m] = ended(RunStatus.GROKKED, state, m, step, start);
                    else if (step >= settings.maxSteps()[m])
                        outcome[m] = ended(tGrok[m] >= 0 ? RunStatus.GROKKED : RunStatus.CENSORED, state, m, step, start);
                }
                if (settings.retireGroup() != null) retireGroups(evaluated, step, heldSince, settings, outcome, state, start);
            }
            if (stop) {
                for (int m : active)
                    if (outcome[m] == null) outcome[m] = ended(RunStatus.INTERRUPTED, state, m, step, start);
                retire(active, outcome, listener);
                break;
            }
            if (read)
                for (int m : training)
                    if (outcome[m] == null && pop.nonFiniteStep(m) == step + 1) outcome[m] = ended(RunStatus.DIVERGED, state, m, step + 1, start);
            active = retire(active, outcome, listener);
            if (training.length > 0) listener.stepped(step + 1, active.length, state.grokked());
        }
        return outcome;
    }

    /** Whether slot m has held grokking for the retire window. */
    private static boolean ready(int m, int step, int[] heldSince, Settings settings) {
        return heldSince[m] >= 0 && step - heldSince[m] >= settings.retireWindow();
    }

    /**
     * Ends, at this evaluation, every grouped slot whose whole group is ready or has ended: slots of
     * a group share their cell's grid, so they are evaluated together.
     */
    private static void retireGroups(int[] evaluated, int step, int[] heldSince, Settings settings, RunOutcome[] outcome, TrainerState state,
                                     long start) {
        java.util.Map<Integer, Boolean> done = new java.util.HashMap<>();
        for (int m = 0; m < outcome.length; m++) {
            int g = settings.group(m);
            if (g < 0) continue;
            boolean finished = outcome[m] != null || ready(m, step, heldSince, settings) && contains(evaluated, m);
            done.merge(g, finished, Boolean::logicalAnd);
        }
        for (int m : evaluated) {
            int g = settings.group(m);
            if (g >= 0 && outcome[m] == null && done.get(g)) outcome[m] = ended(RunStatus.GROKKED, state, m, step, start);
        }
    }

    private static boolean contains(int[] a, int x) {
        for (int v : a) if (v == x) return true;
        return false;
    }

    private static int[] select(int[] active, java.util.function.IntPredicate keep) {
        int n = 0;
        int[] out = new int[active.length];
        for (int m : active) if (keep.test(m)) out[n++] = m;
        return n == active.length ? active : Arrays.copyOf(out, n);
    }

    private static RunOutcome ended(RunStatus status, TrainerState s, int m, int step, long start) {
        double wall = (System.nanoTime() - start) / 1e9;
        Metrics g = s.atGrok[m];
        if (g == null) return new RunOutcome(status, s.tMem[m], s.tGrok[m], Double.NaN, Double.NaN, Double.NaN, Double.NaN, step, wall);
        return new RunOutcome(status, s.tMem[m], s.tGrok[m], g.norm(), g.normE(), g.normW1(), g.normW2(), step, wall);
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
