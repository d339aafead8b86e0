package dev.normclock.backend.conformance;

import dev.normclock.backend.Backend;
import dev.normclock.backend.cpu.CpuFloat64Backend;

/**
 * One check of one primitive, stated once for every backend: the {@link Backend} method it calls,
 * a name, the rule its outputs are held to (the tolerance and the magnitude the error is measured
 * against), and a body that generates the inputs from a seed, makes the call on the reference and
 * on the candidate, and compares.
 */
public final class Case {
    /** What a case does with its trial: make inputs, run calls, compare outputs. */
    @FunctionalInterface
    interface Body {
        void run(Trial t);
    }

    private final String primitive, name, rule;
    private final Body body;

    Case(String primitive, String name, String rule, Body body) {
        this.primitive = primitive;
        this.name = name;
        this.rule = rule;
        this.body = body;
    }

    /** The name of the {@link Backend} method checked. */
    public String primitive() {
        return primitive;
    }

    public String name() {
        return name;
    }

    public String rule() {
        return rule;
    }

    /**
     * Runs the case on the candidate against the float64 backend (the reference, one thread). The
     * inputs depend on the seed and the case's name only. An exception the call throws is not caught.
     */
    public Result run(Backend candidate, long seed) {
        try (CpuFloat64Backend reference = new CpuFloat64Backend(1);
             Trial t = new Trial(reference, candidate, seed * 0x9E3779B97F4A7C15L + name.hashCode())) {
            body.run(t);
            return t.result(name, rule);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
