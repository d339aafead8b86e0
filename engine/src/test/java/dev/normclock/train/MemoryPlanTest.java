package dev.normclock.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Precision;
import dev.normclock.backend.WorkspaceSizing;
import dev.normclock.model.ModularPopulation;
import dev.normclock.task.ModularAddition;

/** A plan that does not fit is refused in one line with both figures and what to change; one that fits passes. */
class MemoryPlanTest {
    static final long GIB = 1L << 30;
    static final ModularPopulation.Kind PAPER_MLP = new ModularPopulation.Kind("mlp", 59, 128, 256, false);
    static final ModularAddition PAPER_TASK = new ModularAddition(59, 0.4);

    @Test
    void aPlanThatFitsPasses() {
        MemoryPlan plan = MemoryPlan.forModular(PAPER_MLP, PAPER_TASK, 16, Precision.FLOAT32, WorkspaceSizing.CPU);
        assertTrue(plan.tensorBytes() > 16L * 3 * 4 * PAPER_MLP.hidden() * 59, "at least the state of W2: " + plan.tensorBytes());
        assertTrue(plan.tensorBytes() < GIB && plan.heapBytes() < 64L << 20, plan.toString());
        plan.requireFits(new MemoryPlan.Room(GIB, GIB, -1));
        plan.requireFits(new MemoryPlan.Room(GIB, GIB, GIB));
    }

    @Test
    void eachShortfallIsNamedWithBothFiguresAndWhatToChange() {
        MemoryPlan plan = new MemoryPlan("100 models of mlp p=59 d=128 H=256 (float32)", 3 * GIB, 200L << 20);
        var host = assertThrows(MemoryPlan.DoesNotFit.class, () -> plan.requireFits(new MemoryPlan.Room(2 * GIB, GIB, -1)));
        assertEquals("100 models of mlp p=59 d=128 H=256 (float32) need 3.0 GiB of tensors in memory (this machine has 2.0 GiB available): "
                + "train fewer seeds at once (a study: fewer seeds per cell), a smaller p or width", host.getMessage());
        var heap = assertThrows(MemoryPlan.DoesNotFit.class, () -> plan.requireFits(new MemoryPlan.Room(8 * GIB, 100L << 20, -1)));
        assertTrue(heap.getMessage().contains("200 MiB of Java heap (the heap has 100 MiB free, -Xmx)"), heap.getMessage());
        assertTrue(heap.getMessage().endsWith("or give Java more heap (NORMCLOCK_JAVA_OPTS=-Xmx…)"), heap.getMessage());
        var gpu = assertThrows(MemoryPlan.DoesNotFit.class, () -> plan.requireFits(new MemoryPlan.Room(8 * GIB, GIB, GIB)));
        assertTrue(gpu.getMessage().contains("need 3.0 GiB of tensors on the GPU (it has 1.0 GiB free):"), gpu.getMessage());
        for (var e : new RuntimeException[]{host, heap, gpu}) assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void aPlanPastWhatAnyMachineHasIsCountedNotOverflowed() {
        MemoryPlan plan = MemoryPlan.forModular(PAPER_MLP, PAPER_TASK, 100_000_000, Precision.FLOAT32, WorkspaceSizing.GPU);
        assertTrue(plan.tensorBytes() > 100_000_000L * 4 * PAPER_MLP.hidden() * 59, "W2 and its moments alone: " + plan.tensorBytes());
        var e = assertThrows(MemoryPlan.DoesNotFit.class, () -> plan.requireFits(MemoryPlan.Room.hostOnly()));
        assertTrue(e.getMessage().startsWith("100000000 models of mlp p=59"), e.getMessage());
        ModularPopulation.Kind huge = new ModularPopulation.Kind("mlp", ModularAddition.MAX_P, 1, 1, false); // every slot's p² pairs: past 2⁶³ bytes
        var overflow = assertThrows(MemoryPlan.DoesNotFit.class,
                () -> MemoryPlan.forModular(huge, new ModularAddition(ModularAddition.MAX_P, 1e-6), Integer.MAX_VALUE, Precision.FLOAT64, WorkspaceSizing.GPU));
        assertTrue(overflow.getMessage().contains("more bytes than 64 bits count"), overflow.getMessage());
    }

    @Test
    void sizesReadAsAPersonWritesThem() {
        assertEquals("512 B", MemoryPlan.size(512));
        assertEquals("1.5 KiB", MemoryPlan.size(1536));
        assertEquals("820 MiB", MemoryPlan.size(820L << 20));
        assertEquals("1.2 TiB", MemoryPlan.size((long) (1.2 * (1L << 40))));
    }
}
