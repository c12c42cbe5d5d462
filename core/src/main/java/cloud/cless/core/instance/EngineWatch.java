package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.EngineSurvey;
import cloud.cless.core.runtime.RuntimeFailure;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the engine: lists it every survey interval (which also tells whether it answers), follows its event
 * stream, and knows whether it is down. An outage is logged once; while it lasts, cold starts fail at once and the
 * engine is checked again with backoff (1 s doubling to 30 s) until it answers, without anyone's help.
 */
final class EngineWatch {
    private static final Logger log = LoggerFactory.getLogger(EngineWatch.class);
    static final long RETRY_FIRST_MILLIS = 1_000;
    static final long RETRY_MAX_MILLIS = 30_000;

    /** Told what the engine reports. */
    interface Listener {
        /** A listing taken at {@code listedAtMillis}; the returned stage completes once it is handled. */
        CompletableFuture<Void> surveyed(EngineSurvey survey, long listedAtMillis);

        /** A container died, was OOM-killed or was removed; called on the runtime's stream thread. */
        void containerEvent(ContainerEvent event);
    }

    private final ContainerRuntime runtime;
    private final String installationId;
    private final EventLoopGroup group;
    private final Clock clock;
    private final Duration surveyInterval;
    private volatile Listener listener;
    private volatile RuntimeFailure down;
    private volatile boolean closed;
    // Guarded by this:
    private long retryMillis = RETRY_FIRST_MILLIS;
    private boolean checking;
    private boolean checkAgain;
    private ScheduledFuture<?> next;
    private CompletableFuture<Void> events;

    EngineWatch(ContainerRuntime runtime, String installationId, EventLoopGroup group, Clock clock,
                Duration surveyInterval) {
        this.runtime = runtime;
        this.installationId = installationId;
        this.group = group;
        this.clock = clock;
        this.surveyInterval = surveyInterval;
    }

    /**
     * Begins watching, telling {@code listener}; completes (never exceptionally) once the first listing was handled
     * or found the engine down.
     */
    CompletableFuture<Void> start(Listener listener) {
        this.listener = listener;
        return check();
    }

    /** Why the engine is known to be unusable now, or null while it answers. */
    RuntimeFailure down() {
        return down;
    }

    boolean isUp() {
        return down == null;
    }

    /** An engine call failed: when the engine did not answer, it is down from now on and checked again soon. */
    void failed(Throwable error) {
        Throwable cause = Failures.unwrap(error);
        if (closed || !(cause instanceof RuntimeFailure failure)
                || failure.kind() != RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
            return;
        }
        markDown(failure);
        checkSoon();
    }

    void close() {
        closed = true;
        synchronized (this) {
            if (next != null) {
                next.cancel(false);
            }
            if (events != null) {
                events.cancel(false);
            }
        }
    }

    /** Runs a check now, unless one runs (then it runs again right after). */
    CompletableFuture<Void> check() {
        synchronized (this) {
            if (closed || checking || listener == null) {
                checkAgain = !closed;
                return CompletableFuture.completedFuture(null);
            }
            checking = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        long listedAt = clock.millis();
        return runtime.survey(installationId).handle((survey, err) -> {
            if (err != null) {
                Throwable cause = Failures.unwrap(err);
                if (RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE)) {
                    markDown((RuntimeFailure) cause);
                } else {
                    log.warn("Listing the engine's containers failed, trying again: {}", cause.getMessage());
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            up();
            watchEvents();
            return listener.surveyed(survey, listedAt).exceptionally(e -> {
                log.warn("Handling a listing of the engine's containers failed", Failures.unwrap(e));
                return null;
            });
        }).thenCompose(handled -> handled).whenComplete((v, err) -> checked());
    }

    private void checked() {
        long delay;
        synchronized (this) {
            checking = false;
            if (down != null) {
                delay = retryMillis;
                retryMillis = Math.min(retryMillis * 2, RETRY_MAX_MILLIS);
            } else {
                delay = checkAgain ? 0 : surveyInterval.toMillis();
            }
            checkAgain = false;
        }
        schedule(delay);
    }

    private void checkSoon() {
        long delay;
        synchronized (this) {
            if (checking) {
                checkAgain = true;
                return;
            }
            delay = retryMillis;
        }
        schedule(delay);
    }

    private synchronized void schedule(long delayMillis) {
        if (closed) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        try {
            next = group.next().schedule(this::check, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopsGone) {
            next = null;
        }
    }

    private void markDown(RuntimeFailure failure) {
        boolean newOutage;
        synchronized (this) {
            newOutage = down == null;
            down = failure;
        }
        if (newOutage && !closed) {
            log.warn("{}; cold starts fail with 503 until it answers again, checking in the background",
                    failure.getMessage());
        }
    }

    private void up() {
        boolean wasDown;
        synchronized (this) {
            wasDown = down != null;
            down = null;
            retryMillis = RETRY_FIRST_MILLIS;
        }
        if (wasDown) {
            log.info("Docker engine answers again");
        }
    }

    /** Opens the event stream unless it is open; when it ends (engine restarted, or quiet), the engine is checked. */
    private synchronized void watchEvents() {
        if (closed || events != null && !events.isDone()) {
            return;
        }
        CompletableFuture<Void> stream = runtime.watch(installationId, this::event);
        events = stream;
        stream.whenComplete((v, err) -> {
            if (!closed && !stream.isCancelled()) {
                log.debug("Docker event stream ended ({}); checking the engine",
                        err == null ? "closed" : Failures.unwrap(err).getMessage());
                checkSoon();
            }
        });
    }

    private void event(ContainerEvent event) {
        if (closed) {
            return;
        }
        try {
            listener.containerEvent(event);
        } catch (RuntimeException e) {
            log.warn("Handling {} of container {} failed", event.kind(), Instance.shortId(event.containerId()), e);
        }
    }
}
