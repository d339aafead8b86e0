package dev.normclock.cli;

import java.util.LinkedHashSet;
import java.util.Set;

/** Parses --seeds: "8" (seeds 0..7), "0-7", or "1,3,5" (and mixtures such as "0-3,9"). */
final class SeedList {
    /** Seeds one command trains at once, at most: a GPU's memory holds about 10⁵ of the papers' MLPs, and a list past this would crowd the heap before any plan. */
    static final int MAX_SEEDS = 1 << 20;

    private SeedList() {
    }

    private static void checkCount(long n) {
        if (n > MAX_SEEDS)
            throw new IllegalArgumentException("--seeds lists " + n + " seeds, more than one command trains (at most " + MAX_SEEDS
                    + "; a population's memory plan usually allows far fewer): split them over several runs into one --out");
    }

    static int[] parse(String value) {
        String v = value.trim();
        try {
            if (v.matches("\\d+")) {
                long n = Long.parseLong(v);
                if (n < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + n);
                checkCount(n);
                int[] s = new int[(int) n];
                for (int i = 0; i < n; i++) s[i] = i;
                return s;
            }
            Set<Integer> seeds = new LinkedHashSet<>();
            for (String part : v.split(",")) {
                String t = part.trim();
                int dash = t.indexOf('-');
                if (dash > 0) {
                    int from = Integer.parseInt(t.substring(0, dash)), to = Integer.parseInt(t.substring(dash + 1));
                    if (to < from) throw new IllegalArgumentException("empty seed range '" + t + "'");
                    checkCount(seeds.size() + (long) to - from + 1);
                    for (int s = from; s <= to; s++) seeds.add(s);
                } else if (!seeds.add(Integer.parseInt(t))) {
                    throw new IllegalArgumentException("seed " + t + " is listed twice");
                }
            }
            return seeds.stream().mapToInt(Integer::intValue).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a seed list: use a count (8), a range (0-7) or a list (1,3,5)");
        }
    }
}
