package dev.normclock.analysis;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Least-squares fit of y = a_g + b·x over groups g: one slope b shared by all groups, one intercept
 * per group (analysis of covariance without interaction). Used to ask whether, e.g., ln T_grok
 * grows with ρ at the same rate for every p, with a p-dependent offset. The slope is the pooled
 * within-group slope Σ_g Σ_i (x−x̄_g)(y−ȳ_g) / Σ_g Σ_i (x−x̄_g)², and a_g = ȳ_g − b·x̄_g.
 *
 * @param slope       the shared slope b
 * @param intercepts  a_g by group label, in the order the groups were given
 * @param r2          1 − SSres/SStot with SStot about the overall mean of all y: credits the
 *                    intercepts too, so it is high whenever groups differ in level
 * @param r2Within    1 − SSres/SSwithin with SSwithin about each group's own mean: how much of
 *                    the within-group variation the shared slope explains
 * @param n           total number of points
 * @param slopeStdErr classical standard error of b, residual variance SSres/(n − G − 1); NaN when
 *                    n = G + 1
 */
public record SharedSlopeFit(double slope, Map<String, Double> intercepts, double r2, double r2Within, int n, double slopeStdErr) {

    /** One group's points. Arrays are copied. */
    public record Group(String label, double[] x, double[] y) {
        public Group {
            if (label == null) throw new IllegalArgumentException("group label is null");
            if (x.length != y.length)
                throw new IllegalArgumentException("group '" + label + "': x and y differ in length: " + x.length + " vs " + y.length);
            x = x.clone();
            y = y.clone();
        }

        @Override
        public double[] x() {
            return x.clone();
        }

        @Override
        public double[] y() {
            return y.clone();
        }
    }

    public SharedSlopeFit {
        intercepts = Collections.unmodifiableMap(new LinkedHashMap<>(intercepts));
    }

    /**
     * Fits the shared slope.
     *
     * A NaN anywhere gives a fit whose numbers are all NaN, as in {@link LinearFit#of}, so that a
     * bootstrap statistic built on it reports an undefined resample.
     *
     * @throws IllegalArgumentException when there are no groups, a label repeats, a group has fewer
     *                                  than 2 points, a value is infinite, or x is constant within every group
     */
    public static SharedSlopeFit of(List<Group> groups) {
        if (groups.isEmpty()) throw new IllegalArgumentException("a shared-slope fit needs at least one group");
        Set<String> seen = new HashSet<>();
        int n = 0;
        boolean hasNaN = false;
        for (Group g : groups) {
            if (!seen.add(g.label())) throw new IllegalArgumentException("group label '" + g.label() + "' appears twice");
            if (g.x.length < 2)
                throw new IllegalArgumentException("group '" + g.label() + "' has " + g.x.length + " point(s); each group needs at least 2");
            for (int i = 0; i < g.x.length; i++) {
                if (Double.isInfinite(g.x[i]) || Double.isInfinite(g.y[i]))
                    throw new IllegalArgumentException("group '" + g.label() + "' point " + i + " is infinite: x=" + g.x[i] + " y=" + g.y[i]);
                hasNaN |= Double.isNaN(g.x[i]) || Double.isNaN(g.y[i]);
            }
            n += g.x.length;
        }
        if (hasNaN) {
            Map<String, Double> nan = new LinkedHashMap<>();
            for (Group g : groups) nan.put(g.label(), Double.NaN);
            return new SharedSlopeFit(Double.NaN, nan, Double.NaN, Double.NaN, n, Double.NaN);
        }
        int groupCount = groups.size();
        double[] mx = new double[groupCount];
        double[] my = new double[groupCount];
        double sxx = 0;
        double sxy = 0;
        double ssWithin = 0;
        double sumY = 0;
        for (int k = 0; k < groupCount; k++) {
            Group g = groups.get(k);
            mx[k] = LinearFit.mean(g.x);
            my[k] = LinearFit.mean(g.y);
            for (int i = 0; i < g.x.length; i++) {
                double dx = g.x[i] - mx[k];
                double dy = g.y[i] - my[k];
                sxx += dx * dx;
                sxy += dx * dy;
                ssWithin += dy * dy;
                sumY += g.y[i];
            }
        }
        if (sxx == 0) throw new IllegalArgumentException("x is constant within every group: the shared slope is undefined");
        double slope = sxy / sxx;
        double overallMean = sumY / n;
        Map<String, Double> intercepts = new LinkedHashMap<>();
        double ssRes = 0;
        double ssTot = 0;
        for (int k = 0; k < groupCount; k++) {
            Group g = groups.get(k);
            double a = my[k] - slope * mx[k];
            intercepts.put(g.label(), a);
            for (int i = 0; i < g.x.length; i++) {
                double r = g.y[i] - (a + slope * g.x[i]);
                ssRes += r * r;
                double d = g.y[i] - overallMean;
                ssTot += d * d;
            }
        }
        double r2 = ssTot == 0 ? Double.NaN : 1 - ssRes / ssTot;
        double r2Within = ssWithin == 0 ? Double.NaN : 1 - ssRes / ssWithin;
        int dof = n - groupCount - 1;
        double slopeSe = dof > 0 ? Math.sqrt(ssRes / dof / sxx) : Double.NaN;
        return new SharedSlopeFit(slope, intercepts, r2, r2Within, n, slopeSe);
    }

    /** The fitted value a_g + b·x for the group {@code label}. */
    public double predict(String label, double x) {
        Double a = intercepts.get(label);
        if (a == null) throw new IllegalArgumentException("no group '" + label + "'; groups are " + intercepts.keySet());
        return a + slope * x;
    }
}
