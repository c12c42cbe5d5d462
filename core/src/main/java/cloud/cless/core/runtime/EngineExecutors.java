package cloud.cless.core.runtime;

import cloud.cless.core.BoundedExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The threads engine calls block on, in two pools so that quick work never queues behind slow work: {@link #control}
 * runs what a cold start waits for (create, start, unpause, listing, port checks), {@link #slow} what may block for
 * seconds (stop with its grace period, remove, pause, pull).
 */
public final class EngineExecutors implements AutoCloseable {
    private static final int QUEUE_CAPACITY = 10_000;

    private final Executor control;
    private final Executor slow;

    /** Two pools of their own, shut down by {@link #close()}. */
    public EngineExecutors(int controlThreads, int slowThreads) {
        this(BoundedExecutor.newFixed("cless-engine-control", controlThreads, QUEUE_CAPACITY),
                BoundedExecutor.newFixed("cless-engine-slow", slowThreads, QUEUE_CAPACITY));
    }

    /** Over executors the caller owns (a {@link #close()} shuts down only {@link ExecutorService}s). */
    public EngineExecutors(Executor control, Executor slow) {
        this.control = control;
        this.slow = slow;
    }

    public Executor control() {
        return control;
    }

    public Executor slow() {
        return slow;
    }

    /** Takes no new call from here on; the calls already running finish. For a stop that must not touch the engine. */
    public void refuseNewWork() {
        for (Executor executor : new Executor[] {control, slow}) {
            if (executor instanceof ExecutorService service) {
                service.shutdown();
            }
        }
    }

    @Override
    public void close() {
        for (Executor executor : new Executor[] {control, slow}) {
            if (executor instanceof ExecutorService service) {
                service.shutdown();
                try {
                    if (!service.awaitTermination(10, TimeUnit.SECONDS)) {
                        service.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    service.shutdownNow();
                }
            }
        }
    }
}
