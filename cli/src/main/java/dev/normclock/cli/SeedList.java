package dev.normclock.cli;

import java.util.LinkedHashSet;
import java.util.Set;

/** Parses --seeds: "8" (seeds 0..7), "0-7", or "1,3,5" (and mixtures such as "0-3,9"). */
final class SeedList {
    private SeedList() {
    }

    static int[] parse(String value) {
        String v = value.trim();
        try {
            if (v.matches("\\d+")) {
                int n = Integer.parseInt(v);
                if (n < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + n);
                int[] s = new int[n];
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
