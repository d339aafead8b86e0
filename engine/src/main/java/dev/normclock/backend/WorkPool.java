package dev.normclock.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs independent tasks on a fixed number of threads. Kernels give every output element to
 * exactly one task and sum in a fixed order inside it, so results do not depend on how many
 * threads there are or which one runs a task: that is what makes runs bit-reproducible.
 */
public final class WorkPool implements AutoCloseable {

    /** A task that also learns which worker runs it, to use that worker's scratch memory. */
    @FunctionalInterface
    public interface Task {
        void run(int task, int worker);
    }

    private final int threads;
    private final ExecutorService executor;

    public WorkPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        this.threads = threads;
        this.executor = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "normclock-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    public void forEach(int tasks, Task body) {
        if (tasks <= 0) return;
        if (executor == null || tasks == 1) {
            for (int i = 0; i < tasks; i++) body.run(i, 0);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        int helpers = Math.min(threads - 1, tasks - 1);
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int w = 1; w <= helpers; w++) {
            int worker = w;
            futures.add(executor.submit(() -> drain(next, tasks, body, worker)));
        }
        Throwable failure = null;
        try {
            drain(next, tasks, body, 0);
        } catch (Throwable t) {
            failure = t;
            next.set(tasks);
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (Exception e) {
                if (failure == null) failure = e.getCause() != null ? e.getCause() : e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    private static void drain(AtomicInteger next, int tasks, Task body, int worker) {
        int i;
        while ((i = next.getAndIncrement()) < tasks) body.run(i, worker);
    }

    @Override
    public void close() {
        if (executor != null) executor.shutdownNow();
    }
}
