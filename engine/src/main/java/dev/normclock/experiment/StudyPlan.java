package dev.normclock.experiment;

import java.util.List;
import java.util.stream.Stream;

/** A whole study as read from its file: experiments in order, and the text it was read from. */
public record StudyPlan(String name, String description, long baseKey, List<ExperimentPlan> experiments, String source) {

    public Stream<CellPlan> cells() {
        return experiments.stream().flatMap(e -> e.cells().stream());
    }

    public long models() {
        return cells().mapToLong(c -> c.seeds().length).sum();
    }

    public ExperimentPlan experiment(String name) {
        return experiments.stream().filter(e -> e.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no experiment '" + name + "' in study " + this.name));
    }
}
