package dev.normclock.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.results.ResultsStore;
import dev.normclock.results.RunRow;

/**
 * Paper B's protocol: with {@code until: cell} every seed of a cell trains until all of them have
 * grokked, so their runs end at one step, while T_grok is what it would be alone (the steps before
 * a seed groks do not depend on when it stops); with {@code wc_norm: final} a clamped cell's Wc is
 * the median of the control's norms at their last logged step, Paper B's "norm_at_grok".
 */
class PaperBProtocolTest {
    static String study(String until) {
        return """
                study: protocol
                base_key: 7
                defaults: {train_frac: 0.6, d: 32, hidden: 64, lr: 3.0e-3, t_int: 150, seeds: 3, eval_grid: every10, p: 41, until: %s}
                experiments:
                  - name: m
                    analysis: delay_law
                    cells:
                      - {arm: free, max_steps: 3000}
                      - {arm: clamp, rho: 1.0, max_steps: 4000, wc_norm: final}
                """.formatted(until);
    }

    static Map<String, RunRow> train(Path dir, String until) throws IOException {
        try (CpuBackend be = new CpuBackend(2)) {
            Reproduction.Summary s = new Reproduction(be, dir, new Reproduction.Progress() { }, 60)
                    .run(StudyFile.parse(study(until), "test"), "test");
            assertTrue(!s.interrupted() && s.skipped().isEmpty(), s.toString());
        }
        Map<String, RunRow> runs = new TreeMap<>();
        try (ResultsStore store = ResultsStore.openExisting(dir)) {
            for (RunRow r : store.allRuns()) runs.put(Reproduction.runKey(r), r);
        }
        return runs;
    }

    @Test
    void seedsOfACellTrainUntilAllHaveGrokkedAndWcIsTheMedianFinalNorm(@TempDir Path tmp) throws IOException {
        Map<String, RunRow> alone = train(tmp.resolve("seed"), "seed"), together = train(tmp.resolve("cell"), "cell");
        List<RunRow> free = together.values().stream().filter(r -> Reproduction.runKey(r).contains("_free")).toList();
        assertEquals(3, free.size());
        int last = free.stream().mapToInt(r -> r.outcome().tGrok()).max().orElseThrow();
        for (RunRow r : free) {
            assertTrue(r.outcome().tGrok() > 0, "the tiny cell groks: " + r.outcome());
            assertEquals(last, r.outcome().finalStep(), "every seed ends when the last one groks: " + r.outcome());
        }
        assertTrue(free.stream().anyMatch(r -> r.outcome().tGrok() < last), "some seed grokked before the last one, and trained on");
        for (var e : alone.entrySet()) {
            String key = e.getKey();
            RunRow t = together.get(key);
            if (!key.contains("_free")) continue;
            assertEquals(e.getValue().outcome().tGrok(), t.outcome().tGrok(), "T_grok does not depend on when training stops: " + key);
            assertEquals(e.getValue().outcome().tGrok(), e.getValue().outcome().finalStep(), "alone, a seed stops at its T_grok");
        }
        // the clamped cell's Wc: the median of the free seeds' norms at their last logged step
        double[] finals;
        try (ResultsStore store = ResultsStore.openExisting(tmp.resolve("cell"))) {
            finals = free.stream().mapToDouble(r -> store.curve(r.id()).getLast().norm()).sorted().toArray();
        }
        RunRow clamped = together.values().stream().filter(r -> Reproduction.runKey(r).contains("_clamp")).findFirst().orElseThrow();
        double wc = new ObjectMapper().readTree(clamped.spec().configJson()).get("wc").asDouble();
        assertEquals(finals[1], wc, 1e-12, "Wc = median final norm " + Arrays.toString(finals));
        double atGrok = free.stream().mapToDouble(r -> r.outcome().normAtGrok()).sorted().toArray()[1];
        assertTrue(Math.abs(atGrok - wc) > 1e-6, "trained on after grokking, the final norms are not the norms at grok");
    }
}
