package dev.normclock.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Like with like: the statistics the analysis computes, applied to the papers' released seeds,
 * give the numbers the papers quote — so a claim's "paper" side, recomputed from those seeds, is
 * the paper's own number where the cells are the same.
 */
class PaperStatisticsTest {
    static List<ReferenceCell> cells(String experiment) {
        return ReferenceData.cells(ReferenceData.Paper.A).stream().filter(c -> c.experiment().equals(experiment)).toList();
    }

    @Test
    void theDenseSlopeIsPaperAs764() {
        List<ReferenceCell> held = cells("denserho").stream().filter(c -> c.armKind().equals("clamp"))
                .sorted(java.util.Comparator.comparingDouble(ReferenceCell::rho)).toList();
        double[] rho = held.stream().mapToDouble(ReferenceCell::rho).toArray();
        double[] lnT = held.stream().mapToDouble(c -> Math.log(c.tGrok().median())).toArray();
        assertEquals(9, rho.length);
        assertEquals(7.64, LinearFit.of(rho, lnT).slope(), 0.005);
    }

    @Test
    void theSharedSlopeIsPaperAs749() {
        List<SharedSlopeFit.Group> groups = new ArrayList<>();
        for (int p : new int[]{41, 53, 59, 71}) {
            List<ReferenceCell> held = cells("pscan").stream().filter(c -> c.p() == p && c.armKind().equals("clamp") && c.rho() < 1.2)
                    .sorted(java.util.Comparator.comparingDouble(ReferenceCell::rho)).toList();
            groups.add(new SharedSlopeFit.Group("p=" + p, held.stream().mapToDouble(ReferenceCell::rho).toArray(),
                    held.stream().mapToDouble(c -> Math.log(c.tGrok().median())).toArray()));
        }
        SharedSlopeFit f = SharedSlopeFit.of(groups);
        assertEquals(7.49, f.slope(), 0.005);
        assertEquals(0.996, f.r2(), 0.0015);
    }

    @Test
    void thePowerLawIsPaperAs038ByItsPooledStatistic() {
        Map<Integer, List<double[]>> byP = new TreeMap<>();
        for (ReferenceCell c : cells("grokfss"))
            if (Math.abs(c.lr() - 1e-3) < 1e-12 && Math.abs(c.wd() - 1) < 1e-9 && c.normsAtGrok().length > 0)
                byP.computeIfAbsent(c.p(), k -> new ArrayList<>()).add(c.normsAtGrok());
        double[] lnP = byP.keySet().stream().mapToDouble(p -> Math.log(p)).toArray();
        Estimate beta = StudyAnalysis.pooledBeta(lnP, new ArrayList<>(byP.values()), Claims.THEIRS);
        assertEquals(5, lnP.length);
        assertEquals(0.3845, beta.value(), 0.0005, "Paper A's 0.38");
        Interval ci = beta.interval();
        assertEquals(0, beta.undefinedShare());
        org.junit.jupiter.api.Assertions.assertTrue(ci.lo() < 0.3845 && 0.3845 < ci.hi() && ci.width() < 0.03, ci.toString());
    }
}
