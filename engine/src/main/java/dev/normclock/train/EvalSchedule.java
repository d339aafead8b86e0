package dev.normclock.train;

import java.util.BitSet;

/**
 * The steps at which models are evaluated. Paper A logs on round(T^(k/359)), k = 0…359 — about
 * 360 log-spaced steps up to the budget T (its released T_grok values all lie on this grid);
 * Paper B logs every 25 steps. T_mem and T_grok are quantised to the grid, so the grid is stored
 * with every run.
 */
public final class EvalSchedule {
    private final String name;
    private final BitSet steps;
    private final int maxSteps;

    private EvalSchedule(String name, BitSet steps, int maxSteps) {
        this.name = name;
        this.steps = steps;
        this.maxSteps = maxSteps;
    }

    public static EvalSchedule logGrid(int maxSteps, int points) {
        if (points < 2) throw new IllegalArgumentException("a log grid needs at least 2 points, got " + points);
        BitSet s = new BitSet(maxSteps + 1);
        for (int k = 0; k < points; k++) s.set((int) Math.round(Math.pow(maxSteps, k / (double) (points - 1))));
        s.set(maxSteps);
        return new EvalSchedule("log" + points, s, maxSteps);
    }

    public static EvalSchedule every(int interval, int maxSteps) {
        if (interval < 1) throw new IllegalArgumentException("the evaluation interval must be at least 1, got " + interval);
        BitSet s = new BitSet(maxSteps + 1);
        for (int t = interval; t <= maxSteps; t += interval) s.set(t);
        s.set(maxSteps);
        return new EvalSchedule("every" + interval, s, maxSteps);
    }

    /** Parses "log360" or "every25" (the forms {@link #name()} returns). */
    public static EvalSchedule parse(String spec, int maxSteps) {
        try {
            if (spec.startsWith("log")) return logGrid(maxSteps, Integer.parseInt(spec.substring(3)));
            if (spec.startsWith("every")) return every(Integer.parseInt(spec.substring(5)), maxSteps);
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("unknown evaluation grid '" + spec + "': use logN (N log-spaced steps, e.g. log360) or everyK (e.g. every25)");
    }

    public boolean contains(int step) {
        return steps.get(step);
    }

    public int count() {
        return steps.cardinality();
    }

    public int maxSteps() {
        return maxSteps;
    }

    public String name() {
        return name;
    }
}
