package dev.normclock.analysis;

import java.util.List;

/**
 * The seeds of one released cell (one experiment and configuration id), in file order. The
 * configuration accessors read the first seed; the constructor checks that all seeds share it.
 */
public record ReferenceCell(String experiment, String cell, List<ReferenceRun> seeds) {

    public ReferenceCell {
        seeds = List.copyOf(seeds);
        if (seeds.isEmpty()) throw new IllegalArgumentException("cell " + experiment + "/" + cell + " has no seeds");
        ReferenceRun first = seeds.getFirst();
        if (!first.experiment().equals(experiment) || !first.cell().equals(cell))
            throw new IllegalArgumentException("seed of " + first.experiment() + "/" + first.cell() + " given to cell " + experiment + "/" + cell);
        for (ReferenceRun r : seeds)
            if (!r.sameConfig(first))
                throw new IllegalArgumentException("cell " + experiment + "/" + cell + ": seed " + r.seed() + " has a different configuration");
    }

    private ReferenceRun first() {
        return seeds.getFirst();
    }

    public int size() {
        return seeds.size();
    }

    public String model() { return first().model(); }
    public int p() { return first().p(); }
    public double trainFrac() { return first().trainFrac(); }
    public int parityN() { return first().parityN(); }
    public int parityK() { return first().parityK(); }
    public int parityM() { return first().parityM(); }
    public int d() { return first().d(); }
    public int hidden() { return first().hidden(); }
    public double wd() { return first().wd(); }
    public double lr() { return first().lr(); }
    public String arm() { return first().arm(); }
    /** See {@link ReferenceRun#armKind()}. */
    public String armKind() { return first().armKind(); }
    public double rho() { return first().rho(); }
    public double wc() { return first().wc(); }
    public int tInt() { return first().tInt(); }
    public int maxSteps() { return first().maxSteps(); }
    public String loss() { return first().loss(); }
    public double tau() { return first().tau(); }
    public double gamma() { return first().gamma(); }
    public int tFork() { return first().tFork(); }

    /** T_grok per seed; seeds that did not grok are censored (+∞). */
    public CensoredSample tGrok() {
        return CensoredSample.fromSteps(seeds.stream().mapToInt(ReferenceRun::tGrok).toArray());
    }

    /** T_mem per seed; seeds that did not memorise are censored (+∞). */
    public CensoredSample tMem() {
        return CensoredSample.fromSteps(seeds.stream().mapToInt(ReferenceRun::tMem).toArray());
    }

    /** ‖W‖ at T_grok of the seeds that grokked and have it released, in file order. */
    public double[] normsAtGrok() {
        return seeds.stream().filter(ReferenceRun::grokked).mapToDouble(ReferenceRun::normAtGrok).filter(x -> !Double.isNaN(x)).toArray();
    }

    /** T_grok per released seed index (+∞ where it did not grok), for arms paired by seed. */
    public java.util.Map<Integer, Double> tGrokBySeed() {
        java.util.Map<Integer, Double> m = new java.util.TreeMap<>();
        for (ReferenceRun r : seeds) m.put(r.seed(), r.grokked() ? r.tGrok() : Double.POSITIVE_INFINITY);
        return m;
    }

    /**
     * Median ‖W‖ at T_grok over the seeds that grokked and have it released (the norm exists only
     * for them); NaN if there are none. For a free cell this is its Wc.
     */
    public double medianNormAtGrok() {
        double[] v = seeds.stream().filter(ReferenceRun::grokked).mapToDouble(ReferenceRun::normAtGrok)
            .filter(x -> !Double.isNaN(x)).toArray();
        return CensoredSample.observed(v).median();
    }
}
