package dev.normclock.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs independent tasks on a fixed number of threads. Kernels give every output element to
 * exactly one task and sum in a fixed order inside it, so results do not depend on how many
 * threads there are or which one runs a task: that is what makes runs bit-reproducible.
 *
 * <p>A training step is a dozen or more calls, some of them a few microseconds of work. Handing
 * each call to an executor cost about 35 µs of wake-up latency, so the helper threads here spin
 * for a while after each call (SPIN_NANOS) and only then park: within a step they are already
 * awake when the next call comes. The calling thread takes tasks too, as worker 0.
 */
public final class WorkPool implements AutoCloseable {

    /** A task that also learns which worker runs it, to use that worker's scratch memory. */
    @FunctionalInterface
    public interface Task {
        void run(int task, int worker);
    }

    /** A task over rows [i0, i1) of one model. */
    @FunctionalInterface
    public interface RowTask {
        void run(int model, int i0, int i1);
    }

    /**
     * Every listed model's rows in chunks of {@code chunk} (fixed, so that what a task computes never
     * depends on the thread count), one task a chunk.
     */
    public void forEachRowChunk(int rows, int chunk, int[] models, RowTask body) {
        int chunks = (rows + chunk - 1) / chunk;
        forEach(models.length * chunks, (task, w) -> {
            int model = models[task / chunks];
            int i0 = (task % chunks) * chunk;
            body.run(model, i0, Math.min(rows, i0 + chunk));
        });
    }

    /** How long an idle helper spins before it parks. */
    private static final long SPIN_NANOS = 200_000;

    /** One call of {@link #forEach}: tasks are claimed by index and counted when finished. */
    private static final class Job {
        final int tasks;
        final Task body;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, Task body) {
            this.tasks = tasks;
            this.body = body;
        }

        /** Claims and runs tasks until none is left; after a failure, claimed tasks are counted without running. */
        void drain(int worker) {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    if (failure == null) body.run(i, worker);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final Thread[] helpers;
    /** 1 while helper h is parked or about to park (volatile, so that a wake-up is never lost). */
    private final AtomicIntegerArray parked;
    /** One call at a time: the helpers serve a single current job. */
    private final ReentrantLock calls = new ReentrantLock();
    private volatile Job current;
    private volatile long generation;
    private volatile boolean closed;

    public WorkPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(Math.max(0, threads - 1));
        for (int h = 0; h < helpers.length; h++) {
            int worker = h + 1;
            helpers[h] = new Thread(() -> helperLoop(worker), "normclock-worker");
            helpers[h].setDaemon(true);
            helpers[h].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs body for tasks 0 … tasks − 1 and returns when all have finished; rethrows the first failure. */
    public void forEach(int tasks, Task body) {
        if (tasks <= 0) return;
        if (helpers.length == 0 || tasks == 1) {
            for (int i = 0; i < tasks; i++) body.run(i, 0);
            return;
        }
        Job job = new Job(tasks, body);
        calls.lock();
        try {
            current = job;
            generation++;
            for (int h = 0; h < helpers.length; h++) if (parked.get(h) == 1) LockSupport.unpark(helpers[h]);
            job.drain(0);
            while (job.done.get() < tasks) Thread.onSpinWait();
        } finally {
            calls.unlock();
        }
        Throwable failure = job.failure;
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    private void helperLoop(int worker) {
        long seen = 0;
        while (true) {
            long idleSince = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked.set(worker - 1, 1);
                if (generation == seen && !closed) LockSupport.park(this);
                parked.set(worker - 1, 0);
            }
            if (closed) return;
            seen = generation;
            current.drain(worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : helpers) LockSupport.unpark(t);
    }
}
