package dev.normclock.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Precision;
import dev.normclock.model.ModularPopulation;
import dev.normclock.model.ParityPopulation;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;

/**
 * What a population will take, worked out before any of it is allocated: its tensors (state and
 * workspace, off the heap — and on a GPU, on the device as well) and the heap its slots' data
 * take. A plan that does not fit what the process has is refused with both figures and what to
 * change, instead of an OutOfMemoryError halfway through a study.
 *
 * @param population what is planned, for the message ("16 models of mlp p=59 d=128 H=256")
 * @param tensorBytes the population's tensors (see each population's {@code plannedBytes})
 * @param heapBytes   the heap for every slot's data and bookkeeping, including the largest transient
 */
public record MemoryPlan(String population, long tensorBytes, long heapBytes) {
    /** Heap each slot takes beyond its data: its hyper-parameters, trainer state, norms and readout (measured ≈ 0.6 KiB, rounded up). */
    static final long HEAP_PER_SLOT = 2048;

    /**
     * The plan of {@code models} slots of a task whose per-slot data is {@code dataInts} ints on
     * the heap, and whose largest transient while a slot is prepared is {@code transientBytes}.
     */
    public static MemoryPlan of(String population, long models, long tensorBytes, long dataInts, long transientBytes) {
        long perSlot = Math.addExact(Math.multiplyExact(4L, dataInts), HEAP_PER_SLOT);
        return new MemoryPlan(population, tensorBytes, Math.addExact(Math.multiplyExact(models, perSlot), transientBytes));
    }

    /** A population of {@code models} slots of a model of modular addition. */
    public static MemoryPlan forModular(ModularPopulation.Kind kind, ModularAddition task, int models, Precision precision, dev.normclock.backend.WorkspaceSizing be) {
        long pairs = (long) task.p() * task.p(), n = task.trainSize();
        String what = String.format(Locale.ROOT, "%d models of %s%s p=%d d=%d H=%d (%s)", models, kind.model(), kind.layerNorm() ? "+layernorm" : "",
                task.p(), kind.d(), kind.hidden(), precision.label());
        // each slot keeps its training and test pairs and its training labels; preparing one draws a split of all pairs
        return counted(what, () -> of(what, models, kind.plannedBytes(models, task.trainSize(), precision, be), pairs + n, Math.addExact(9 * pairs, 4 * n)));
    }

    /** A population of {@code models} slots of the parity MLP. */
    public static MemoryPlan forParity(SparseParity task, int hidden, int models, Precision precision, dev.normclock.backend.WorkspaceSizing be) {
        long points = (long) task.trainSize() + task.testSize();
        String what = String.format(Locale.ROOT, "%d models of parity-mlp n=%d H=%d (%s)", models, task.n(), hidden, precision.label());
        // each slot keeps its labels (its points live in the population's tensors); preparing one draws them as floats
        return counted(what, () -> of(what, models, ParityPopulation.plannedBytes(task.n(), hidden, models, task.trainSize(), task.testSize(), precision, be),
                points, Math.multiplyExact(4 * points, task.n() + 1L)));
    }

    /** The plan, or a refusal where its bytes pass what a long counts (every sum and product is exact). */
    private static MemoryPlan counted(String what, java.util.function.Supplier<MemoryPlan> plan) {
        try {
            return plan.get();
        } catch (ArithmeticException e) {
            throw new DoesNotFit(what + " need more bytes than 64 bits count: train fewer seeds at once, a smaller p or width");
        }
    }

    /** Refuses (with an {@link DoesNotFit}) a plan that does not fit {@code room}. */
    public void requireFits(Room room) {
        StringBuilder short_ = new StringBuilder();
        if (room.device() >= 0 && tensorBytes > room.device())
            short_.append(String.format(Locale.ROOT, "%s of tensors on the GPU (it has %s free)", size(tensorBytes), size(room.device())));
        if (tensorBytes > room.host())
            append(short_, String.format(Locale.ROOT, "%s of tensors in memory (this machine has %s available)", size(tensorBytes), size(room.host())));
        if (heapBytes > room.heap())
            append(short_, String.format(Locale.ROOT, "%s of Java heap (the heap has %s free, -Xmx)", size(heapBytes), size(room.heap())));
        if (short_.isEmpty()) return;
        throw new DoesNotFit(population + " need " + short_ + ": train fewer seeds at once (a study: fewer seeds per cell), a smaller p or "
                + "width" + (heapBytes > room.heap() ? ", or give Java more heap (NORMCLOCK_JAVA_OPTS=-Xmx…)" : ""));
    }

    private static void append(StringBuilder b, String s) {
        b.append(b.isEmpty() ? "" : " and ").append(s);
    }

    /** Bytes as a reader wants them: 1.5 GiB, 820 MiB, 12 KiB. */
    public static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** A plan too large for the memory there is; the message gives both figures and what to change. */
    public static final class DoesNotFit extends IllegalArgumentException {
        DoesNotFit(String message) {
            super(message);
        }
    }

    /**
     * The memory a population may still take: host bytes (off the heap), the heap's free room, and
     * the GPU's free bytes (-1 without one).
     */
    public record Room(long host, long heap, long device) {
        /** What this process has now: the machine's (or its cgroup's) available memory, the heap's room, the backend's device. */
        public static Room now(Backend be) {
            return new Room(hostAvailable(), heapRoom(), be.deviceMemoryFree());
        }

        /** As {@link #now} for a backend whose tensors live in host memory only. */
        public static Room hostOnly() {
            return new Room(hostAvailable(), heapRoom(), -1);
        }

        /** The heap's maximum (-Xmx) less what is in use now. */
        static long heapRoom() {
            Runtime rt = Runtime.getRuntime();
            return rt.maxMemory() == Long.MAX_VALUE ? Long.MAX_VALUE : rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }

        /** MemAvailable of /proc/meminfo, less where a cgroup (v2) limits the process further; unbounded where neither is known. */
        static long hostAvailable() {
            long avail = Long.MAX_VALUE;
            try {
                for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
                    if (line.startsWith("MemAvailable:")) avail = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            } catch (IOException | RuntimeException e) {
                // not Linux: nothing to compare with
            }
            try {
                String max = Files.readString(Path.of("/sys/fs/cgroup/memory.max")).strip();
                if (!max.equals("max")) {
                    long used = Long.parseLong(Files.readString(Path.of("/sys/fs/cgroup/memory.current")).strip());
                    avail = Math.min(avail, Math.max(0, Long.parseLong(max) - used));
                }
            } catch (IOException | RuntimeException e) {
                // no cgroup v2 limit
            }
            return avail;
        }
    }
}
