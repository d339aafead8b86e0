package dev.normclock.experiment;

import java.util.List;

/**
 * One experiment of a study: its cells and the analysis they feed. {@code reference} names the
 * Paper A experiment whose released cells ours are compared with (null: none).
 */
public record ExperimentPlan(String name, AnalysisKind analysis, String reference, String description, List<CellPlan> cells) {
}
