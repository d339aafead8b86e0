package dev.normclock.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns Ctrl-C (SIGINT/SIGTERM) into a stop request the trainer polls between steps, and holds
 * the JVM's exit until the work has recorded what it finished (at most a minute), so that
 * unfinished runs are marked and a checkpoint is written instead of being cut off mid-write.
 */
final class StopOnSignal implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    StopOnSignal() {
        hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "normclock-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested() {
        return stop.get();
    }

    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it waits for `done`, which is now counted down
        }
    }
}
