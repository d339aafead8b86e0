package dev.normclock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command works out what it will allocate before it allocates: a count or shape too large
 * for this machine (or for normclock's indexing) is refused with exit 2 and one line giving the
 * figures and what to change — not an OutOfMemoryError or a NegativeArraySizeException — and
 * nothing is written.
 */
class MemoryPlanCliTest {
    /** Far past any machine this suite runs on: 300 GiB of workspace for 16 models. */
    static final String HUGE_STUDY = """
            study: huge
            experiments:
              - name: big
                analysis: delay_law
                cells:
                  - {arm: free, p: 1500, d: 128, hidden: 2048, seeds: 16, max_steps: 100}
            """;

    static void refusedInOneLine(CliTest.Run r, String... contains) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String c : contains) assertTrue(r.err().contains(c), r.err());
    }

    @Test
    void trainRefusesWhatDoesNotFitBeforeWritingAnything(@TempDir Path dir) {
        refusedInOneLine(CliTest.run(CliTest.tiny(dir.resolve("a"), "--seeds", "100000000").toArray(String[]::new)),
                "--seeds lists 100000000 seeds", "at most 1048576");
        refusedInOneLine(CliTest.run(CliTest.tiny(dir.resolve("b"), "--seeds", "0-2000000000").toArray(String[]::new)), "at most 1048576");
        refusedInOneLine(CliTest.run(CliTest.tiny(dir.resolve("c"), "--p", "1000000").toArray(String[]::new)), "p must be at most 46340");
        refusedInOneLine(CliTest.run(CliTest.tiny(dir.resolve("d"), "--p", "97", "--width", "128", "--hidden", "256", "--seeds", "1000000")
                        .toArray(String[]::new)),
                "normclock train: 1000000 models of mlp p=97 d=128 H=256 (float32) need ", " of tensors in memory (this machine has ",
                "train fewer seeds at once");
        refusedInOneLine(CliTest.run(CliTest.tiny(dir.resolve("e"), "--p", "40000", "--seeds", "1").toArray(String[]::new)),
                "more than normclock indexes in one block");
        for (String d : new String[]{"a", "b", "c", "d", "e"}) assertFalse(Files.exists(dir.resolve(d)), d + ": nothing written");
    }

    @Test
    void reproducePlanPrintsThePeakMemory(@TempDir Path dir) {
        CliTest.Run r = CliTest.run("reproduce", "--preset", "quick", "--plan", "--out", dir.resolve("q").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  peak memory: ") && r.out().contains("(its largest population: 48 models of mlp p=59 d=128 H=256 (float32))"),
                r.out());
    }

    @Test
    void aStudyWhoseLargestPopulationDoesNotFitIsRefusedBeforeItStarts(@TempDir Path dir) throws Exception {
        assumeTrue(dev.normclock.train.MemoryPlan.Room.hostOnly().host() < 300L << 30, "this machine has 300 GiB available");
        Path study = dir.resolve("huge.yaml"), out = dir.resolve("out");
        Files.writeString(study, HUGE_STUDY);
        for (String[] args : new String[][]{{"reproduce", "--preset", study.toString(), "--plan", "--out", out.toString()},
                {"reproduce", "--preset", study.toString(), "--no-progress", "--out", out.toString()}}) {
            CliTest.Run r = CliTest.run(args);
            refusedInOneLine(r, "16 models of mlp p=1500 d=128 H=2048 (float32) need ", "of tensors in memory");
            assertTrue(r.out().contains("peak memory: "), r.out());
        }
        assertFalse(Files.exists(out.resolve("normclock.db")), "refused before anything was trained");
    }
}
