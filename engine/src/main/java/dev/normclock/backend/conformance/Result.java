package dev.normclock.backend.conformance;

import java.util.Locale;

/**
 * One comparison of a candidate backend with the reference: what was compared, the rule it is
 * held to, the worst error in units of that rule's tolerance (so it passes at ≤ 1 whatever the
 * primitive), and where the worst error was — the element with both values, the broken invariant
 * (an idle slot written, padding not zero, an input changed, a correctness flag that differs), or
 * the exception the call threw. NaN fails.
 */
public record Result(String name, String rule, double worst, String where) {

    public boolean passed() {
        return worst <= 1; // NaN fails
    }

    /** One line for a log: name, worst in units of the tolerance, ok or FAIL, and on failure where. */
    public String line() {
        String head = String.format(Locale.ROOT, "%-52s worst %9.3e of its tolerance  %s", name, worst, passed() ? "ok" : "FAIL");
        return passed() ? head : head + "  at " + where + "  [rule: " + rule + "]";
    }
}
